#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{"4+",
                       {
                           {.name = "GroupId", .type = kString, .versions = "0+"},
                           {.name = "MemberId", .type = kString, .versions = "0-2"},
                           {.name = "Members",
                            .type = kArray,
                            .versions = "3+",
                            .fields =
                                {
                                    {.name = "MemberId", .type = kString, .versions = "3+"},
                                    {.name = "GroupInstanceId",
                                     .type = kString,
                                     .versions = "3+",
                                     .nullable = "3+",
                                     .default_value = "null"},
                                }},
                       }};
const Message kResponse{
    "4+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "Members",
         .type = kArray,
         .versions = "3+",
         .fields =
             {
                 {.name = "MemberId", .type = kString, .versions = "3+"},
                 {.name = "GroupInstanceId", .type = kString, .versions = "3+", .nullable = "3+"},
                 {.name = "ErrorCode", .type = kInt16, .versions = "3+"},
             }},
    }};

// LeaveGroup 0-4 (v3+ carries a list of members, each answered on its own).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  const std::string group(in.s("GroupId"));
  if (req.api_version < 3) {
    out.set("ErrorCode", ctx.groups.leave(group, std::string(in.s("MemberId")), ctx.now_ms));
    return Reply::kNow;
  }
  out.set("ErrorCode", kafka_error::kNone);
  for (const Struct& m : in.array("Members")) {
    Struct& r = out.add("Members");
    r.set("MemberId", m.s("MemberId"));
    if (m.is_null("GroupInstanceId")) {
      r.set_null("GroupInstanceId");
    } else {
      r.set("GroupInstanceId", m.s("GroupInstanceId"));
    }
    r.set("ErrorCode",
          ctx.groups.leave(group, std::string(m.s("MemberId")), ctx.now_ms, group_instance_id(m)));
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& leave_group_api() {
  static const ApiInfo api{13, "LeaveGroup", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
