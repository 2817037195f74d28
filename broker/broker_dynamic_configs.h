#pragma once
// Kafka's dynamic broker configs (KIP-226) as this broker keeps them: what AlterConfigs and
// IncrementalAlterConfigs set on a BROKER resource, per broker (resource name = node id) or as
// the cluster-wide default (resource name ""), and what DescribeConfigs shows of them.
//
// Taken: the broker's topic defaults (log.retention.ms, log.segment.bytes, log.cleanup.policy,
// message.max.bytes, compression.type...: each a synonym of a topic config, validated as that
// topic config is, and applied at once to every topic without its own value: log_defaults());
// and the configs Kafka lets change at run time that have no effect on this broker (thread
// pools, Kerberos relogin timing, connection limits), validated by their Kafka type and range
// and shown back, as a single node shows the topic configs that only matter with replicas. A
// config Kafka does not know is taken too, as Kafka does. Kafka's other dynamic configs
// (listeners, SSL, metric.reporters: no class is loaded here) and the read-only ones are
// refused per resource with Kafka's INVALID_REQUEST "Cannot update these configs dynamically:
// Set(...)". Kept in
// <data-dir>/broker-configs.json ({"broker": {name: value}, "cluster": {name: value}}), rewritten
// atomically (temp file, fsync, rename) on every change, as Kafka keeps them across restarts.
// Runs on the broker's loop thread.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/util/result.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

class DynamicBrokerConfigs {
 public:
  struct Op {
    std::string name;
    int64_t op = 0;  // IncrementalAlterConfigs' SET 0, DELETE 1, APPEND 2, SUBTRACT 3
    std::string value;
  };
  struct Shown {
    std::string name, value;
    bool read_only;
    int8_t source;  // Kafka's ConfigSource
  };

  explicit DynamicBrokerConfigs(int32_t node_id) : node_id_(node_id) {}

  // Reads the overrides kept in `path` (none when it does not exist) and keeps every change
  // there from now on; without a call, they are kept in memory only.
  Status load(const std::string& path);

  // Whether a BROKER resource name is this broker's ("" is the cluster default): 0, or
  // INVALID_REQUEST with Kafka's message. `describe`: DescribeConfigs' wording.
  int16_t check_name(std::string_view resource, bool describe, std::string& why) const;
  // Applies `ops` to the resource's overrides (incremental = false: they replace them, as the
  // legacy AlterConfigs does), everything validated first: 0, or a Kafka error with `why` and
  // nothing changed (KAFKA_STORAGE_ERROR when the file cannot be written). The name is checked
  // already.
  int16_t alter(std::string_view resource, const std::vector<Op>& ops, bool incremental,
                bool validate_only, std::string& why);
  // The dynamic configs as DescribeConfigs shows the resource: for the node id each known one
  // with its effective value and source (per-broker, cluster default or Kafka's default), and
  // the unknown ones set; for "" the cluster-wide overrides only, as Kafka shows them.
  std::vector<Shown> describe(std::string_view resource) const;
  // The topic defaults set (log.* and their kin), by topic config name, this broker's own over
  // the cluster-wide ones: what TopicStore::set_broker_defaults applies.
  BrokerDefaults log_defaults() const;

 private:
  using Overrides = std::map<std::string, std::string, std::less<>>;
  // The value in force on this broker: its override, the cluster default, Kafka's default.
  std::string effective(std::string_view name) const;
  Status save() const;

  const int32_t node_id_;
  std::string path_;  // empty: in memory only
  Overrides per_broker_, cluster_;
};

}  // namespace flumen::broker
