#include "broker/api/api.h"

#include <map>

namespace flumen::broker {

// OffsetFetch 1-5: -1 for partitions without a commit (an unknown group is not an error); a null
// topic list (v2+) asks for every committed partition of the group.
Reply handle_offset_fetch(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::string group(in.string());
  std::map<std::string, std::vector<int32_t>> wanted;
  int32_t nt = in.array_count(6);
  for (int32_t t = 0; t < nt && !in.failed(); ++t) {
    std::string name(in.string());
    int32_t np = in.array_count(4);
    auto& parts = wanted[name];
    for (int32_t p = 0; p < np && !in.failed(); ++p)
      parts.push_back(in.i32());
  }
  if (in.failed()) return Reply::kNow;
  std::map<std::string, std::vector<std::pair<int32_t, CommittedOffset>>> answer;
  if (nt < 0) {
    for (auto& e : ctx.offsets.all(group))
      answer[e.topic].emplace_back(e.partition, CommittedOffset{e.offset, e.metadata});
  } else {
    for (const auto& [name, parts] : wanted)
      for (int32_t p : parts)
        answer[name].emplace_back(p, ctx.offsets.get(group, name, p).value_or(CommittedOffset{}));
  }
  if (req.api_version >= 3) out.i32(0);
  out.i32(static_cast<int32_t>(answer.size()));
  for (const auto& [name, parts] : answer) {
    out.string(name);
    out.i32(static_cast<int32_t>(parts.size()));
    for (const auto& [index, c] : parts) {
      out.i32(index);
      out.i64(c.offset);
      if (req.api_version >= 5) out.i32(-1);  // committed_leader_epoch
      out.nullable_string(c.metadata);
      out.i16(kafka_error::kNone);
    }
  }
  if (req.api_version >= 2) out.i16(kafka_error::kNone);
  return Reply::kNow;
}

}  // namespace flumen::broker
