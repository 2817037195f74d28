#include "broker/api/api.h"

namespace flumen::broker {

// Heartbeat 0-3: REBALANCE_IN_PROGRESS tells a running member to rejoin.
Reply handle_heartbeat(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::string group(in.string());
  int32_t generation = in.i32();
  std::string member(in.string());
  if (req.api_version >= 3) in.nullable_string();
  if (in.failed()) return Reply::kNow;
  if (req.api_version >= 1) out.i32(0);
  out.i16(ctx.groups.heartbeat(group, generation, member, ctx.now_ms));
  return Reply::kNow;
}

}  // namespace flumen::broker
