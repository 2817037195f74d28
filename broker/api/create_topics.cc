#include "broker/api/api.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "5+",
    {
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "NumPartitions", .type = kInt32, .versions = "0+"},
                 {.name = "ReplicationFactor", .type = kInt16, .versions = "0+"},
                 {.name = "Assignments",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "BrokerIds",
                           .type = kArray,
                           .element = kInt32,
                           .versions = "0+"},
                      }},
                 {.name = "Configs",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "0+"},
                          {.name = "Value", .type = kString, .versions = "0+", .nullable = "0+"},
                      }},
             }},
        {.name = "timeoutMs", .type = kInt32, .versions = "0+", .default_value = "60000"},
        {.name = "validateOnly", .type = kBool, .versions = "1+", .default_value = "false"},
    }};
const Message kResponse{
    "5+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "2+"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "TopicId", .type = kUuid, .versions = "7+"},
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "ErrorMessage", .type = kString, .versions = "1+", .nullable = "0+"},
                 {.name = "TopicConfigErrorCode",
                  .type = kInt16,
                  .versions = "5+",
                  .tagged = "5+",
                  .tag = 0},
                 {.name = "NumPartitions", .type = kInt32, .versions = "5+", .default_value = "-1"},
                 {.name = "ReplicationFactor",
                  .type = kInt16,
                  .versions = "5+",
                  .default_value = "-1"},
                 {.name = "Configs",
                  .type = kArray,
                  .versions = "5+",
                  .nullable = "5+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "5+"},
                          {.name = "Value", .type = kString, .versions = "5+", .nullable = "5+"},
                          {.name = "ReadOnly", .type = kBool, .versions = "5+"},
                          {.name = "ConfigSource",
                           .type = kInt8,
                           .versions = "5+",
                           .default_value = "-1"},
                          {.name = "IsSensitive", .type = kBool, .versions = "5+"},
                      }},
             }},
    }};

// CreateTopics 0-7: partitions -1 (v4+) = num.partitions; replication factor 1 or -1 (one node);
// a manual assignment is accepted when it names only this broker, one replica per partition,
// partitions 0..n-1. Topic configs are validated (an unknown name or a bad value is
// INVALID_CONFIG) and kept; v5+ answers with the topic's configs and counts.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  const bool validate_only = in.b("validateOnly");
  for (const Struct& t : in.array("Topics")) {
    Struct& r = out.add("Topics");
    const std::string_view name = t.s("Name");
    r.set("Name", name);
    int64_t partitions = t.i("NumPartitions");
    const int64_t rf = t.i("ReplicationFactor");
    int16_t error = kafka_error::kNone;
    std::string message;
    const auto& assignments = t.array("Assignments");
    if (!assignments.empty()) {
      if (partitions != -1 || rf != -1) {
        error = kafka_error::kInvalidRequest;
        message = "with a replica assignment, partitions and replication factor must be -1";
      }
      for (size_t k = 0; k < assignments.size() && error == 0; ++k) {
        const auto brokers = assignments[k].ints("BrokerIds");
        if (brokers.size() != 1 || brokers[0] != ctx.config.node_id) {
          error = kafka_error::kInvalidReplicaAssignment;
          message = "this single broker is node " + std::to_string(ctx.config.node_id) +
                    ": each partition has that one replica";
        } else if (assignments[k].i("PartitionIndex") != static_cast<int64_t>(k)) {
          error = kafka_error::kInvalidReplicaAssignment;
          message = "assigned partitions must be 0..n-1, in order";
        }
      }
      partitions = static_cast<int64_t>(assignments.size());
    } else if (rf == 0 || rf < -1) {
      error = kafka_error::kInvalidReplicationFactor;
      message = "Replication factor must be larger than 0, or -1 to use the default value.";
    } else if (rf > 1) {
      // Kafka 3.x's words on a cluster of one broker.
      error = kafka_error::kInvalidReplicationFactor;
      message = "Unable to replicate the partition " + std::to_string(rf) +
                " time(s): The target replication factor of " + std::to_string(rf) +
                " cannot be reached because only 1 broker(s) are registered.";
    }
    if (partitions == -1) partitions = ctx.config.num_partitions;
    TopicConfigs configs;
    for (const Struct& c : t.array("Configs")) {
      if (error != 0) break;
      const std::string key(c.s("Name"));
      if (c.is_null("Value")) continue;  // null: the default
      error = validate_topic_config(key, c.s("Value"), message);
      configs[key] = std::string(c.s("Value"));
    }
    if (error == 0) {
      if (!validate_only) {
        error = ctx.store.create(name, static_cast<int32_t>(partitions), configs, message);
      } else if (ctx.store.find(name)) {
        error = kafka_error::kTopicAlreadyExists;
        message = "topic exists";
      }
    }
    r.set("ErrorCode", error);
    if (error != 0) {
      r.set("ErrorMessage", message).set_null("Configs");
      continue;
    }
    r.set_null("ErrorMessage").set("NumPartitions", partitions).set("ReplicationFactor", 1);
    const Topic* created = ctx.store.find(name);
    if (created) r.set("TopicId", created->id);
    for (const ConfigEntry& e : describe_topic_configs(ctx.config.log, ctx.store.broker_defaults(),
                                                       created ? &created->configs : &configs))
      r.add("Configs")
          .set("Name", e.name)
          .set("Value", e.value)
          .set("ReadOnly", false)
          .set("ConfigSource", e.source)
          .set("IsSensitive", false);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& create_topics_api() {
  static const ApiInfo api{19, "CreateTopics", 0, 7, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
