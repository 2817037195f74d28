#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "9+",
    {
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .nullable = "1+",
         .fields =
             {
                 {.name = "TopicId", .type = kUuid, .versions = "10+"},
                 {.name = "Name", .type = kString, .versions = "0+", .nullable = "10+"},
             }},
        {.name = "AllowAutoTopicCreation",
         .type = kBool,
         .versions = "4+",
         .default_value = "true"},
        {.name = "IncludeClusterAuthorizedOperations", .type = kBool, .versions = "8-10"},
        {.name = "IncludeTopicAuthorizedOperations", .type = kBool, .versions = "8+"},
    }};
const Message kResponse{
    "9+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "3+"},
        {.name = "Brokers",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "NodeId", .type = kInt32, .versions = "0+"},
                 {.name = "Host", .type = kString, .versions = "0+"},
                 {.name = "Port", .type = kInt32, .versions = "0+"},
                 {.name = "Rack",
                  .type = kString,
                  .versions = "1+",
                  .nullable = "1+",
                  .default_value = "null"},
             }},
        {.name = "ClusterId",
         .type = kString,
         .versions = "2+",
         .nullable = "2+",
         .default_value = "null"},
        {.name = "ControllerId", .type = kInt32, .versions = "1+", .default_value = "-1"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "Name", .type = kString, .versions = "0+", .nullable = "12+"},
                 {.name = "TopicId", .type = kUuid, .versions = "10+"},
                 {.name = "IsInternal", .type = kBool, .versions = "1+", .default_value = "false"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "LeaderId", .type = kInt32, .versions = "0+"},
                          {.name = "LeaderEpoch",
                           .type = kInt32,
                           .versions = "7+",
                           .default_value = "-1"},
                          {.name = "ReplicaNodes",
                           .type = kArray,
                           .element = kInt32,
                           .versions = "0+"},
                          {.name = "IsrNodes", .type = kArray, .element = kInt32, .versions = "0+"},
                          {.name = "OfflineReplicas",
                           .type = kArray,
                           .element = kInt32,
                           .versions = "5+"},
                      }},
                 {.name = "TopicAuthorizedOperations",
                  .type = kInt32,
                  .versions = "8+",
                  .default_value = "-2147483648"},
             }},
        {.name = "ClusterAuthorizedOperations",
         .type = kInt32,
         .versions = "8-10",
         .default_value = "-2147483648"},
    }};

Struct& write_topic(Struct& out, int32_t node, std::string_view name, const Topic* t, int16_t error,
                    bool with_operations) {
  Struct& r = out.add("Topics");
  r.set("ErrorCode", error).set("Name", name);
  if (t) r.set("TopicId", t->id);
  if (t && with_operations) r.set("TopicAuthorizedOperations", kTopicOperations);
  const int64_t n = t ? static_cast<int64_t>(t->partitions.size()) : 0;
  for (int64_t p = 0; p < n; ++p)
    r.add("Partitions")
        .set("ErrorCode", kafka_error::kNone)
        .set("PartitionIndex", p)
        .set("LeaderId", node)
        .set("LeaderEpoch", 0)
        .set_ints("ReplicaNodes", {node})
        .set_ints("IsrNodes", {node});
  return r;
}

// Metadata 0-12. Topics: null (v1+) = all, and in v0 an empty list means all too; v10+ answers
// with topic ids and v12 may ask by id. One broker: ourselves, leader of every partition,
// controller too (kafkajs sends admin calls to the controller).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  const int32_t node = ctx.config.node_id;
  out.add("Brokers")
      .set("NodeId", node)
      .set("Host", ctx.advertised_host)
      .set("Port", ctx.advertised_port);
  out.set("ClusterId", ctx.config.cluster_id).set("ControllerId", node);
  if (in.b("IncludeClusterAuthorizedOperations"))
    out.set("ClusterAuthorizedOperations", kClusterOperations);
  const bool ops = in.b("IncludeTopicAuthorizedOperations");
  const auto& wanted = in.array("Topics");
  if (in.is_null("Topics") || (req.api_version == 0 && wanted.empty())) {
    for (const auto& [name, t] : ctx.store.topics())
      write_topic(out, node, name, t.get(), kafka_error::kNone, ops);
    return Reply::kNow;
  }
  const bool allow_create = in.b("AllowAutoTopicCreation");
  for (const Struct& w : wanted) {
    if (w.is_null("Name")) {  // v10+: by topic id
      if (const Topic* t = ctx.store.find_by_id(w.s("TopicId"))) {
        write_topic(out, node, t->name, t, kafka_error::kNone, ops);
      } else {
        write_topic(out, node, "", nullptr, kafka_error::kUnknownTopicId, ops)
            .set_null("Name")
            .set("TopicId", w.s("TopicId"));
      }
      continue;
    }
    const std::string_view name = w.s("Name");
    if (!TopicStore::valid_name(name)) {
      write_topic(out, node, name, nullptr, kafka_error::kInvalidTopic, ops);
      continue;
    }
    const Topic* t = topic_or_create(ctx, name, allow_create);
    write_topic(out, node, name, t, t ? kafka_error::kNone : kafka_error::kUnknownTopicOrPartition,
                ops);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& metadata_api() {
  static const ApiInfo api{3, "Metadata", 0, 12, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
