#include "broker/api/api.h"

#include <algorithm>

namespace flumen::broker {

// Fetch 4-11: whole stored batches (never a truncated first one, KIP-74), high watermark = last
// stable offset = log end offset (no transactions), no fetch sessions (session id 0), no
// preferred read replica (-1). Below min_bytes the request waits (long poll) until data arrives
// or max_wait_ms passes; the server re-runs it then.
Reply handle_fetch(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  in.i32();  // replica_id
  const int32_t max_wait = in.i32();
  const int32_t min_bytes = in.i32();
  const int32_t max_bytes = in.i32();  // v3+
  in.i8();                             // isolation_level (v4+)
  if (req.api_version >= 7) {
    in.i32();  // session_id
    in.i32();  // session_epoch
  }
  out.i32(0);  // throttle
  if (req.api_version >= 7) {
    out.i16(kafka_error::kNone);
    out.i32(0);  // session_id
  }
  size_t budget = max_bytes > 0 ? static_cast<size_t>(max_bytes) : 0;
  size_t total = 0;
  int32_t topics = in.array_count(6);
  out.i32(std::max(topics, 0));
  for (int32_t t = 0; t < topics && !in.failed(); ++t) {
    std::string_view name = in.string();
    Topic* topic = ctx.store.find(name);
    int32_t parts = in.array_count(16);
    out.string(name);
    out.i32(std::max(parts, 0));
    for (int32_t p = 0; p < parts && !in.failed(); ++p) {
      const int32_t index = in.i32();
      if (req.api_version >= 9) in.i32();  // current_leader_epoch
      const int64_t fetch_offset = in.i64();
      if (req.api_version >= 5) in.i64();  // log_start_offset (followers only)
      const int32_t partition_max = in.i32();
      out.i32(index);
      PartitionLog* log =
          topic && index >= 0 && index < static_cast<int32_t>(topic->partitions.size())
              ? topic->partitions[static_cast<size_t>(index)].get()
              : nullptr;
      int16_t error = kafka_error::kNone;
      int64_t hwm = -1, start = -1;
      bool readable = false;
      if (!log) {
        error = kafka_error::kUnknownTopicOrPartition;
      } else {
        hwm = log->log_end_offset();
        start = log->log_start_offset();
        if (fetch_offset < start || fetch_offset > hwm)
          error = kafka_error::kOffsetOutOfRange;
        else
          readable = fetch_offset < hwm;
      }
      // The error code goes before the records: read them in place after their length field,
      // then go back and set both.
      const size_t error_at = out.size();
      out.i16(error);
      out.i64(hwm);
      out.i64(hwm);  // last_stable_offset
      if (req.api_version >= 5) out.i64(start);
      out.i32(0);                              // aborted_transactions: empty
      if (req.api_version >= 11) out.i32(-1);  // preferred_read_replica
      const size_t length_at = out.reserve_i32();
      const size_t records_at = out.size();
      if (readable) {
        size_t limit = std::min<size_t>(partition_max > 0 ? static_cast<size_t>(partition_max) : 0,
                                        budget > total ? budget - total : 0);
        if (Status s = log->read(fetch_offset, limit, total == 0, out.buffer()); !s) {
          out.buffer().resize(records_at);
          out.patch_i16(error_at, kafka_error::kKafkaStorageError);
        }
      }
      const size_t n = out.size() - records_at;  // 0, never -1
      out.patch_i32(length_at, static_cast<int32_t>(n));
      total += n;
    }
  }
  if (req.api_version >= 7) {
    int32_t forgotten = in.array_count(6);
    for (int32_t i = 0; i < forgotten && !in.failed(); ++i) {
      in.string();
      int32_t n = in.array_count(4);
      for (int32_t k = 0; k < n && !in.failed(); ++k)
        in.i32();
    }
  }
  if (req.api_version >= 11) in.string();  // rack_id
  if (!ctx.final_attempt && max_wait > 0 && static_cast<int64_t>(total) < std::max(min_bytes, 1)) {
    ctx.wait_ms = max_wait;
    return Reply::kWaitForData;
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
