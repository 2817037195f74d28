#include "broker/api/api.h"

namespace flumen::broker {

// ListOffsets 1-3: -1 = latest (log end offset), -2 = earliest (log start offset), t >= 0 = the
// first batch whose max timestamp reaches t (batch-granular, as the time index).
Reply handle_list_offsets(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  in.i32();                              // replica_id
  if (req.api_version >= 2) in.i8();     // isolation_level
  if (req.api_version >= 2) out.i32(0);  // throttle
  int32_t topics = in.array_count(6);
  out.i32(std::max(topics, 0));
  for (int32_t t = 0; t < topics && !in.failed(); ++t) {
    std::string_view name = in.string();
    Topic* topic = ctx.store.find(name);
    int32_t parts = in.array_count(12);
    out.string(name);
    out.i32(std::max(parts, 0));
    for (int32_t p = 0; p < parts && !in.failed(); ++p) {
      const int32_t index = in.i32();
      const int64_t ts = in.i64();
      out.i32(index);
      PartitionLog* log =
          topic && index >= 0 && index < static_cast<int32_t>(topic->partitions.size())
              ? topic->partitions[static_cast<size_t>(index)].get()
              : nullptr;
      if (!log) {
        out.i16(kafka_error::kUnknownTopicOrPartition);
        out.i64(-1);
        out.i64(-1);
        continue;
      }
      int64_t offset = -1, found = -1;
      if (ts == -1) {
        offset = log->log_end_offset();
      } else if (ts == -2) {
        offset = log->log_start_offset();
      } else {
        offset = log->offset_for_timestamp(ts, found);
      }
      out.i16(kafka_error::kNone);
      out.i64(found);
      out.i64(offset);
    }
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
