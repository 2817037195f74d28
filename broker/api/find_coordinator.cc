#include "broker/api/api.h"

namespace flumen::broker {

// FindCoordinator 0-2: we are the coordinator of every group (same node id, host and port as in
// Metadata). Transactions (key_type 1) have none.
Reply handle_find_coordinator(ApiContext& ctx, const Request& req, WireReader& in,
                              WireWriter& out) {
  in.string();  // key
  int8_t key_type = req.api_version >= 1 ? in.i8() : 0;
  if (req.api_version >= 1) out.i32(0);  // throttle
  const bool ok = key_type == 0;
  out.i16(ok ? kafka_error::kNone : kafka_error::kCoordinatorNotAvailable);
  if (req.api_version >= 1)
    out.nullable_string(ok ? std::optional<std::string_view>() : "no transaction coordinator");
  out.i32(ok ? ctx.config.node_id : -1);
  out.string(ok ? ctx.advertised_host : "");
  out.i32(ok ? ctx.advertised_port : -1);
  return Reply::kNow;
}

}  // namespace flumen::broker
