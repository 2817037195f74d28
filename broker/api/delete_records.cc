#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them.
const Message kRequest{
    "2+",
    {
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
                          {.name = "Offset", .type = kInt64, .versions = "0+"},
                      }},
             }},
        {.name = "TimeoutMs", .type = kInt32, .versions = "0+"},
    }};
const Message kResponse{
    "2+",
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
                          {.name = "LowWatermark", .type = kInt64, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                      }},
             }},
    }};

// DeleteRecords 0-2: moves a partition's log start offset up to the given offset (-1: the
// high watermark, i.e. everything), answering the new low watermark. An offset above the high
// watermark is OFFSET_OUT_OF_RANGE, as in Kafka; a lower one than the start changes nothing.
// On a single node the high watermark is the log end offset.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  constexpr int64_t kHighWatermark = -1;
  for (const Struct& t : in.array("Topics")) {
    Struct& rt = out.add("Topics");
    rt.set("Name", t.s("Name"));
    Topic* topic = ctx.store.find(t.s("Name"));
    for (const Struct& p : t.array("Partitions")) {
      Struct& rp = rt.add("Partitions");
      rp.set("PartitionIndex", p.i("PartitionIndex")).set("LowWatermark", int64_t{-1});
      PartitionLog* log = find_partition(topic, p.i("PartitionIndex"));
      if (!log) {
        rp.set("ErrorCode", kafka_error::kUnknownTopicOrPartition);
        continue;
      }
      int64_t offset = p.i("Offset");
      if (offset == kHighWatermark) offset = log->log_end_offset();
      if (offset < 0 || offset > log->log_end_offset()) {
        rp.set("ErrorCode", kafka_error::kOffsetOutOfRange);
        continue;
      }
      auto start = log->advance_start(offset);
      if (!start) {
        rp.set("ErrorCode", kafka_error::kKafkaStorageError);
        continue;
      }
      rp.set("LowWatermark", start.value()).set("ErrorCode", kafka_error::kNone);
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& delete_records_api() {
  static const ApiInfo api{21, "DeleteRecords", 0, 2, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
