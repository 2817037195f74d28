#include "agent/util/log_throttle.h"
#include "broker/api/api.h"
#include "broker/protocol/record_batch.h"
#include "broker/storage/batch_records.h"
#include "broker/storage/legacy_message_set.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// A compressed batch is inflated to look for keyless records, or to recompress it, up to this
// size (on the loop thread: a decompression bomb is not expanded further, and the cleaner drops
// what slips by).
constexpr size_t kMaxInflatedForKeyCheck = 64 << 20;

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "9+",
    {
        {.name = "TransactionalId",
         .type = kString,
         .versions = "3+",
         .nullable = "3+",
         .default_value = "null"},
        {.name = "Acks", .type = kInt16, .versions = "0+"},
        {.name = "TimeoutMs", .type = kInt32, .versions = "0+"},
        {.name = "TopicData",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "PartitionData",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Index", .type = kInt32, .versions = "0+"},
                          {.name = "Records", .type = kRecords, .versions = "0+", .nullable = "0+"},
                      }},
             }},
    }};
const Message kResponse{
    "9+",
    {
        {.name = "Responses",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "PartitionResponses",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Index", .type = kInt32, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                          {.name = "BaseOffset", .type = kInt64, .versions = "0+"},
                          {.name = "LogAppendTimeMs",
                           .type = kInt64,
                           .versions = "2+",
                           .default_value = "-1"},
                          {.name = "LogStartOffset",
                           .type = kInt64,
                           .versions = "5+",
                           .default_value = "-1"},
                          {.name = "RecordErrors",
                           .type = kArray,
                           .versions = "8+",
                           .fields =
                               {
                                   {.name = "BatchIndex", .type = kInt32, .versions = "8+"},
                                   {.name = "BatchIndexErrorMessage",
                                    .type = kString,
                                    .versions = "8+",
                                    .nullable = "8+",
                                    .default_value = "null"},
                               }},
                          {.name = "ErrorMessage",
                           .type = kString,
                           .versions = "8+",
                           .nullable = "8+",
                           .default_value = "null"},
                      }},
             }},
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+", .default_value = "0"},
    }};

struct RecordError {
  int32_t index;
  std::string message;
};

// The record errors of a batch a compacted topic refuses, and the partition's error message,
// worded as Kafka's (librdkafka fails the named records with INVALID_RECORD and the others of
// the batch with _INVALID_DIFFERENT_RECORD; the Java client shows the messages).
std::vector<RecordError> compacted_topic_record_errors(const std::vector<int32_t>& keyless,
                                                       std::string_view topic, int64_t partition,
                                                       std::optional<std::string>& message) {
  const std::string why = "Compacted topic cannot accept message without key in topic partition " +
                          std::string(topic) + "-" + std::to_string(partition);
  std::vector<RecordError> out;
  std::string shown;
  for (int32_t index : keyless) {
    out.push_back({index, why});
    if (out.size() <= 3)  // Kafka shows the first three
      shown += std::string(shown.empty() ? "" : ", ") +
               "RecordError(batchIndex=" + std::to_string(index) + ", message='" + why + "')";
  }
  message = "One or more records have been rejected due to " + std::to_string(out.size()) +
            " record errors in total, and only showing the first three errors at most: [" + shown +
            "]";
  return out;
}

// Produce 0-9. v3+ carry one RecordBatch v2 per partition, checked (CRC-32C, lengths, codec) and
// appended as received with its base offset rewritten (and, on a LogAppendTime topic, its
// timestamp type and max timestamp set to the broker's clock, CRC recomputed; on a topic whose
// compression.type names a codec, recompressed with it). v0-2 carry the pre-0.11 message format,
// converted to one v2 batch (as Kafka 3.x does) and then handled the same; a set that cannot be
// converted is refused with a warning at most every 30 s. A transactional batch (attributes bit
// 4) is accepted only from the current epoch of a producer whose open transaction includes the
// partition (AddPartitionsToTxn first), and opens the transaction in the partition. acks=0 gets
// no response; acks=all (-1) is answered after the data is fsynced (group commit in the server).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  static util::LogThrottle legacy_refusal;
  const int64_t acks = in.i("Acks");
  for (const Struct& td : in.array("TopicData")) {
    const std::string_view name = td.s("Name");
    Struct& rt = out.add("Responses");
    rt.set("Name", name);
    Topic* topic = nullptr;
    if (acks >= -1 && acks <= 1 && TopicStore::valid_name(name))
      topic = topic_or_create(ctx, name, true);
    for (const Struct& pd : td.array("PartitionData")) {
      const int64_t index = pd.i("Index");
      int16_t error = kafka_error::kNone;
      int64_t base = -1, log_start = -1, append_time = -1;
      std::vector<RecordError> record_errors;
      std::optional<std::string> error_message;
      PartitionLog* log = find_partition(topic, index);
      if (acks < -1 || acks > 1) {
        error = kafka_error::kInvalidRequiredAcks;
      } else if (!TopicStore::valid_name(name)) {
        error = kafka_error::kInvalidTopic;
      } else if (!log) {
        error = kafka_error::kUnknownTopicOrPartition;
      } else {
        const LogConfig& lc = log->config();
        BatchHeader h;
        std::string why;
        std::string_view records = pd.s("Records");
        std::string converted;
        BatchVerdict verdict = BatchVerdict::kOk;
        if (req.api_version < 3) {
          verdict = legacy_set_to_batch(records, kMaxInflatedForKeyCheck, converted, why);
          if (verdict == BatchVerdict::kOk)
            records = converted;
          else
            legacy_refusal.warn(
                "broker: refusing a pre-0.11 message set for {}-{} from {} (client {}, Produce "
                "v{}): {}",
                name, index, ctx.client_host, req.client_id.value_or("-"), req.api_version, why);
        }
        if (verdict == BatchVerdict::kOk)
          verdict = check_produced_batch(records, std::max<int16_t>(req.api_version, 3),
                                         static_cast<size_t>(lc.max_message_bytes), h, why);
        // A compacted topic keeps the latest record per key: a record without one is refused,
        // and the batch with it, each such record named (Kafka's LogValidator).
        std::vector<int32_t> keyless;
        if (verdict == BatchVerdict::kOk && lc.cleanup_compact)
          keyless = keyless_records(records, kMaxInflatedForKeyCheck);
        if (!keyless.empty()) {
          verdict = BatchVerdict::kInvalidRecord;
          record_errors = compacted_topic_record_errors(keyless, name, index, error_message);
        }
        // compression.type names a codec: the batch is stored with it (Kafka's LogValidator
        // recompresses the same way, keeping offsets, producer fields and timestamps).
        std::string recompressed;
        if (verdict == BatchVerdict::kOk && lc.compression_codec != kStoreAsProduced &&
            lc.compression_codec != h.compression()) {
          if (recompress_batch(records, lc.compression_codec, kMaxInflatedForKeyCheck,
                               recompressed))
            records = recompressed;
          else
            verdict = BatchVerdict::kCorrupt;
        }
        std::string stamped;
        if (verdict == BatchVerdict::kOk && lc.log_append_time) {
          append_time = ctx.wall_ms;
          stamped = with_log_append_time(records, append_time);
          records = stamped;
        }
        if (verdict != BatchVerdict::kOk) {
          error = static_cast<int16_t>(verdict);
        } else {
          // Idempotent producers: a batch sent again is answered with its first offset.
          ProducerSequences& seqs = topic->sequences[static_cast<size_t>(index)];
          SequenceVerdict sv;
          const bool transactional = (h.attributes & kTransactionalBit) != 0;
          if (transactional)
            sv.error = ctx.txn
                           ? ctx.txn->check_produce(h.producer_id, h.producer_epoch,
                                                    std::string(name), static_cast<int32_t>(index))
                           : kafka_error::kCoordinatorNotAvailable;
          if (h.producer_id >= 0 && sv.error == 0)
            sv = seqs.check(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta);
          if (sv.error != 0) {
            error = sv.error;
          } else if (sv.duplicate_of >= 0) {
            base = sv.duplicate_of;
            ++ctx.duplicate_batches;
          } else if (auto r = log->append(records); !r) {
            error = kafka_error::kKafkaStorageError;
          } else {
            base = r.value();
            ++ctx.appended_batches;
            if (transactional) {
              h.base_offset = base;
              topic->txns[static_cast<size_t>(index)].on_batch(h, false);
            }
            if (h.producer_id >= 0)
              seqs.record(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta,
                          base);
          }
        }
        log_start = log->log_start_offset();
      }
      Struct& pr = rt.add("PartitionResponses")
                       .set("Index", index)
                       .set("ErrorCode", error)
                       .set("BaseOffset", base)
                       .set("LogAppendTimeMs", append_time)
                       .set("LogStartOffset", log_start);
      for (const RecordError& e : record_errors)
        pr.add("RecordErrors").set("BatchIndex", e.index).set("BatchIndexErrorMessage", e.message);
      if (error_message) pr.set("ErrorMessage", *error_message);
    }
  }
  if (acks == 0) return Reply::kNone;
  // A batch sent again is answered after the next sync round too: its first copy may still be
  // waiting for (or in) a round that has not finished.
  if (acks == -1 && (ctx.appended_batches > 0 || ctx.duplicate_batches > 0))
    return Reply::kAfterFlush;
  return Reply::kNow;
}

}  // namespace

const ApiInfo& produce_api() {
  static const ApiInfo api{0, "Produce", 0, 9, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
