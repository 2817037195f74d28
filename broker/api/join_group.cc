#include "broker/api/api.h"

namespace flumen::broker {

// JoinGroup 0-5: parsed here, decided by the coordinator, answered now or when the join phase
// completes.
Reply handle_join_group(ApiContext& ctx, const Request& req, WireReader& in, WireWriter&) {
  JoinRequest j;
  j.version = req.api_version;
  j.group_id = std::string(in.string());
  j.session_timeout_ms = in.i32();
  j.rebalance_timeout_ms = req.api_version >= 1 ? in.i32() : j.session_timeout_ms;
  j.member_id = std::string(in.string());
  if (req.api_version >= 5) in.nullable_string();  // group_instance_id: treated as dynamic
  j.protocol_type = std::string(in.string());
  int32_t n = in.array_count(6);
  for (int32_t i = 0; i < n && !in.failed(); ++i) {
    std::string name(in.string());
    std::string meta(in.nullable_bytes().value_or(std::string_view()));
    j.protocols.emplace_back(std::move(name), std::move(meta));
  }
  if (in.failed()) return Reply::kNow;
  j.client_id = std::string(req.client_id.value_or(""));
  j.client_host = std::string(ctx.client_host);
  ctx.deferred = std::make_shared<ReplySlot>();
  ctx.groups.join(j, ctx.now_ms, ctx.deferred);
  return Reply::kDeferred;
}

}  // namespace flumen::broker
