#include "broker/api/api.h"
#include "broker/storage/topic_config.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "1+",
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
                          {.name = "ConfigOperation", .type = kInt8, .versions = "0+"},
                          {.name = "Value", .type = kString, .versions = "0+", .nullable = "0+"},
                      }},
             }},
        {.name = "ValidateOnly", .type = kBool, .versions = "0+"},
    }};
const Message kResponse{
    "1+",
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

// IncrementalAlterConfigs 0-1: SET (0) and DELETE (1) of single topic overrides, APPEND (2) and
// SUBTRACT (3) of items of a list config (cleanup.policy; others: INVALID_CONFIG, as Kafka
// answers), each validated first; nothing changes when one is refused.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  answer_alter_configs(ctx, in, out, /*incremental=*/true);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& incremental_alter_configs_api() {
  static const ApiInfo api{44, "IncrementalAlterConfigs", 0, 1, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
