#pragma once
// What `flumen broker` is configured with: command-line flags and an optional properties file
// with Kafka's key names (listeners/advertised.listeners aside, which are flags here).
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"
#include "agent/util/result.h"
#include "broker/storage/partition_log.h"

namespace flumen::broker {

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
  int metrics_port = -1;  // serve /metrics (JSON, Prometheus) on listen_host; -1 = off
  LogConfig log;          // log.segment.bytes, log.retention.*, ...
};

// Reads Kafka-style keys (num.partitions, log.segment.bytes, log.retention.hours|ms|bytes,
// log.roll.hours|ms, log.index.interval.bytes, message.max.bytes, auto.create.topics.enable,
// socket.request.max.bytes, connections.max.idle.ms, log.flush.interval.ms, broker.id, node.id,
// log.retention.check.interval.ms). Unknown keys are errors with file:line.
Status load_broker_properties(const std::string& path, BrokerConfig& cfg);

// The table those keys are parsed with; docs/reference/broker.md is generated from it.
const config::PropertyTableBase& broker_property_table();

}  // namespace flumen::broker
