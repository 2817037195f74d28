#pragma once
// What `flumen broker` is configured with: command-line flags and an optional properties file
// with Kafka's key names (listeners in the file replace the --listen flag).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/property_table.h"
#include "agent/net/tls.h"
#include "agent/util/result.h"
#include "broker/server/sasl.h"
#include "broker/storage/log_cleaner.h"
#include "broker/storage/partition_log.h"

namespace flumen::broker {

// One entry of Kafka's `listeners` (NAME://host:port), its protocol resolved through
// listener.security.protocol.map (by default the name is the protocol).
struct BrokerListener {
  std::string name;  // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL or a mapped name
  std::string host;  // as written; empty = every interface
  int port = 0;
  bool tls = false;   // SSL, SASL_SSL
  bool sasl = false;  // SASL_PLAINTEXT, SASL_SSL: nothing but ApiVersions before authentication
  std::string advertised_host;  // from advertised.listeners (default: --advertised or host)
  int advertised_port = 0;
};

struct BrokerConfig {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  int listen_port = 9092;
  std::string advertised_host;  // default: listen_host (never 0.0.0.0)
  int advertised_port = 0;      // default: the bound port
  int32_t node_id = 0;
  std::string cluster_id = "flumen";
  int32_t num_partitions = 1;             // num.partitions
  bool auto_create_topics = true;         // auto.create.topics.enable
  int64_t max_request_bytes = 100 << 20;  // socket.request.max.bytes
  int64_t idle_timeout_ms = 600000;       // connections.max.idle.ms
  int64_t flush_interval_ms = -1;         // log.flush.interval.ms: fsync at least this often
  int64_t retention_check_ms = 300000;    // log.retention.check.interval.ms
  int metrics_port = -1;            // serve /metrics (JSON, Prometheus) on listen_host; -1 = off
  LogConfig log;                    // log.segment.bytes, log.retention.*, ...
  CleanerConfig cleaner;            // log.cleaner.*
  bool delete_topic_enable = true;  // delete.topic.enable
  // From `listeners` in the conf file; empty: one PLAINTEXT listener on listen_host:listen_port.
  std::vector<BrokerListener> listeners;
  net::TlsConfig tls;  // ssl.keystore.location (PEM), ssl.truststore.location, ssl.client.auth
  std::vector<std::string> sasl_mechanisms{"PLAIN"};  // sasl.enabled.mechanisms
  std::shared_ptr<const SaslUsers> sasl_users;        // sasl.users.file, JAAS user_NAME entries
};

// Reads Kafka-style keys (num.partitions, log.segment.bytes, log.retention.hours|ms|bytes,
// log.roll.hours|ms, log.index.interval.bytes, message.max.bytes, auto.create.topics.enable,
// socket.request.max.bytes, connections.max.idle.ms, log.flush.interval.ms, broker.id, node.id,
// log.retention.check.interval.ms, log.cleanup.policy, log.cleaner.*). Unknown keys are errors
// with file:line.
// Security, in Kafka's names: listeners, advertised.listeners, listener.security.protocol.map,
// ssl.keystore.location/.type/.password, ssl.key.password, ssl.truststore.location/.type,
// ssl.client.auth, sasl.enabled.mechanisms, listener.name.<l>.<mech>.sasl.jaas.config (its
// user_NAME="password" entries), and flumen's sasl.users.file; delete.topic.enable.
Status load_broker_properties(const std::string& path, BrokerConfig& cfg);

// "NAME://host:port,..." -> listeners (protocols from `protocol_map`, "NAME:PROTOCOL,...").
Result<std::vector<BrokerListener>> parse_listeners(const std::string& value,
                                                    const std::string& protocol_map);
// The table those keys are parsed with; docs/reference/broker.md is generated from it.
const config::PropertyTableBase& broker_property_table();

}  // namespace flumen::broker
