#include "broker/api/api.h"

namespace flumen::broker {

// DeleteTopics 0-1: removes the topic and its logs.
Reply handle_delete_topics(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::vector<std::string_view> names;
  int32_t n = in.array_count(2);
  for (int32_t i = 0; i < n && !in.failed(); ++i)
    names.push_back(in.string());
  in.i32();  // timeout_ms
  if (in.failed()) return Reply::kNow;
  if (req.api_version >= 1) out.i32(0);
  out.i32(static_cast<int32_t>(names.size()));
  for (std::string_view name : names) {
    out.string(name);
    out.i16(ctx.store.remove(name));
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
