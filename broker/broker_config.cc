#include "broker/broker_config.h"

#include "agent/config/properties.h"
#include "agent/config/property_table.h"

namespace flumen::broker {

namespace {

// The conf file's keys as Kafka names them, in Kafka's units; turned into BrokerConfig below.
// -1 marks "not given" where Kafka lets a finer key win over a coarser one (ms > minutes >
// hours).
struct BrokerProperties {
  int64_t num_partitions = 1;
  int64_t broker_id = -1;
  int64_t node_id = -1;
  std::string cluster_id = "flumen";
  bool auto_create_topics = true;
  int64_t segment_bytes = 1 << 30;
  int64_t roll_ms = -1;
  int64_t roll_hours = 168;
  int64_t retention_bytes = -1;
  int64_t retention_ms = -1;
  int64_t retention_minutes = -1;
  int64_t retention_hours = 168;
  int64_t index_interval_bytes = 4096;
  int64_t message_max_bytes = 1048588;
  int64_t socket_request_max_bytes = 100 << 20;
  int64_t idle_ms = 600000;
  int64_t flush_interval_ms = -1;
  int64_t retention_check_ms = 300000;
};

const config::PropertyTable<BrokerProperties>& broker_table() {
  using T = BrokerProperties;
  constexpr int64_t kMax = INT64_MAX / 3600000;  // hours still fit in milliseconds
  static const auto table =
      config::PropertyTable<T>()
          .integer("num.partitions", &T::num_partitions, "1", 1, 10000,
                   "Partitions of an auto-created topic.")
          .integer("broker.id", &T::broker_id, "-1", -1, INT32_MAX,
                   "The node id in Metadata (-1 = not set: node.id, else 0).")
          .integer("node.id", &T::node_id, "-1", -1, INT32_MAX,
                   "The same as broker.id; wins over it (-1 = not set).")
          .string("cluster.id", &T::cluster_id, "flumen", "The cluster id in Metadata.")
          .boolean("auto.create.topics.enable", &T::auto_create_topics, "true",
                   "Create a topic on its first Metadata or Produce request.")
          .integer("log.segment.bytes", &T::segment_bytes, "1073741824", 1024, INT32_MAX,
                   "A partition's segment rolls at this size.")
          .integer("log.roll.ms", &T::roll_ms, "-1", -1, INT64_MAX,
                   "A segment also rolls at this age (ms; -1 = not set: log.roll.hours applies).")
          .integer("log.roll.hours", &T::roll_hours, "168", 1, kMax,
                   "A segment also rolls at this age (hours).")
          .integer("log.retention.bytes", &T::retention_bytes, "-1", -1, INT64_MAX,
                   "Old segments go beyond this size per partition (-1 = no limit).")
          .integer("log.retention.ms", &T::retention_ms, "-1", -1, INT64_MAX,
                   "Old segments go after this time (ms; -1 = not set: minutes or hours apply).")
          .integer("log.retention.minutes", &T::retention_minutes, "-1", -1, kMax,
                   "The same in minutes.")
          .integer("log.retention.hours", &T::retention_hours, "168", -1, kMax,
                   "The same in hours (-1 = keep forever).")
          .integer("log.index.interval.bytes", &T::index_interval_bytes, "4096", 1, INT32_MAX,
                   "Log bytes between two offset index entries.")
          .integer("message.max.bytes", &T::message_max_bytes, "1048588", 64, INT32_MAX,
                   "Largest record batch accepted.")
          .integer("socket.request.max.bytes", &T::socket_request_max_bytes, "104857600", 1024,
                   INT32_MAX, "Largest request; a larger one closes the connection.")
          .integer("connections.max.idle.ms", &T::idle_ms, "600000", 1000, INT64_MAX,
                   "Idle connections are closed after this.")
          .integer("log.flush.interval.ms", &T::flush_interval_ms, "-1", -1, INT64_MAX,
                   "fsync at least this often (-1 = only for acks=all).")
          .integer("log.retention.check.interval.ms", &T::retention_check_ms, "300000", 1000,
                   INT64_MAX, "How often retention is applied.");
  return table;
}

}  // namespace

const config::PropertyTableBase& broker_property_table() {
  return broker_table();
}

Status load_broker_properties(const std::string& path, BrokerConfig& cfg) {
  config::Diagnostics diags;
  auto file = config::PropertiesFile::load(path, diags);
  if (!file) return make_error(ErrorCode::kInvalidConfig, diags.format());
  config::ComponentEntries in;
  in.description = "the broker";
  in.where = {path, 1};
  in.entries = file->entries();
  BrokerProperties p;
  if (!broker_table().parse(p, in, diags))
    return make_error(ErrorCode::kInvalidConfig, diags.format());
  cfg.num_partitions = static_cast<int32_t>(p.num_partitions);
  if (p.broker_id >= 0) cfg.node_id = static_cast<int32_t>(p.broker_id);
  if (p.node_id >= 0) cfg.node_id = static_cast<int32_t>(p.node_id);
  cfg.cluster_id = p.cluster_id;
  cfg.auto_create_topics = p.auto_create_topics;
  cfg.log.segment_bytes = p.segment_bytes;
  cfg.log.segment_ms = p.roll_ms >= 0 ? p.roll_ms : p.roll_hours * 3600000;
  cfg.log.retention_bytes = p.retention_bytes;
  cfg.log.retention_ms = p.retention_ms >= 0        ? p.retention_ms
                         : p.retention_minutes >= 0 ? p.retention_minutes * 60000
                         : p.retention_hours >= 0   ? p.retention_hours * 3600000
                                                    : -1;
  cfg.log.index_interval_bytes = p.index_interval_bytes;
  cfg.log.max_message_bytes = p.message_max_bytes;
  cfg.log.set_in_conf = 0;
  for (const config::PropertyEntry& e : file->entries()) {
    const std::string& k = e.key;
    if (k == "log.segment.bytes") cfg.log.set_in_conf |= kConfSegmentBytes;
    if (k == "log.roll.ms" || k == "log.roll.hours") cfg.log.set_in_conf |= kConfSegmentMs;
    if (k == "log.retention.bytes") cfg.log.set_in_conf |= kConfRetentionBytes;
    if (k == "log.retention.ms" || k == "log.retention.minutes" || k == "log.retention.hours")
      cfg.log.set_in_conf |= kConfRetentionMs;
    if (k == "log.index.interval.bytes") cfg.log.set_in_conf |= kConfIndexIntervalBytes;
    if (k == "message.max.bytes") cfg.log.set_in_conf |= kConfMaxMessageBytes;
  }
  cfg.max_request_bytes = p.socket_request_max_bytes;
  cfg.idle_timeout_ms = p.idle_ms;
  cfg.flush_interval_ms = p.flush_interval_ms;
  cfg.retention_check_ms = p.retention_check_ms;
  return Status::ok();
}

}  // namespace flumen::broker
