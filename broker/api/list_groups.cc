#include <algorithm>
#include <set>

#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "3+",
    {
        {.name = "StatesFilter", .type = kArray, .element = kString, .versions = "4+"},
    }};
const Message kResponse{"3+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                            {.name = "Groups",
                             .type = kArray,
                             .versions = "0+",
                             .fields =
                                 {
                                     {.name = "GroupId", .type = kString, .versions = "0+"},
                                     {.name = "ProtocolType", .type = kString, .versions = "0+"},
                                     {.name = "GroupState", .type = kString, .versions = "4+"},
                                 }},
                        }};

// ListGroups 0-4: every group with its protocol type and (v4+) its state; v4 may filter by
// state (an empty filter lists all). Groups that only have committed offsets (after a restart:
// the coordinator keeps no state on disk) are listed as Empty consumer groups, as Kafka, which
// reloads its groups, lists them.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  ctx.groups.tick(ctx.now_ms);  // members whose session ended since the last tick are gone
  const std::vector<std::string_view> states = in.strings("StatesFilter");
  out.set("ErrorCode", kafka_error::kNone);
  auto add = [&](const std::string& id, std::string_view state, const std::string& type) {
    if (!states.empty() && std::find(states.begin(), states.end(), state) == states.end()) return;
    out.add("Groups").set("GroupId", id).set("ProtocolType", type).set("GroupState", state);
  };
  std::set<std::string> known;
  for (const auto& g : ctx.groups.list()) {
    known.insert(g.group_id);
    add(g.group_id, group_state_name(g.state), g.protocol_type);
  }
  for (const std::string& id : ctx.offsets.groups())
    if (!known.count(id)) add(id, "Empty", "consumer");
  return Reply::kNow;
}

}  // namespace

const ApiInfo& list_groups_api() {
  static const ApiInfo api{16, "ListGroups", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
