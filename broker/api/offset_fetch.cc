#include <map>

#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "6+",
    {
        {.name = "GroupId", .type = kString, .versions = "0-7"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0-7",
         .nullable = "2-7",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0-7"},
                 {.name = "PartitionIndexes", .type = kArray, .element = kInt32, .versions = "0-7"},
             }},
        {.name = "Groups",
         .type = kArray,
         .versions = "8+",
         .fields =
             {
                 {.name = "GroupId", .type = kString, .versions = "8+"},
                 {.name = "Topics",
                  .type = kArray,
                  .versions = "8+",
                  .nullable = "8+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "8+"},
                          {.name = "PartitionIndexes",
                           .type = kArray,
                           .element = kInt32,
                           .versions = "8+"},
                      }},
             }},
        {.name = "RequireStable", .type = kBool, .versions = "7+", .default_value = "false"},
    }};
const Message kResponse{
    "6+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "3+"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0-7",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0-7"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0-7",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0-7"},
                          {.name = "CommittedOffset", .type = kInt64, .versions = "0-7"},
                          {.name = "CommittedLeaderEpoch",
                           .type = kInt32,
                           .versions = "5-7",
                           .default_value = "-1"},
                          {.name = "Metadata",
                           .type = kString,
                           .versions = "0-7",
                           .nullable = "0-7"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0-7"},
                      }},
             }},
        {.name = "ErrorCode", .type = kInt16, .versions = "2-7", .default_value = "0"},
        {.name = "Groups",
         .type = kArray,
         .versions = "8+",
         .fields =
             {
                 {.name = "GroupId", .type = kString, .versions = "8+"},
                 {.name = "Topics",
                  .type = kArray,
                  .versions = "8+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "8+"},
                          {.name = "Partitions",
                           .type = kArray,
                           .versions = "8+",
                           .fields =
                               {
                                   {.name = "PartitionIndex", .type = kInt32, .versions = "8+"},
                                   {.name = "CommittedOffset", .type = kInt64, .versions = "8+"},
                                   {.name = "CommittedLeaderEpoch",
                                    .type = kInt32,
                                    .versions = "8+",
                                    .default_value = "-1"},
                                   {.name = "Metadata",
                                    .type = kString,
                                    .versions = "8+",
                                    .nullable = "8+"},
                                   {.name = "ErrorCode", .type = kInt16, .versions = "8+"},
                               }},
                      }},
                 {.name = "ErrorCode", .type = kInt16, .versions = "8+", .default_value = "0"},
             }},
    }};

// One group's answer into `topics_holder` (the response itself before v8, a group after):
// -1 for partitions without a commit (an unknown group is not an error); a null topic list (v2+)
// asks for every committed partition of the group.
void fetch_group(ApiContext& ctx, const std::string& group, const Struct& wanted, bool all,
                 Struct& topics_holder) {
  std::map<std::string, std::vector<std::pair<int32_t, CommittedOffset>>> answer;
  if (all) {
    for (auto& e : ctx.offsets.all(group))
      answer[e.topic].emplace_back(e.partition,
                                   CommittedOffset{e.offset, e.metadata, e.leader_epoch});
  } else {
    for (const Struct& t : wanted.array("Topics")) {
      const std::string name(t.s("Name"));
      auto& parts = answer[name];
      for (int64_t p : t.ints("PartitionIndexes"))
        parts.emplace_back(
            static_cast<int32_t>(p),
            ctx.offsets.get(group, name, static_cast<int32_t>(p)).value_or(CommittedOffset{}));
    }
  }
  for (const auto& [name, parts] : answer) {
    Struct& t = topics_holder.add("Topics");
    t.set("Name", name);
    for (const auto& [index, c] : parts)
      t.add("Partitions")
          .set("PartitionIndex", index)
          .set("CommittedOffset", c.offset)
          .set("CommittedLeaderEpoch", c.leader_epoch)
          .set("Metadata", c.metadata)
          .set("ErrorCode", kafka_error::kNone);
  }
}

// OffsetFetch 0-8 (v8 asks for several groups at once).
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  if (req.api_version < 8) {
    fetch_group(ctx, std::string(in.s("GroupId")), in, req.api_version >= 2 && in.is_null("Topics"),
                out);
    out.set("ErrorCode", kafka_error::kNone);
    return Reply::kNow;
  }
  for (const Struct& g : in.array("Groups")) {
    Struct& r = out.add("Groups");
    r.set("GroupId", g.s("GroupId")).set("ErrorCode", kafka_error::kNone);
    fetch_group(ctx, std::string(g.s("GroupId")), g, g.is_null("Topics"), r);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& offset_fetch_api() {
  static const ApiInfo api{9, "OffsetFetch", 0, 8, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
