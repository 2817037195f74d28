#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them.
const Message kRequest{
    "2+",
    {
        {.name = "GroupsNames", .type = kArray, .element = kString, .versions = "0+"},
    }};
const Message kResponse{"2+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
                            {.name = "Results",
                             .type = kArray,
                             .versions = "0+",
                             .fields =
                                 {
                                     {.name = "GroupId", .type = kString, .versions = "0+"},
                                     {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                                 }},
                        }};

// DeleteGroups 0-2: a group without members goes with its committed offsets. A group exists
// while the coordinator knows it or it has committed offsets (after a restart only the
// offsets are left); one with members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  ctx.groups.tick(ctx.now_ms);  // members whose session ended since the last tick are gone
  for (std::string_view id_view : in.strings("GroupsNames")) {
    const std::string id(id_view);
    const bool known = ctx.groups.describe(id).has_value() || !ctx.offsets.all(id).empty();
    int16_t error = known ? ctx.groups.remove(id) : kafka_error::kGroupIdNotFound;
    if (error == kafka_error::kNone && !ctx.offsets.remove(id, {}))
      error = kafka_error::kKafkaStorageError;
    out.add("Results").set("GroupId", id).set("ErrorCode", error);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& delete_groups_api() {
  static const ApiInfo api{42, "DeleteGroups", 0, 2, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
