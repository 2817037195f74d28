#include "broker/api/api.h"

namespace flumen::broker {

namespace {

constexpr int16_t kTopicDeletionDisabled = 73;

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "4+",
    {
        {.name = "Topics",
         .type = kArray,
         .versions = "6+",
         .fields =
             {
                 {.name = "Name",
                  .type = kString,
                  .versions = "6+",
                  .nullable = "6+",
                  .default_value = "null"},
                 {.name = "TopicId", .type = kUuid, .versions = "6+"},
             }},
        {.name = "TopicNames", .type = kArray, .element = kString, .versions = "0-5"},
        {.name = "TimeoutMs", .type = kInt32, .versions = "0+"},
    }};
const Message kResponse{
    "4+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
        {.name = "Responses",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+", .nullable = "6+"},
                 {.name = "TopicId", .type = kUuid, .versions = "6+"},
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "ErrorMessage",
                  .type = kString,
                  .versions = "5+",
                  .nullable = "5+",
                  .default_value = "null"},
             }},
    }};

// DeleteTopics 0-6: removes the topic and its logs; v6 names topics by name or by id.
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  auto remove = [&](std::string name, std::string_view id) {
    Struct& r = out.add("Responses");
    if (name.empty() && !id.empty())
      if (const Topic* t = ctx.store.find_by_id(id)) name = t->name;
    if (!id.empty()) r.set("TopicId", id);
    if (name.empty()) {
      r.set_null("Name").set("ErrorCode", kafka_error::kUnknownTopicId);
      return;
    }
    r.set("Name", name);
    if (const Topic* t = ctx.store.find(name)) r.set("TopicId", t->id);
    if (!ctx.config.delete_topic_enable) {
      r.set("ErrorCode", kTopicDeletionDisabled);  // delete.topic.enable = false
      return;
    }
    r.set("ErrorCode", ctx.store.remove(name));
  };
  if (req.api_version < 6) {
    for (std::string_view name : in.strings("TopicNames"))
      remove(std::string(name), {});
  } else {
    for (const Struct& t : in.array("Topics"))
      remove(t.is_null("Name") ? std::string() : std::string(t.s("Name")), t.s("TopicId"));
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& delete_topics_api() {
  static const ApiInfo api{20, "DeleteTopics", 0, 6, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
