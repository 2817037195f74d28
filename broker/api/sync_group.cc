#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{"4+",
                       {
                           {.name = "GroupId", .type = kString, .versions = "0+"},
                           {.name = "GenerationId", .type = kInt32, .versions = "0+"},
                           {.name = "MemberId", .type = kString, .versions = "0+"},
                           {.name = "GroupInstanceId",
                            .type = kString,
                            .versions = "3+",
                            .nullable = "3+",
                            .default_value = "null"},
                           {.name = "ProtocolType",
                            .type = kString,
                            .versions = "5+",
                            .nullable = "5+",
                            .default_value = "null"},
                           {.name = "ProtocolName",
                            .type = kString,
                            .versions = "5+",
                            .nullable = "5+",
                            .default_value = "null"},
                           {.name = "Assignments",
                            .type = kArray,
                            .versions = "0+",
                            .fields =
                                {
                                    {.name = "MemberId", .type = kString, .versions = "0+"},
                                    {.name = "Assignment", .type = kBytes, .versions = "0+"},
                                }},
                       }};
const Message kResponse{"4+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                            {.name = "ProtocolType",
                             .type = kString,
                             .versions = "5+",
                             .nullable = "5+",
                             .default_value = "null"},
                            {.name = "ProtocolName",
                             .type = kString,
                             .versions = "5+",
                             .nullable = "5+",
                             .default_value = "null"},
                            {.name = "Assignment", .type = kBytes, .versions = "0+"},
                        }};

// SyncGroup 0-5: the leader brings the assignments; followers wait for them.
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct&) {
  std::vector<std::pair<std::string, std::string>> assignments;
  for (const Struct& a : in.array("Assignments"))
    assignments.emplace_back(std::string(a.s("MemberId")), std::string(a.s("Assignment")));
  ctx.deferred = std::make_shared<ReplySlot>();
  ctx.deferred->encode = [version = req.api_version](const GroupAnswer& a) {
    Struct out(kResponse.fields);
    out.set("ErrorCode", a.error).set("Assignment", a.assignment);
    if (a.error == 0) out.set("ProtocolType", a.protocol_type).set("ProtocolName", a.protocol);
    return encoded(kResponse, version, out);
  };
  ctx.groups.sync(std::string(in.s("GroupId")), in.i32("GenerationId"),
                  std::string(in.s("MemberId")), std::move(assignments), ctx.now_ms, ctx.deferred,
                  group_instance_id(in));
  return Reply::kDeferred;
}

}  // namespace

const ApiInfo& sync_group_api() {
  static const ApiInfo api{14, "SyncGroup", 0, 5, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
