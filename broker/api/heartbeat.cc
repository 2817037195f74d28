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
                       }};
const Message kResponse{"4+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                        }};

// Heartbeat 0-4: REBALANCE_IN_PROGRESS tells a running member to rejoin, FENCED_INSTANCE_ID a
// static member that a newer instance replaced to stop.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  out.set("ErrorCode",
          ctx.groups.heartbeat(std::string(in.s("GroupId")), in.i32("GenerationId"),
                               std::string(in.s("MemberId")), ctx.now_ms, group_instance_id(in)));
  return Reply::kNow;
}

}  // namespace

const ApiInfo& heartbeat_api() {
  static const ApiInfo api{12, "Heartbeat", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
