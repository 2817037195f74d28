#include "broker/broker_config.h"

#include <functional>
#include <map>

#include "agent/config/properties.h"
#include "agent/config/property_table.h"

namespace flumen::broker {

Status load_broker_properties(const std::string& path, BrokerConfig& cfg) {
  config::Diagnostics diags;
  auto file = config::PropertiesFile::load(path, diags);
  if (!file) return make_error(ErrorCode::kInvalidConfig, diags.format());
  // Kafka's names; each sets one field, scaled to our units.
  using Setter = std::function<void(int64_t)>;
  const std::map<std::string, Setter, std::less<>> keys = {
      {"num.partitions", [&](int64_t v) { cfg.num_partitions = static_cast<int32_t>(v); }},
      {"broker.id", [&](int64_t v) { cfg.node_id = static_cast<int32_t>(v); }},
      {"node.id", [&](int64_t v) { cfg.node_id = static_cast<int32_t>(v); }},
      {"log.segment.bytes", [&](int64_t v) { cfg.log.segment_bytes = v; }},
      {"log.roll.ms", [&](int64_t v) { cfg.log.segment_ms = v; }},
      {"log.roll.hours", [&](int64_t v) { cfg.log.segment_ms = v * 3600000; }},
      {"log.retention.bytes", [&](int64_t v) { cfg.log.retention_bytes = v; }},
      {"log.retention.ms", [&](int64_t v) { cfg.log.retention_ms = v; }},
      {"log.retention.minutes", [&](int64_t v) { cfg.log.retention_ms = v * 60000; }},
      {"log.retention.hours", [&](int64_t v) { cfg.log.retention_ms = v * 3600000; }},
      {"log.index.interval.bytes", [&](int64_t v) { cfg.log.index_interval_bytes = v; }},
      {"message.max.bytes", [&](int64_t v) { cfg.log.max_message_bytes = v; }},
      {"socket.request.max.bytes", [&](int64_t v) { cfg.max_request_bytes = v; }},
      {"connections.max.idle.ms", [&](int64_t v) { cfg.idle_timeout_ms = v; }},
      {"log.flush.interval.ms", [&](int64_t v) { cfg.flush_interval_ms = v; }},
      {"log.retention.check.interval.ms", [&](int64_t v) { cfg.retention_check_ms = v; }},
  };
  std::vector<std::string> known{"auto.create.topics.enable", "cluster.id"};
  for (const auto& [k, s] : keys)
    known.push_back(k);
  for (const config::PropertyEntry& e : file->entries()) {
    if (e.key == "auto.create.topics.enable") {
      auto b = config::parse_bool(e.value);
      if (!b)
        diags.error(e.where, "auto.create.topics.enable must be true or false");
      else
        cfg.auto_create_topics = *b;
      continue;
    }
    if (e.key == "cluster.id") {
      cfg.cluster_id = e.value;
      continue;
    }
    auto it = keys.find(e.key);
    if (it == keys.end()) {
      diags.error(e.where, "unknown broker key '" + e.key + "' (did you mean '" +
                               config::nearest(e.key, known) + "'?)");
      continue;
    }
    auto v = config::parse_int(e.value);
    if (!v) {
      diags.error(e.where, e.key + " must be an integer, not '" + e.value + "'");
      continue;
    }
    it->second(*v);
  }
  if (cfg.num_partitions < 1) diags.error({path, 0}, "num.partitions must be at least 1");
  if (diags.has_errors()) return make_error(ErrorCode::kInvalidConfig, diags.format());
  return Status::ok();
}

}  // namespace flumen::broker
