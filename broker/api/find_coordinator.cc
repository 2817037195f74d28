#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "3+",
    {
        {.name = "Key", .type = kString, .versions = "0-3"},
        {.name = "KeyType", .type = kInt8, .versions = "1+", .default_value = "0"},
        {.name = "CoordinatorKeys", .type = kArray, .element = kString, .versions = "4+"},
    }};
const Message kResponse{
    "3+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "1+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "0-3"},
        {.name = "ErrorMessage", .type = kString, .versions = "1-3", .nullable = "1-3"},
        {.name = "NodeId", .type = kInt32, .versions = "0-3"},
        {.name = "Host", .type = kString, .versions = "0-3"},
        {.name = "Port", .type = kInt32, .versions = "0-3"},
        {.name = "Coordinators",
         .type = kArray,
         .versions = "4+",
         .fields =
             {
                 {.name = "Key", .type = kString, .versions = "4+"},
                 {.name = "NodeId", .type = kInt32, .versions = "4+"},
                 {.name = "Host", .type = kString, .versions = "4+"},
                 {.name = "Port", .type = kInt32, .versions = "4+"},
                 {.name = "ErrorCode", .type = kInt16, .versions = "4+"},
                 {.name = "ErrorMessage", .type = kString, .versions = "4+", .nullable = "4+"},
             }},
    }};

// FindCoordinator 0-4 (v4 asks for several keys at once): we are the coordinator of every group
// and every transactional id (key type 1), with the node id, host and port of Metadata.
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  const int64_t type = in.i("KeyType");
  const bool ok = type == 0 || (type == 1 && ctx.txn);
  const int16_t error = ok ? kafka_error::kNone : kafka_error::kCoordinatorNotAvailable;
  auto fill = [&](Struct& s) {
    s.set("ErrorCode", error)
        .set("NodeId", ok ? ctx.config.node_id : -1)
        .set("Host", ok ? ctx.advertised_host : "")
        .set("Port", ok ? ctx.advertised_port : -1);
    if (ok) {
      s.set_null("ErrorMessage");
    } else {
      s.set("ErrorMessage", "unknown coordinator key type");
    }
  };
  if (req.api_version < 4) {
    fill(out);
    return Reply::kNow;
  }
  for (std::string_view key : in.strings("CoordinatorKeys")) {
    Struct& c = out.add("Coordinators");
    c.set("Key", key);
    fill(c);
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& find_coordinator_api() {
  static const ApiInfo api{10, "FindCoordinator", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
