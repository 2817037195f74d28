#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "6+",
    {
        {.name = "GroupId", .type = kString, .versions = "0+"},
        {.name = "SessionTimeoutMs", .type = kInt32, .versions = "0+"},
        {.name = "RebalanceTimeoutMs", .type = kInt32, .versions = "1+", .default_value = "-1"},
        {.name = "MemberId", .type = kString, .versions = "0+"},
        {.name = "GroupInstanceId",
         .type = kString,
         .versions = "5+",
         .nullable = "5+",
         .default_value = "null"},
        {.name = "ProtocolType", .type = kString, .versions = "0+"},
        {.name = "Protocols",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Metadata", .type = kBytes, .versions = "0+"},
             }},
    }};
const Message kResponse{
    "6+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "2+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "GenerationId", .type = kInt32, .versions = "0+", .default_value = "-1"},
        {.name = "ProtocolType",
         .type = kString,
         .versions = "7+",
         .nullable = "7+",
         .default_value = "null"},
        {.name = "ProtocolName", .type = kString, .versions = "0+", .nullable = "7+"},
        {.name = "Leader", .type = kString, .versions = "0+"},
        {.name = "MemberId", .type = kString, .versions = "0+"},
        {.name = "Members",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "MemberId", .type = kString, .versions = "0+"},
                 {.name = "GroupInstanceId",
                  .type = kString,
                  .versions = "5+",
                  .nullable = "5+",
                  .default_value = "null"},
                 {.name = "Metadata", .type = kBytes, .versions = "0+"},
             }},
    }};

// JoinGroup 0-7: parsed here, decided by the coordinator, answered now or when the join phase
// completes (encoded then, for the version the member asked in).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct&) {
  JoinRequest j;
  j.version = req.api_version;
  j.group_id = std::string(in.s("GroupId"));
  j.session_timeout_ms = in.i32("SessionTimeoutMs");
  j.rebalance_timeout_ms =
      req.api_version >= 1 ? in.i32("RebalanceTimeoutMs") : j.session_timeout_ms;
  j.member_id = std::string(in.s("MemberId"));
  if (!in.is_null("GroupInstanceId")) j.instance_id = std::string(in.s("GroupInstanceId"));
  j.protocol_type = std::string(in.s("ProtocolType"));
  for (const Struct& p : in.array("Protocols"))
    j.protocols.emplace_back(std::string(p.s("Name")), std::string(p.s("Metadata")));
  j.client_id = std::string(req.client_id.value_or(""));
  j.client_host = std::string(ctx.client_host);
  ctx.deferred = std::make_shared<ReplySlot>();
  ctx.deferred->encode = [version = req.api_version](const GroupAnswer& a) {
    Struct out(kResponse.fields);
    out.set("ErrorCode", a.error)
        .set("GenerationId", a.generation)
        .set("ProtocolName", a.protocol)
        .set("Leader", a.leader)
        .set("MemberId", a.member_id);
    if (a.error == 0) out.set("ProtocolType", a.protocol_type);
    for (const GroupAnswer::Member& m : a.members) {
      Struct& r = out.add("Members");
      r.set("MemberId", m.id).set("Metadata", m.metadata);
      if (m.instance_id) r.set("GroupInstanceId", *m.instance_id);
    }
    return encoded(kResponse, version, out);
  };
  ctx.groups.join(j, ctx.now_ms, ctx.deferred);
  return Reply::kDeferred;
}

}  // namespace

const ApiInfo& join_group_api() {
  static const ApiInfo api{11, "JoinGroup", 0, 7, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
