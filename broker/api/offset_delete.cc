#include "broker/api/api.h"

#include <set>

#include "agent/util/byte_order.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them.
const Message kRequest{
    "none",
    {
        {.name = "GroupId", .type = kString, .versions = "0+"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields = {{.name = "PartitionIndex", .type = kInt32, .versions = "0+"}}},
             }},
    }};
const Message kResponse{
    "none",
    {
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Partitions",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                      }},
             }},
    }};

// The topics a consumer member subscribed to, from its JoinGroup metadata (Kafka's
// ConsumerProtocolSubscription: version int16, then an array of topic names: int32 count,
// int16 length + bytes each). Metadata that does not parse counts as subscribed to everything,
// so offsets a live member may use are never deleted.
bool subscribed_topics(std::string_view meta, std::set<std::string>& topics) {
  if (meta.size() < 6) return false;
  const auto count = util::load_be<int32_t>(meta.data() + 2);
  size_t pos = 6;
  for (int32_t i = 0; i < count; ++i) {
    if (pos + 2 > meta.size()) return false;
    const auto len = util::load_be<int16_t>(meta.data() + pos);
    pos += 2;
    if (len < 0 || pos + static_cast<size_t>(len) > meta.size()) return false;
    topics.emplace(meta.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len);
  }
  return true;
}

// OffsetDelete 0: forgets a group's committed offsets of some partitions. As Kafka: an unknown
// group is GROUP_ID_NOT_FOUND; a group with members that is not a consumer group is
// NON_EMPTY_GROUP; a partition of a topic its members subscribe to is GROUP_SUBSCRIBED_TO_TOPIC;
// a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  const std::string group(in.s("GroupId"));
  const auto info = ctx.groups.describe(group);
  int16_t error = kafka_error::kNone;
  std::set<std::string> subscribed;
  bool all_subscribed = false;
  if (!info && ctx.offsets.all(group).empty()) {
    error = kafka_error::kGroupIdNotFound;
  } else if (info && !info->members.empty()) {
    if (info->protocol_type != "consumer") error = kafka_error::kNonEmptyGroup;
    for (const auto& m : info->members)
      if (!subscribed_topics(m.metadata, subscribed)) all_subscribed = true;
  }
  out.set("ErrorCode", error);
  if (error != kafka_error::kNone) return Reply::kNow;
  std::vector<std::pair<std::string, int32_t>> remove;
  for (const Struct& t : in.array("Topics")) {
    const std::string topic(t.s("Name"));
    Struct& rt = out.add("Topics");
    rt.set("Name", topic);
    for (const Struct& p : t.array("Partitions")) {
      int16_t perror = kafka_error::kNone;
      if (!find_partition(ctx.store.find(topic), p.i("PartitionIndex"))) {
        perror = kafka_error::kUnknownTopicOrPartition;
      } else if (all_subscribed || subscribed.count(topic)) {
        perror = kafka_error::kGroupSubscribedToTopic;
      } else {
        remove.emplace_back(topic, p.i32("PartitionIndex"));
      }
      rt.add("Partitions").set("PartitionIndex", p.i("PartitionIndex")).set("ErrorCode", perror);
    }
  }
  if (!remove.empty() && !ctx.offsets.remove(group, remove)) {
    out.set("ErrorCode", kafka_error::kKafkaStorageError);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& offset_delete_api() {
  static const ApiInfo api{47, "OffsetDelete", 0, 0, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
