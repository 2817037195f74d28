#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them.
const Message kRequest{
    "0+",
    {
        {.name = "IncludeClusterAuthorizedOperations", .type = kBool, .versions = "0+"},
        {.name = "EndpointType", .type = kInt8, .versions = "1+", .default_value = "1"},
    }};
const Message kResponse{
    "0+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "ErrorMessage", .type = kString, .versions = "0+", .nullable = "0+"},
        {.name = "EndpointType", .type = kInt8, .versions = "1+", .default_value = "1"},
        {.name = "ClusterId", .type = kString, .versions = "0+"},
        {.name = "ControllerId", .type = kInt32, .versions = "0+", .default_value = "-1"},
        {.name = "Brokers",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "BrokerId", .type = kInt32, .versions = "0+"},
                 {.name = "Host", .type = kString, .versions = "0+"},
                 {.name = "Port", .type = kInt32, .versions = "0+"},
                 {.name = "Rack", .type = kString, .versions = "0+", .nullable = "0+"},
             }},
        {.name = "ClusterAuthorizedOperations",
         .type = kInt32,
         .versions = "0+",
         .default_value = "-2147483648"},
    }};

constexpr int64_t kBrokersEndpoint = 1;
constexpr int16_t kMismatchedEndpointType = 114;

// DescribeCluster 0-1 (KIP-700; v1 KIP-919's endpoint type): the one broker, which is also
// the controller, at the address this client reached it by, as Metadata names it. Asked for
// the controllers' endpoints (a KRaft controller quorum), a broker answers
// MISMATCHED_ENDPOINT_TYPE, as Kafka's brokers do.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  if (in.i("EndpointType") != kBrokersEndpoint) {
    out.set("ErrorCode", kMismatchedEndpointType)
        .set("ErrorMessage",
             "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of "
             "type CONTROLLER")
        .set("ClusterId", ctx.config.cluster_id);
    return Reply::kNow;
  }
  const int32_t node = ctx.config.node_id;
  out.set("ClusterId", ctx.config.cluster_id).set("ControllerId", node);
  out.add("Brokers")
      .set("BrokerId", node)
      .set("Host", ctx.advertised_host)
      .set("Port", ctx.advertised_port)
      .set_null("Rack");
  if (in.b("IncludeClusterAuthorizedOperations"))
    out.set("ClusterAuthorizedOperations", kClusterOperations);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& describe_cluster_api() {
  static const ApiInfo api{60, "DescribeCluster", 0, 1, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
