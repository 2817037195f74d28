#include <algorithm>

#include "agent/util/log_throttle.h"
#include "broker/api/api.h"
#include "broker/storage/legacy_message_set.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "12+",
    {
        {.name = "ClusterId",
         .type = kString,
         .versions = "12+",
         .nullable = "12+",
         .tagged = "12+",
         .tag = 0,
         .default_value = "null"},
        {.name = "ReplicaId", .type = kInt32, .versions = "0-14", .default_value = "-1"},
        {.name = "ReplicaState",
         .type = kStruct,
         .versions = "15+",
         .tagged = "15+",
         .tag = 1,
         .fields =
             {
                 {.name = "ReplicaId", .type = kInt32, .versions = "15+", .default_value = "-1"},
                 {.name = "ReplicaEpoch", .type = kInt64, .versions = "15+", .default_value = "-1"},
             }},
        {.name = "MaxWaitMs", .type = kInt32, .versions = "0+"},
        {.name = "MinBytes", .type = kInt32, .versions = "0+"},
        {.name = "MaxBytes", .type = kInt32, .versions = "3+", .default_value = "0x7fffffff"},
        {.name = "IsolationLevel", .type = kInt8, .versions = "4+", .default_value = "0"},
        {.name = "SessionId", .type = kInt32, .versions = "7+", .default_value = "0"},
        {.name = "SessionEpoch", .type = kInt32, .versions = "7+", .default_value = "-1"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Topic", .type = kString, .versions = "0-12"},
                 {.name = "TopicId", .type = kUuid, .versions = "13+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Partition", .type = kInt32, .versions = "0+"},
                          {.name = "CurrentLeaderEpoch",
                           .type = kInt32,
                           .versions = "9+",
                           .default_value = "-1"},
                          {.name = "FetchOffset", .type = kInt64, .versions = "0+"},
                          {.name = "LastFetchedEpoch",
                           .type = kInt32,
                           .versions = "12+",
                           .default_value = "-1"},
                          {.name = "LogStartOffset",
                           .type = kInt64,
                           .versions = "5+",
                           .default_value = "-1"},
                          {.name = "PartitionMaxBytes", .type = kInt32, .versions = "0+"},
                      }},
             }},
        {.name = "ForgottenTopicsData",
         .type = kArray,
         .versions = "7+",
         .fields =
             {
                 {.name = "Topic", .type = kString, .versions = "7-12"},
                 {.name = "TopicId", .type = kUuid, .versions = "13+"},
                 {.name = "Partitions", .type = kArray, .element = kInt32, .versions = "7+"},
             }},
        {.name = "RackId", .type = kString, .versions = "11+", .default_value = ""},
    }};
const Message kResponse{
    "12+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "7+"},
        {.name = "SessionId", .type = kInt32, .versions = "7+", .default_value = "0"},
        {.name = "Responses",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Topic", .type = kString, .versions = "0-12"},
                 {.name = "TopicId", .type = kUuid, .versions = "13+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                          {.name = "HighWatermark", .type = kInt64, .versions = "0+"},
                          {.name = "LastStableOffset",
                           .type = kInt64,
                           .versions = "4+",
                           .default_value = "-1"},
                          {.name = "LogStartOffset",
                           .type = kInt64,
                           .versions = "5+",
                           .default_value = "-1"},
                          {.name = "DivergingEpoch",
                           .type = kStruct,
                           .versions = "12+",
                           .tagged = "12+",
                           .tag = 0,
                           .fields =
                               {
                                   {.name = "Epoch",
                                    .type = kInt32,
                                    .versions = "12+",
                                    .default_value = "-1"},
                                   {.name = "EndOffset",
                                    .type = kInt64,
                                    .versions = "12+",
                                    .default_value = "-1"},
                               }},
                          {.name = "CurrentLeader",
                           .type = kStruct,
                           .versions = "12+",
                           .tagged = "12+",
                           .tag = 1,
                           .fields =
                               {
                                   {.name = "LeaderId",
                                    .type = kInt32,
                                    .versions = "12+",
                                    .default_value = "-1"},
                                   {.name = "LeaderEpoch",
                                    .type = kInt32,
                                    .versions = "12+",
                                    .default_value = "-1"},
                               }},
                          {.name = "SnapshotId",
                           .type = kStruct,
                           .versions = "12+",
                           .tagged = "12+",
                           .tag = 2,
                           .fields =
                               {
                                   {.name = "EndOffset",
                                    .type = kInt64,
                                    .versions = "0+",
                                    .default_value = "-1"},
                                   {.name = "Epoch",
                                    .type = kInt32,
                                    .versions = "0+",
                                    .default_value = "-1"},
                               }},
                          {.name = "AbortedTransactions",
                           .type = kArray,
                           .versions = "4+",
                           .nullable = "4+",
                           .fields =
                               {
                                   {.name = "ProducerId", .type = kInt64, .versions = "4+"},
                                   {.name = "FirstOffset", .type = kInt64, .versions = "4+"},
                               }},
                          {.name = "PreferredReadReplica",
                           .type = kInt32,
                           .versions = "11+",
                           .default_value = "-1"},
                          {.name = "Records", .type = kRecords, .versions = "0+", .nullable = "0+"},
                      }},
             }},
        {.name = "NodeEndpoints",
         .type = kArray,
         .versions = "16+",
         .tagged = "16+",
         .tag = 0,
         .fields =
             {
                 {.name = "NodeId", .type = kInt32, .versions = "16+"},
                 {.name = "Host", .type = kString, .versions = "16+"},
                 {.name = "Port", .type = kInt32, .versions = "16+"},
                 {.name = "Rack",
                  .type = kString,
                  .versions = "16+",
                  .nullable = "16+",
                  .default_value = "null"},
             }},
    }};

// Fetch 0-16 (v13+ names topics by id): whole stored batches (never a truncated first one, KIP-74),
// high watermark = last stable offset = log end offset (no transactions), no fetch sessions
// (session id 0), no preferred read replica (-1). Below min_bytes the request waits (long poll)
// until data arrives or max_wait_ms passes; the server re-runs it then. v0-3 are answered in the
// pre-0.11 message format (magic 0 for v0-1, 1 for v2-3), converted from the stored batches as
// Kafka 3.x does; batches that cannot be converted end the partition's data there, with a warning
// at most every 30 s.
// Drops the batches of `records` (whole batches, as read) from the first one at or after
// `limit` on; returns the offset after the last batch kept.
int64_t cut_at(std::string& records, int64_t limit) {
  size_t pos = 0;
  int64_t end = 0;
  BatchHeader h;
  while (pos + kBatchHeaderSize <= records.size() &&
         read_batch_header(std::string_view(records).substr(pos), h) &&
         pos + h.total_size() <= records.size()) {
    if (h.base_offset >= limit) break;
    end = h.last_offset() + 1;
    pos += h.total_size();
  }
  records.resize(pos);
  return end;
}

// A stored batch is inflated for a pre-0.11 reader up to this size.
constexpr size_t kMaxLegacyInflated = 64 << 20;

Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  static util::LogThrottle legacy_warning;
  const bool legacy = req.api_version < 4;
  const bool read_committed = in.i("IsolationLevel") == 1;
  const int32_t max_wait = in.i32("MaxWaitMs");
  const int32_t min_bytes = in.i32("MinBytes");
  const int32_t max_bytes = in.i32("MaxBytes");
  const size_t budget = max_bytes > 0 ? static_cast<size_t>(max_bytes) : 0;
  size_t total = 0;
  out.set("ErrorCode", kafka_error::kNone).set("SessionId", 0);
  for (const Struct& ft : in.array("Topics")) {
    const bool by_id = req.api_version >= 13;
    Topic* topic = by_id ? ctx.store.find_by_id(ft.s("TopicId")) : ctx.store.find(ft.s("Topic"));
    Struct& rt = out.add("Responses");
    rt.set("Topic", ft.s("Topic")).set("TopicId", ft.s("TopicId"));
    for (const Struct& fp : ft.array("Partitions")) {
      const int64_t index = fp.i("Partition");
      const int64_t fetch_offset = fp.i("FetchOffset");
      PartitionLog* log = find_partition(topic, index);
      Struct& rp = rt.add("Partitions");
      rp.set("PartitionIndex", index);
      int16_t error = kafka_error::kNone;
      int64_t hwm = -1, start = -1, lso = -1;
      bool readable = false;
      if (!log) {
        error =
            by_id && !topic ? kafka_error::kUnknownTopicId : kafka_error::kUnknownTopicOrPartition;
      } else {
        hwm = log->log_end_offset();
        start = log->log_start_offset();
        lso = topic->txns[static_cast<size_t>(index)].last_stable_offset(hwm);
        if (fetch_offset < start || fetch_offset > hwm) {
          error = kafka_error::kOffsetOutOfRange;
        } else {
          readable = fetch_offset < (read_committed ? lso : hwm);
        }
      }
      std::string records;
      if (readable) {
        const int32_t partition_max = fp.i32("PartitionMaxBytes");
        const size_t limit =
            std::min<size_t>(partition_max > 0 ? static_cast<size_t>(partition_max) : 0,
                             budget > total ? budget - total : 0);
        if (Status s = log->read(fetch_offset, limit, total == 0, records); !s) {
          records.clear();
          error = kafka_error::kKafkaStorageError;
        } else if (read_committed) {
          // Nothing at or past the last stable offset, and the aborted transactions of what is
          // served, for the client to drop their records.
          const int64_t end = cut_at(records, lso);
          for (const AbortedTxn& a :
               topic->txns[static_cast<size_t>(index)].aborted_in(fetch_offset, end))
            rp.add("AbortedTransactions")
                .set("ProducerId", a.producer_id)
                .set("FirstOffset", a.first_offset);
        } else if (legacy) {
          std::string converted;
          if (!batches_to_legacy_set(records, req.api_version < 2 ? 0 : 1, kMaxLegacyInflated,
                                     converted))
            legacy_warning.warn(
                "broker: a batch of {}-{} at or after offset {} cannot be converted for Fetch v{} "
                "from {} (client {}); served up to it",
                ft.s("Topic"), index, fetch_offset, req.api_version, ctx.client_host,
                req.client_id.value_or("-"));
          records.swap(converted);
        }
      }
      total += records.size();
      rp.set("ErrorCode", error)
          .set("HighWatermark", hwm)
          .set("LastStableOffset", lso)
          .set("LogStartOffset", start)
          .set("Records", std::move(records));
    }
  }
  if (!ctx.final_attempt && max_wait > 0 && static_cast<int64_t>(total) < std::max(min_bytes, 1)) {
    ctx.wait_ms = max_wait;
    return Reply::kWaitForData;
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& fetch_api() {
  static const ApiInfo api{1, "Fetch", 0, 16, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
