#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{"3+",
                       {
                           {.name = "ClientSoftwareName", .type = kString, .versions = "3+"},
                           {.name = "ClientSoftwareVersion", .type = kString, .versions = "3+"},
                       }};
const Message kResponse{"3+",
                        {
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                            {.name = "ApiKeys",
                             .type = kArray,
                             .versions = "0+",
                             .fields =
                                 {
                                     {.name = "ApiKey", .type = kInt16, .versions = "0+"},
                                     {.name = "MinVersion", .type = kInt16, .versions = "0+"},
                                     {.name = "MaxVersion", .type = kInt16, .versions = "0+"},
                                 }},
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
                            {.name = "SupportedFeatures",
                             .type = kArray,
                             .versions = "3+",
                             .tagged = "3+",
                             .tag = 0,
                             .fields =
                                 {
                                     {.name = "Name", .type = kString, .versions = "3+"},
                                     {.name = "MinVersion", .type = kInt16, .versions = "3+"},
                                     {.name = "MaxVersion", .type = kInt16, .versions = "3+"},
                                 }},
                            {.name = "FinalizedFeaturesEpoch",
                             .type = kInt64,
                             .versions = "3+",
                             .tagged = "3+",
                             .tag = 1,
                             .default_value = "-1"},
                            {.name = "FinalizedFeatures",
                             .type = kArray,
                             .versions = "3+",
                             .tagged = "3+",
                             .tag = 2,
                             .fields =
                                 {
                                     {.name = "Name", .type = kString, .versions = "3+"},
                                     {.name = "MaxVersionLevel", .type = kInt16, .versions = "3+"},
                                     {.name = "MinVersionLevel", .type = kInt16, .versions = "3+"},
                                 }},
                            {.name = "ZkMigrationReady",
                             .type = kBool,
                             .versions = "3+",
                             .tagged = "3+",
                             .tag = 3,
                             .default_value = "false"},
                        }};

// ApiVersions 0-3: the served ranges, from the one API table. v3's body is flexible but its
// response header stays v0 (the server writes no header tag section for it). The client's
// software name and version are informational, never validated (librdkafka would fall back to
// v0 on an error).
Reply handle(ApiContext&, const Request&, const Struct&, Struct& out) {
  out.set("ErrorCode", kafka_error::kNone);
  for (const ApiInfo& a : api_table())
    out.add("ApiKeys")
        .set("ApiKey", a.key)
        .set("MinVersion", a.min_version)
        .set("MaxVersion", a.max_version);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& api_versions_api() {
  static const ApiInfo api{18, "ApiVersions", 0, 3, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
