#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "6+",
    {
        {.name = "ReplicaId", .type = kInt32, .versions = "0+"},
        {.name = "IsolationLevel", .type = kInt8, .versions = "2+"},
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
                          {.name = "CurrentLeaderEpoch",
                           .type = kInt32,
                           .versions = "4+",
                           .default_value = "-1"},
                          {.name = "Timestamp", .type = kInt64, .versions = "0+"},
                          {.name = "MaxNumOffsets",
                           .type = kInt32,
                           .versions = "0",
                           .default_value = "1"},
                      }},
             }},
    }};
const Message kResponse{
    "6+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "2+"},
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
                          {.name = "OldStyleOffsets",
                           .type = kArray,
                           .element = kInt64,
                           .versions = "0"},
                          {.name = "Timestamp",
                           .type = kInt64,
                           .versions = "1+",
                           .default_value = "-1"},
                          {.name = "Offset",
                           .type = kInt64,
                           .versions = "1+",
                           .default_value = "-1"},
                          {.name = "LeaderEpoch",
                           .type = kInt32,
                           .versions = "4+",
                           .default_value = "-1"},
                      }},
             }},
    }};

constexpr int64_t kLatest = -1, kEarliest = -2, kMaxTimestamp = -3;

// ListOffsets 0-7: -1 = latest (log end offset), -2 = earliest (log start offset), -3 (v7) = the
// record with the largest timestamp, t >= 0 = the first record whose timestamp is at or after t
// (-1 when none). v0 answers in its old layout: a list of offsets.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  for (const Struct& t : in.array("Topics")) {
    Topic* topic = ctx.store.find(t.s("Name"));
    Struct& rt = out.add("Topics");
    rt.set("Name", t.s("Name"));
    for (const Struct& p : t.array("Partitions")) {
      Struct& rp = rt.add("Partitions");
      rp.set("PartitionIndex", p.i("PartitionIndex"));
      PartitionLog* log = find_partition(topic, p.i("PartitionIndex"));
      if (!log) {
        rp.set("ErrorCode", kafka_error::kUnknownTopicOrPartition);
        continue;
      }
      const int64_t ts = p.i("Timestamp");
      int64_t offset = -1, found = -1;
      if (ts == kLatest) {
        // read_committed (v2+) sees the log end only up to the oldest open transaction.
        offset = in.i("IsolationLevel") == 1
                     ? topic->txns[static_cast<size_t>(p.i("PartitionIndex"))].last_stable_offset(
                           log->log_end_offset())
                     : log->log_end_offset();
      } else if (ts == kEarliest) {
        offset = log->log_start_offset();
      } else if (ts == kMaxTimestamp) {
        offset = log->offset_of_max_timestamp(found);
      } else {
        offset = log->offset_for_timestamp(ts, found);
      }
      rp.set("ErrorCode", kafka_error::kNone)
          .set("Timestamp", found)
          .set("Offset", offset)
          .set("LeaderEpoch", offset >= 0 ? 0 : -1);
      if (offset >= 0) rp.set_ints("OldStyleOffsets", {offset});
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& list_offsets_api() {
  static const ApiInfo api{2, "ListOffsets", 0, 7, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
