#include "broker/api/api.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "2+",
    {
        {.name = "Resources",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ResourceType", .type = kInt8, .versions = "0+"},
                 {.name = "ResourceName", .type = kString, .versions = "0+"},
                 {.name = "Configs",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "Name", .type = kString, .versions = "0+"},
                          {.name = "Value", .type = kString, .versions = "0+", .nullable = "0+"},
                      }},
             }},
        {.name = "ValidateOnly", .type = kBool, .versions = "0+"},
    }};
const Message kResponse{
    "2+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "Responses",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                 {.name = "ErrorMessage", .type = kString, .versions = "0+", .nullable = "0+"},
                 {.name = "ResourceType", .type = kInt8, .versions = "0+"},
                 {.name = "ResourceName", .type = kString, .versions = "0+"},
             }},
    }};

// AlterConfigs 0-2: a topic's overrides become exactly the ones given (Kafka's semantics: what
// is not named returns to the broker's default), each validated first; nothing changes when one
// is refused. Broker configs come from the conf file and are not alterable here.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  answer_alter_configs(ctx, in, out, /*incremental=*/false);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& alter_configs_api() {
  static const ApiInfo api{33, "AlterConfigs", 0, 2, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
