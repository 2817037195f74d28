#include "broker/api/api.h"

namespace flumen::broker {

// OffsetCommit 2-7: checked against the group's membership and generation, stored durably.
Reply handle_offset_commit(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::string group(in.string());
  int32_t generation = in.i32();
  std::string member(in.string());
  if (req.api_version >= 2 && req.api_version <= 4) in.i64();  // retention_time_ms
  if (req.api_version >= 7) in.nullable_string();
  struct Part {
    int32_t index;
    int64_t offset;
    std::string metadata;
  };
  std::vector<std::pair<std::string, std::vector<Part>>> topics;
  int32_t nt = in.array_count(6);
  for (int32_t t = 0; t < nt && !in.failed(); ++t) {
    std::string name(in.string());
    std::vector<Part> parts;
    int32_t np = in.array_count(14);
    for (int32_t p = 0; p < np && !in.failed(); ++p) {
      Part part;
      part.index = in.i32();
      part.offset = in.i64();
      if (req.api_version >= 6) in.i32();  // committed_leader_epoch
      part.metadata = std::string(in.nullable_string().value_or(""));
      parts.push_back(std::move(part));
    }
    topics.emplace_back(std::move(name), std::move(parts));
  }
  if (in.failed()) return Reply::kNow;
  int16_t error = ctx.groups.check_commit(group, generation, member, ctx.now_ms);
  std::vector<OffsetStore::Entry> entries;
  if (error == 0) {
    for (const auto& [name, parts] : topics)
      for (const Part& p : parts)
        if (p.metadata.size() <= 4096) entries.push_back({name, p.index, p.offset, p.metadata});
    if (Status s = ctx.offsets.commit(group, entries); !s) error = kafka_error::kKafkaStorageError;
  }
  if (req.api_version >= 3) out.i32(0);
  out.i32(static_cast<int32_t>(topics.size()));
  for (const auto& [name, parts] : topics) {
    out.string(name);
    out.i32(static_cast<int32_t>(parts.size()));
    for (const Part& p : parts) {
      out.i32(p.index);
      out.i16(error != 0                 ? error
              : p.metadata.size() > 4096 ? kafka_error::kOffsetMetadataTooLarge
                                         : kafka_error::kNone);
    }
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
