#include "broker/api/api.h"

namespace flumen::broker {

// SyncGroup 0-3: the leader brings the assignments; followers wait for them.
Reply handle_sync_group(ApiContext& ctx, const Request& req, WireReader& in, WireWriter&) {
  std::string group(in.string());
  int32_t generation = in.i32();
  std::string member(in.string());
  if (req.api_version >= 3) in.nullable_string();
  std::vector<std::pair<std::string, std::string>> assignments;
  int32_t n = in.array_count(6);
  for (int32_t i = 0; i < n && !in.failed(); ++i) {
    std::string id(in.string());
    std::string a(in.nullable_bytes().value_or(std::string_view()));
    assignments.emplace_back(std::move(id), std::move(a));
  }
  if (in.failed()) return Reply::kNow;
  ctx.deferred = std::make_shared<ReplySlot>();
  ctx.groups.sync(req.api_version, group, generation, member, std::move(assignments), ctx.now_ms,
                  ctx.deferred);
  return Reply::kDeferred;
}

}  // namespace flumen::broker
