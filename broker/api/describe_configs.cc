#include <algorithm>
#include "broker/api/api.h"

namespace flumen::broker {

namespace {

// The configuration of a topic (type 2) or of the broker (type 4), by Kafka's names.
std::vector<std::pair<std::string, std::string>> configs_of(const ApiContext& ctx, int8_t type) {
  const LogConfig& log = ctx.config.log;
  if (type == 2)
    return {{"cleanup.policy", "delete"},
            {"retention.ms", std::to_string(log.retention_ms)},
            {"retention.bytes", std::to_string(log.retention_bytes)},
            {"segment.bytes", std::to_string(log.segment_bytes)},
            {"segment.ms", std::to_string(log.segment_ms)},
            {"max.message.bytes", std::to_string(log.max_message_bytes)},
            {"index.interval.bytes", std::to_string(log.index_interval_bytes)},
            {"message.timestamp.type", "CreateTime"}};
  return {{"num.partitions", std::to_string(ctx.config.num_partitions)},
          {"auto.create.topics.enable", ctx.config.auto_create_topics ? "true" : "false"},
          {"log.retention.ms", std::to_string(log.retention_ms)},
          {"log.retention.bytes", std::to_string(log.retention_bytes)},
          {"log.segment.bytes", std::to_string(log.segment_bytes)},
          {"message.max.bytes", std::to_string(log.max_message_bytes)},
          {"socket.request.max.bytes", std::to_string(ctx.config.max_request_bytes)},
          {"connections.max.idle.ms", std::to_string(ctx.config.idle_timeout_ms)}};
}

}  // namespace

// DescribeConfigs 0-2 (admin tools, kafkajs admin): read-only views of the topic and broker
// settings. Configs are not alterable here: they come from the broker's conf file.
Reply handle_describe_configs(ApiContext& ctx, const Request& req, WireReader& in,
                              WireWriter& out) {
  struct Resource {
    int8_t type;
    std::string name;
    bool all;
    std::vector<std::string> keys;
  };
  std::vector<Resource> resources;
  int32_t n = in.array_count(7);
  for (int32_t i = 0; i < n && !in.failed(); ++i) {
    Resource r{in.i8(), std::string(in.string()), false, {}};
    int32_t k = in.array_count(2);
    r.all = k < 0;
    for (int32_t j = 0; j < k && !in.failed(); ++j)
      r.keys.emplace_back(in.string());
    resources.push_back(std::move(r));
  }
  if (req.api_version >= 1) in.boolean();  // include_synonyms
  if (in.failed()) return Reply::kNow;
  out.i32(0);
  out.i32(static_cast<int32_t>(resources.size()));
  for (const Resource& r : resources) {
    int16_t error = kafka_error::kNone;
    std::string message;
    if (r.type == 2 && !ctx.store.find(r.name)) {
      error = kafka_error::kUnknownTopicOrPartition;
      message = "no topic " + r.name;
    } else if (r.type != 2 && r.type != 4) {
      error = kafka_error::kInvalidRequest;
      message = "only topic and broker configs are described";
    }
    out.i16(error);
    out.nullable_string(error ? std::optional<std::string_view>(message) : std::nullopt);
    out.i8(r.type);
    out.string(r.name);
    std::vector<std::pair<std::string, std::string>> chosen;
    if (error == 0)
      for (auto& kv : configs_of(ctx, r.type))
        if (r.all || std::find(r.keys.begin(), r.keys.end(), kv.first) != r.keys.end())
          chosen.push_back(kv);
    out.i32(static_cast<int32_t>(chosen.size()));
    for (const auto& [key, value] : chosen) {
      out.string(key);
      out.nullable_string(value);
      out.boolean(true);  // read_only
      if (req.api_version == 0) {
        out.boolean(false);  // is_default
      } else {
        out.i8(5);  // config_source: STATIC_BROKER_CONFIG
      }
      out.boolean(false);                    // is_sensitive
      if (req.api_version >= 1) out.i32(0);  // synonyms
    }
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
