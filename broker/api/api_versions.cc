#include "broker/api/api.h"

namespace flumen::broker {

// ApiVersions 0-3. v3's body is flexible (compact array, tag sections) but, unlike every other
// flexible response, its header stays v0: the server writes no header tag byte for it.
Reply handle_api_versions(ApiContext&, const Request& req, WireReader& in, WireWriter& out) {
  if (req.api_version >= 3) {
    // client_software_name and _version: informational, never validated (librdkafka would fall
    // back to v0 on an error).
    in.compact_string();
    in.compact_string();
    in.skip_tagged_fields();
  }
  const auto& apis = api_table();
  out.i16(kafka_error::kNone);
  if (req.api_version >= 3) {
    out.uvarint(apis.size() + 1);
  } else {
    out.i32(static_cast<int32_t>(apis.size()));
  }
  for (const ApiInfo& a : apis) {
    out.i16(a.key);
    out.i16(a.min_version);
    out.i16(a.max_version);
    if (req.api_version >= 3) out.uvarint(0);
  }
  if (req.api_version >= 1) out.i32(0);  // throttle_time_ms, last
  if (req.api_version >= 3) out.uvarint(0);
  return Reply::kNow;
}

}  // namespace flumen::broker
