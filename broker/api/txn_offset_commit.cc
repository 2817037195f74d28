#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

const Message kRequest{
    "3+",
    {
        {.name = "TransactionalId", .type = kString, .versions = "0+"},
        {.name = "GroupId", .type = kString, .versions = "0+"},
        {.name = "ProducerId", .type = kInt64, .versions = "0+"},
        {.name = "ProducerEpoch", .type = kInt16, .versions = "0+"},
        {.name = "GenerationId", .type = kInt32, .versions = "3+", .default_value = "-1"},
        {.name = "MemberId", .type = kString, .versions = "3+", .default_value = ""},
        {.name = "GroupInstanceId",
         .type = kString,
         .versions = "3+",
         .nullable = "3+",
         .default_value = "null"},
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
                           .versions = "2+",
                           .default_value = "-1"},
                          {.name = "CommittedMetadata",
                           .type = kString,
                           .versions = "0+",
                           .nullable = "0+"},
                      }},
             }},
    }};
const Message kResponse{
    "3+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
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

// TxnOffsetCommit 0-4 (v4: the same layout, KIP-890's errors allowed): a transaction's consumer
// offsets, staged until EndTxn commits them (OffsetFetch sees them only then; an abort drops them).
// The group generation (v3) is checked like OffsetCommit's when it is given, so a zombie member of
// a rebalanced group is refused.
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  const std::string group(in.s("GroupId"));
  int16_t error = ctx.txn ? 0 : kafka_error::kCoordinatorNotAvailable;
  if (error == 0 && req.api_version >= 3 && in.i32("GenerationId") >= 0)
    error = ctx.groups.check_commit(group, in.i32("GenerationId"), std::string(in.s("MemberId")),
                                    ctx.now_ms, group_instance_id(in));
  std::vector<OffsetStore::Entry> entries;
  auto verdict = [&](std::string_view topic, const Struct& p) -> int16_t {
    if (!find_partition(ctx.store.find(topic), p.i("PartitionIndex")))
      return kafka_error::kUnknownTopicOrPartition;
    return kafka_error::kNone;
  };
  for (const Struct& t : in.array("Topics"))
    for (const Struct& p : t.array("Partitions"))
      if (verdict(t.s("Name"), p) == kafka_error::kNone)
        entries.push_back({std::string(t.s("Name")), p.i32("PartitionIndex"),
                           p.i("CommittedOffset"), std::string(p.s("CommittedMetadata")),
                           p.i32("CommittedLeaderEpoch")});
  if (error == 0)
    error = ctx.txn->stage_offsets(std::string(in.s("TransactionalId")), in.i("ProducerId"),
                                   in.i16("ProducerEpoch"), group, std::move(entries));
  for (const Struct& t : in.array("Topics")) {
    Struct& rt = out.add("Topics");
    rt.set("Name", t.s("Name"));
    for (const Struct& p : t.array("Partitions")) {
      const int16_t v = verdict(t.s("Name"), p);
      rt.add("Partitions")
          .set("PartitionIndex", p.i("PartitionIndex"))
          .set("ErrorCode", error != 0 ? error : v);
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& txn_offset_commit_api() {
  static const ApiInfo api{28, "TxnOffsetCommit", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
