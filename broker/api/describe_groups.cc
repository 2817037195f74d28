#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{"5+",
                       {
                           {.name = "Groups", .type = kArray, .element = kString, .versions = "0+"},
                           {.name = "IncludeAuthorizedOperations", .type = kBool, .versions = "3+"},
                       }};
const Message kResponse{
    "5+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
        {.name = "Groups",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "ErrorMessage",
                  .type = kString,
                  .versions = "6+",
                  .nullable = "6+",
                  .default_value = "null"},
                 {.name = "GroupId", .type = kString, .versions = "0+"},
                 {.name = "GroupState", .type = kString, .versions = "0+"},
                 {.name = "ProtocolType", .type = kString, .versions = "0+"},
                 {.name = "ProtocolData", .type = kString, .versions = "0+"},
                 {.name = "Members",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "MemberId", .type = kString, .versions = "0+"},
                          {.name = "GroupInstanceId",
                           .type = kString,
                           .versions = "4+",
                           .nullable = "4+",
                           .default_value = "null"},
                          {.name = "ClientId", .type = kString, .versions = "0+"},
                          {.name = "ClientHost", .type = kString, .versions = "0+"},
                          {.name = "MemberMetadata", .type = kBytes, .versions = "0+"},
                          {.name = "MemberAssignment", .type = kBytes, .versions = "0+"},
                      }},
                 {.name = "AuthorizedOperations",
                  .type = kInt32,
                  .versions = "3+",
                  .default_value = "-2147483648"},
             }},
    }};

// DescribeGroups 0-6: state, assignor and members (with their static instance id, metadata and
// assignment). A group the coordinator does not hold but that has committed offsets (after a
// restart: the coordinator keeps no state on disk) is an Empty consumer group, as Kafka, which
// reloads its groups, says (the protocol type is not kept: "consumer", what Kafka's tools
// list). An unknown group is Dead with no members up to v5, GROUP_ID_NOT_FOUND from v6
// (KIP-1043).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  ctx.groups.tick(ctx.now_ms);  // members whose session ended since the last tick are gone
  for (std::string_view id : in.strings("Groups")) {
    auto info = ctx.groups.describe(std::string(id));
    const bool offsets_only = !info && !ctx.offsets.all(std::string(id)).empty();
    Struct& g = out.add("Groups");
    g.set("ErrorCode", kafka_error::kNone).set("GroupId", id);
    if (in.b("IncludeAuthorizedOperations")) g.set("AuthorizedOperations", kGroupOperations);
    if (!info && !offsets_only && req.api_version >= 6) {
      g.set("ErrorCode", kafka_error::kGroupIdNotFound)
          .set("ErrorMessage", "Group " + std::string(id) + " not found.")
          .set("GroupState", "Dead")
          .set("ProtocolType", "")
          .set("ProtocolData", "");
      continue;
    }
    g.set("GroupState", info           ? group_state_name(info->state)
                        : offsets_only ? "Empty"
                                       : "Dead")
        .set("ProtocolType", info           ? info->protocol_type
                             : offsets_only ? "consumer"
                                            : "")
        .set("ProtocolData", info ? info->protocol : "");
    if (!info) continue;
    for (const auto& m : info->members) {
      Struct& r = g.add("Members");
      r.set("MemberId", m.member_id)
          .set("ClientId", m.client_id)
          .set("ClientHost", m.client_host)
          .set("MemberMetadata", m.metadata)
          .set("MemberAssignment", m.assignment);
      if (m.instance_id) r.set("GroupInstanceId", *m.instance_id);
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& describe_groups_api() {
  static const ApiInfo api{15, "DescribeGroups", 0, 6, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
