#include "broker/api/api.h"

namespace flumen::broker {

// DescribeGroups 0-2: state, assignor and members (with their metadata and assignment blobs).
Reply handle_describe_groups(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  std::vector<std::string> ids;
  int32_t n = in.array_count(2);
  for (int32_t i = 0; i < n && !in.failed(); ++i)
    ids.emplace_back(in.string());
  if (in.failed()) return Reply::kNow;
  if (req.api_version >= 1) out.i32(0);
  out.i32(static_cast<int32_t>(ids.size()));
  for (const std::string& id : ids) {
    auto info = ctx.groups.describe(id);
    out.i16(kafka_error::kNone);
    out.string(id);
    out.string(info ? group_state_name(info->state) : "Dead");
    out.string(info ? info->protocol_type : "");
    out.string(info ? info->protocol : "");
    out.i32(info ? static_cast<int32_t>(info->members.size()) : 0);
    if (!info) continue;
    for (const auto& m : info->members) {
      out.string(m.member_id);
      out.string(m.client_id);
      out.string(m.client_host);
      out.bytes(m.metadata);
      out.bytes(m.assignment);
    }
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
