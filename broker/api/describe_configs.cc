#include <algorithm>

#include "broker/api/api.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "4+",
    {
        {.name = "Resources",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ResourceType", .type = kInt8, .versions = "0+"},
                 {.name = "ResourceName", .type = kString, .versions = "0+"},
                 {.name = "ConfigurationKeys",
                  .type = kArray,
                  .element = kString,
                  .versions = "0+",
                  .nullable = "0+"},
             }},
        {.name = "IncludeSynonyms", .type = kBool, .versions = "1+", .default_value = "false"},
        {.name = "IncludeDocumentation", .type = kBool, .versions = "3+", .default_value = "false"},
    }};
const Message kResponse{
    "4+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "Results",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "ErrorMessage", .type = kString, .versions = "0+", .nullable = "0+"},
                 {.name = "ResourceType", .type = kInt8, .versions = "0+"},
                 {.name = "ResourceName", .type = kString, .versions = "0+"},
                 {.name = "Configs",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "0+"},
                          {.name = "Value", .type = kString, .versions = "0+", .nullable = "0+"},
                          {.name = "ReadOnly", .type = kBool, .versions = "0+"},
                          {.name = "IsDefault", .type = kBool, .versions = "0"},
                          {.name = "ConfigSource",
                           .type = kInt8,
                           .versions = "1+",
                           .default_value = "-1"},
                          {.name = "IsSensitive", .type = kBool, .versions = "0+"},
                          {.name = "Synonyms",
                           .type = kArray,
                           .versions = "1+",
                           .fields =
                               {
                                   {.name = "Name", .type = kString, .versions = "1+"},
                                   {.name = "Value",
                                    .type = kString,
                                    .versions = "1+",
                                    .nullable = "0+"},
                                   {.name = "Source", .type = kInt8, .versions = "1+"},
                               }},
                          {.name = "ConfigType",
                           .type = kInt8,
                           .versions = "3+",
                           .default_value = "0"},
                          {.name = "Documentation",
                           .type = kString,
                           .versions = "3+",
                           .nullable = "0+"},
                      }},
             }},
    }};

// The broker's own settings, by Kafka's names, from its conf file (the dynamic overrides are
// broker/broker_dynamic_configs.h's).
std::vector<ConfigEntry> broker_configs(const ApiContext& ctx) {
  const LogConfig& log = ctx.config.log;
  const BrokerConfig defaults;
  // STATIC_BROKER_CONFIG when the conf file gives it (the log settings record that; the others
  // are taken as given when they differ from the default), else DEFAULT_CONFIG, as Kafka says.
  auto e = [](const char* name, std::string value, bool from_conf) {
    return ConfigEntry{name, std::move(value),
                       from_conf ? kConfigSourceStaticBroker : kConfigSourceDefault};
  };
  return {e("num.partitions", std::to_string(ctx.config.num_partitions),
            ctx.config.num_partitions != defaults.num_partitions),
          e("auto.create.topics.enable", ctx.config.auto_create_topics ? "true" : "false",
            ctx.config.auto_create_topics != defaults.auto_create_topics),
          e("log.retention.ms", std::to_string(log.retention_ms),
            (log.set_in_conf & kConfRetentionMs) != 0),
          e("log.retention.bytes", std::to_string(log.retention_bytes),
            (log.set_in_conf & kConfRetentionBytes) != 0),
          e("log.segment.bytes", std::to_string(log.segment_bytes),
            (log.set_in_conf & kConfSegmentBytes) != 0),
          e("message.max.bytes", std::to_string(log.max_message_bytes),
            (log.set_in_conf & kConfMaxMessageBytes) != 0),
          e("socket.request.max.bytes", std::to_string(ctx.config.max_request_bytes),
            ctx.config.max_request_bytes != defaults.max_request_bytes),
          e("connections.max.idle.ms", std::to_string(ctx.config.idle_timeout_ms),
            ctx.config.idle_timeout_ms != defaults.idle_timeout_ms)};
}

// DescribeConfigs 0-4: a topic's effective configs (its overrides and the broker's defaults,
// each with its source) or the broker's settings (its node id; another id is INVALID_REQUEST,
// "" the cluster-wide dynamic overrides), static and dynamic; null keys = all.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  for (const Struct& r : in.array("Resources")) {
    const int64_t type = r.i("ResourceType");
    const std::string name(r.s("ResourceName"));
    Struct& res = out.add("Results");
    res.set("ResourceType", type).set("ResourceName", name);
    std::vector<ConfigEntry> entries;
    const Topic* topic = type == kTopicResource ? ctx.store.find(name) : nullptr;
    if (type == kTopicResource && !topic) {
      res.set("ErrorCode", kafka_error::kUnknownTopicOrPartition)
          .set("ErrorMessage", "no topic " + name);
      continue;
    }
    if (type != kTopicResource && type != kBrokerResource) {
      res.set("ErrorCode", kafka_error::kInvalidRequest)
          .set("ErrorMessage", "Unknown resource type " + std::to_string(type));
      continue;
    }
    std::string why;
    if (type == kBrokerResource && ctx.dynamic_configs &&
        ctx.dynamic_configs->check_name(name, /*describe=*/true, why) != 0) {
      res.set("ErrorCode", kafka_error::kInvalidRequest).set("ErrorMessage", why);
      continue;
    }
    res.set("ErrorCode", kafka_error::kNone).set_null("ErrorMessage");
    std::vector<DynamicBrokerConfigs::Shown> shown;
    if (topic) {
      for (ConfigEntry& e :
           describe_topic_configs(ctx.config.log, ctx.store.broker_defaults(), &topic->configs))
        shown.push_back({std::move(e.name), std::move(e.value), false, e.source});
    } else {
      // The cluster-default resource ("") shows only its dynamic overrides, as Kafka does.
      if (!name.empty())
        for (ConfigEntry& e : broker_configs(ctx)) {
          // A topic default (log.retention.ms) is alterable, as in Kafka; the rest is fixed.
          const bool read_only = topic_config_of(e.name).empty();
          shown.push_back({std::move(e.name), std::move(e.value), read_only, e.source});
        }
      // A dynamic value replaces the conf file's of the same name (log.retention.ms).
      if (ctx.dynamic_configs)
        for (auto& e : ctx.dynamic_configs->describe(name)) {
          auto same = std::find_if(shown.begin(), shown.end(),
                                   [&](const auto& s) { return s.name == e.name; });
          if (same != shown.end())
            *same = std::move(e);
          else
            shown.push_back(std::move(e));
        }
    }
    const bool all = r.is_null("ConfigurationKeys");
    const auto keys = r.strings("ConfigurationKeys");
    for (const DynamicBrokerConfigs::Shown& e : shown) {
      if (!all && std::find(keys.begin(), keys.end(), e.name) == keys.end()) continue;
      Struct& c = res.add("Configs");
      c.set("Name", e.name)
          .set("Value", e.value)
          .set("ReadOnly", e.read_only)
          .set("IsDefault",
               e.source == kConfigSourceDefault || e.source == kConfigSourceStaticBroker)
          .set("ConfigSource", e.source)
          .set("IsSensitive", false)
          .set_null("Documentation");
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& describe_configs_api() {
  static const ApiInfo api{32, "DescribeConfigs", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
