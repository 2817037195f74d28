#include "broker/api/api.h"
#include "broker/protocol/record_batch.h"

namespace flumen::broker {

// Produce 0-7. v0-2 are advertised only for old librdkafka's feature gates and answered with
// UNSUPPORTED_VERSION; v3+ carry one RecordBatch v2 per partition, checked (CRC-32C, lengths,
// codec) and appended as received with its base offset rewritten. acks=0 gets no response;
// acks=all (-1) is answered after the data is fsynced (group commit in the server).
Reply handle_produce(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  if (req.api_version >= 3) in.nullable_string();  // transactional_id
  const int16_t acks = in.i16();
  in.i32();  // timeout_ms
  int32_t topics = in.array_count(6);
  const size_t topics_at = out.reserve_i32();
  int32_t written_topics = 0;
  for (int32_t t = 0; t < topics && !in.failed(); ++t) {
    std::string_view name = in.string();
    int32_t parts = in.array_count(8);
    out.string(name);
    const size_t parts_at = out.reserve_i32();
    int32_t written = 0;
    Topic* topic = nullptr;
    if (req.api_version >= 3 && acks >= -1 && acks <= 1 && TopicStore::valid_name(name))
      topic = topic_or_create(ctx, name, true);
    for (int32_t p = 0; p < parts && !in.failed(); ++p) {
      const int32_t index = in.i32();
      std::optional<std::string_view> records = in.nullable_bytes();
      int16_t error = kafka_error::kNone;
      int64_t base = -1;
      int64_t log_start = -1;
      if (req.api_version < 3) {
        error = kafka_error::kUnsupportedVersion;
      } else if (acks < -1 || acks > 1) {
        error = kafka_error::kInvalidRequiredAcks;
      } else if (!TopicStore::valid_name(name)) {
        error = kafka_error::kInvalidTopic;
      } else if (!topic || index < 0 || index >= static_cast<int32_t>(topic->partitions.size())) {
        error = kafka_error::kUnknownTopicOrPartition;
      } else {
        PartitionLog& log = *topic->partitions[static_cast<size_t>(index)];
        BatchHeader h;
        std::string why;
        auto verdict =
            check_produced_batch(records.value_or(std::string_view()), req.api_version,
                                 static_cast<size_t>(ctx.config.log.max_message_bytes), h, why);
        if (verdict != BatchVerdict::kOk) {
          error = static_cast<int16_t>(verdict);
        } else {
          // Idempotent producers: a batch sent again is answered with its first offset.
          ProducerSequences& seqs = topic->sequences[static_cast<size_t>(index)];
          SequenceVerdict sv;
          if (h.producer_id >= 0)
            sv = seqs.check(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta);
          if (sv.error != 0) {
            error = sv.error;
          } else if (sv.duplicate_of >= 0) {
            base = sv.duplicate_of;
            ++ctx.duplicate_batches;
          } else if (auto r = log.append(*records); !r) {
            error = kafka_error::kKafkaStorageError;
          } else {
            base = r.value();
            ++ctx.appended_batches;
            if (h.producer_id >= 0)
              seqs.record(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta,
                          base);
          }
        }
        log_start = log.log_start_offset();
      }
      out.i32(index);
      out.i16(error);
      out.i64(base);
      if (req.api_version >= 2) out.i64(-1);  // log_append_time: CreateTime topics
      if (req.api_version >= 5) out.i64(log_start);
      ++written;
    }
    out.patch_i32(parts_at, written);
    ++written_topics;
  }
  out.patch_i32(topics_at, written_topics);
  if (req.api_version >= 1) out.i32(0);  // throttle_time_ms, last
  if (acks == 0) return Reply::kNone;
  // A batch sent again is answered after the next sync round too: its first copy may still be
  // waiting for (or in) a round that has not finished.
  if (acks == -1 && (ctx.appended_batches > 0 || ctx.duplicate_batches > 0))
    return Reply::kAfterFlush;
  return Reply::kNow;
}

}  // namespace flumen::broker
