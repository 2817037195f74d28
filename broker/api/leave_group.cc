#include "broker/api/api.h"

namespace flumen::broker {

// LeaveGroup 0-3 (v3 carries a list of members, each answered on its own).
Reply handle_leave_group(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::string group(in.string());
  if (req.api_version < 3) {
    std::string member(in.string());
    if (in.failed()) return Reply::kNow;
    if (req.api_version >= 1) out.i32(0);
    out.i16(ctx.groups.leave(group, member, ctx.now_ms));
    return Reply::kNow;
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
  int32_t n = in.array_count(4);
  for (int32_t i = 0; i < n && !in.failed(); ++i) {
    std::string id(in.string());
    auto instance = in.nullable_string();
    members.emplace_back(std::move(id), instance
                                            ? std::optional<std::string>(std::string(*instance))
                                            : std::nullopt);
  }
  if (in.failed()) return Reply::kNow;
  out.i32(0);
  out.i16(kafka_error::kNone);
  out.i32(static_cast<int32_t>(members.size()));
  for (const auto& [id, instance] : members) {
    out.string(id);
    out.nullable_string(instance ? std::optional<std::string_view>(*instance) : std::nullopt);
    out.i16(ctx.groups.leave(group, id, ctx.now_ms));
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
