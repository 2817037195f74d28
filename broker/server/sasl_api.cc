// SaslHandshake (17) and SaslAuthenticate (36): described here so that the API table (and with
// it the ApiVersions answer) lists them, but answered by the connection layer
// (broker_server.cc), which holds each connection's SaslSession. The handlers below only run if
// a request reaches the table's dispatch, which the server never lets happen.
#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

const Message kHandshakeRequest{"99+",  // never flexible
                                {
                                    {.name = "Mechanism", .type = kString, .versions = "0+"},
                                }};
const Message kHandshakeResponse{
    "99+",
    {
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "Mechanisms", .type = kArray, .element = kString, .versions = "0+"},
    }};

const Message kAuthenticateRequest{"2+",
                                   {
                                       {.name = "AuthBytes", .type = kBytes, .versions = "0+"},
                                   }};
const Message kAuthenticateResponse{
    "2+",
    {
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "ErrorMessage",
         .type = kString,
         .versions = "0+",
         .nullable = "0+",
         .default_value = "null"},
        {.name = "AuthBytes", .type = kBytes, .versions = "0+"},
        {.name = "SessionLifetimeMs", .type = kInt64, .versions = "1+"},
    }};

constexpr int16_t kIllegalSaslState = 34;

Reply not_here(ApiContext&, const Request&, const Struct&, Struct& out) {
  out.set("ErrorCode", kIllegalSaslState);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& sasl_handshake_api() {
  static const ApiInfo api{17,      "SaslHandshake", 0, 1, kHandshakeRequest, kHandshakeResponse,
                           not_here};
  return api;
}

const ApiInfo& sasl_authenticate_api() {
  static const ApiInfo api{
      36, "SaslAuthenticate", 0, 2, kAuthenticateRequest, kAuthenticateResponse, not_here};
  return api;
}

}  // namespace flumen::broker
