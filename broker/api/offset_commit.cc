#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "8+",
    {
        {.name = "GroupId", .type = kString, .versions = "0+"},
        {.name = "GenerationIdOrMemberEpoch",
         .type = kInt32,
         .versions = "1+",
         .default_value = "-1"},
        {.name = "MemberId", .type = kString, .versions = "1+"},
        {.name = "GroupInstanceId",
         .type = kString,
         .versions = "7+",
         .nullable = "7+",
         .default_value = "null"},
        {.name = "RetentionTimeMs", .type = kInt64, .versions = "2-4", .default_value = "-1"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "CommittedOffset", .type = kInt64, .versions = "0+"},
                          {.name = "CommittedLeaderEpoch",
                           .type = kInt32,
                           .versions = "6+",
                           .default_value = "-1"},
                          {.name = "CommitTimestamp",
                           .type = kInt64,
                           .versions = "1",
                           .default_value = "-1"},
                          {.name = "CommittedMetadata",
                           .type = kString,
                           .versions = "0+",
                           .nullable = "0+"},
                      }},
             }},
    }};
const Message kResponse{
    "8+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "3+"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                      }},
             }},
    }};

constexpr size_t kMaxMetadataBytes = 4096;

// OffsetCommit 0-8: checked against the group's membership and generation (v0 has neither: a
// "simple" commit, allowed while the group has no members), stored durably. A partition of a
// topic that does not exist is refused with UNKNOWN_TOPIC_OR_PARTITION, as Kafka does.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  const std::string group(in.s("GroupId"));
  int16_t error =
      ctx.groups.check_commit(group, in.i32("GenerationIdOrMemberEpoch"),
                              std::string(in.s("MemberId")), ctx.now_ms, group_instance_id(in));
  auto verdict = [&](std::string_view topic, const Struct& p) -> int16_t {
    if (error != 0) return error;
    if (!find_partition(ctx.store.find(topic), p.i("PartitionIndex")))
      return kafka_error::kUnknownTopicOrPartition;
    if (p.s("CommittedMetadata").size() > kMaxMetadataBytes)
      return kafka_error::kOffsetMetadataTooLarge;
    return kafka_error::kNone;
  };
  std::vector<OffsetStore::Entry> entries;
  for (const Struct& t : in.array("Topics"))
    for (const Struct& p : t.array("Partitions"))
      if (verdict(t.s("Name"), p) == kafka_error::kNone)
        entries.push_back({std::string(t.s("Name")), p.i32("PartitionIndex"),
                           p.i("CommittedOffset"), std::string(p.s("CommittedMetadata")),
                           p.i32("CommittedLeaderEpoch")});
  if (error == 0 && !entries.empty())
    if (Status s = ctx.offsets.commit(group, entries); !s) error = kafka_error::kKafkaStorageError;
  for (const Struct& t : in.array("Topics")) {
    Struct& rt = out.add("Topics");
    rt.set("Name", t.s("Name"));
    for (const Struct& p : t.array("Partitions"))
      rt.add("Partitions")
          .set("PartitionIndex", p.i("PartitionIndex"))
          .set("ErrorCode", verdict(t.s("Name"), p));
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& offset_commit_api() {
  static const ApiInfo api{8, "OffsetCommit", 0, 8, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
