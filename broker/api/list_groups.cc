#include "broker/api/api.h"

namespace flumen::broker {

// ListGroups 0-2 (not 3+: librdkafka < 2.1 adds a field there).
Reply handle_list_groups(ApiContext& ctx, const Request& req, WireReader&, WireWriter& out) {
  if (req.api_version >= 1) out.i32(0);
  out.i16(kafka_error::kNone);
  auto groups = ctx.groups.list();
  out.i32(static_cast<int32_t>(groups.size()));
  for (const auto& [id, type] : groups) {
    out.string(id);
    out.string(type);
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
