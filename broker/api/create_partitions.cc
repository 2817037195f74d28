#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{"2+",
                       {
                           {.name = "Topics",
                            .type = kArray,
                            .versions = "0+",
                            .fields =
                                {
                                    {.name = "Name", .type = kString, .versions = "0+"},
                                    {.name = "Count", .type = kInt32, .versions = "0+"},
                                    {.name = "Assignments",
                                     .type = kArray,
                                     .versions = "0+",
                                     .nullable = "0+",
                                     .fields =
                                         {
                                             {.name = "BrokerIds",
                                              .type = kArray,
                                              .element = kInt32,
                                              .versions = "0+"},
                                         }},
                                }},
                           {.name = "TimeoutMs", .type = kInt32, .versions = "0+"},
                           {.name = "ValidateOnly", .type = kBool, .versions = "0+"},
                       }};
const Message kResponse{"2+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
                            {.name = "Results",
                             .type = kArray,
                             .versions = "0+",
                             .fields =
                                 {
                                     {.name = "Name", .type = kString, .versions = "0+"},
                                     {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                                     {.name = "ErrorMessage",
                                      .type = kString,
                                      .versions = "0+",
                                      .nullable = "0+",
                                      .default_value = "null"},
                                 }},
                        }};

// CreatePartitions 0-3: grows a topic to Count partitions (never shrinks); an assignment may
// only name this broker, one replica per new partition.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  for (const Struct& t : in.array("Topics")) {
    Struct& r = out.add("Results");
    r.set("Name", t.s("Name"));
    std::string why;
    int16_t error = kafka_error::kNone;
    Topic* topic = ctx.store.find(t.s("Name"));
    for (const Struct& a : t.array("Assignments")) {
      const auto brokers = a.ints("BrokerIds");
      if (brokers.size() != 1 || brokers[0] != ctx.config.node_id) {
        error = kafka_error::kInvalidReplicaAssignment;
        why = "this single broker is node " + std::to_string(ctx.config.node_id) +
              ": each partition has that one replica";
      }
    }
    if (!topic) {
      error = kafka_error::kUnknownTopicOrPartition;
      why = "no topic " + std::string(t.s("Name"));
    } else if (error == 0 && t.i("Count") <= static_cast<int64_t>(topic->partitions.size())) {
      error = kafka_error::kInvalidPartitions;
      why = "topic has " + std::to_string(topic->partitions.size()) +
            " partition(s): the new count must be larger";
    } else if (error == 0 && !in.b("ValidateOnly")) {
      error = ctx.store.add_partitions(*topic, t.i32("Count"), why);
    }
    r.set("ErrorCode", error);
    if (error) r.set("ErrorMessage", why);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& create_partitions_api() {
  static const ApiInfo api{37, "CreatePartitions", 0, 3, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
