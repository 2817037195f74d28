// DescribeAcls, CreateAcls and DeleteAcls (0-3 each). The broker has no authorizer (SASL
// authenticates; an authenticated client may do everything), so, as Kafka without
// `authorizer.class.name`, each is answered SECURITY_DISABLED: an empty list would read as "no
// ACL matches", a missing API as a broker too old to ask. One file for the three: they share
// the fields of an ACL filter and of an ACL binding.
#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// As Kafka's message specs describe them (flexible from version 2).
const std::vector<Field> kFilterFields = {
    {.name = "ResourceTypeFilter", .type = kInt8, .versions = "0+"},
    {.name = "ResourceNameFilter", .type = kString, .versions = "0+", .nullable = "0+"},
    {.name = "PatternTypeFilter", .type = kInt8, .versions = "1+", .default_value = "3"},
    {.name = "PrincipalFilter", .type = kString, .versions = "0+", .nullable = "0+"},
    {.name = "HostFilter", .type = kString, .versions = "0+", .nullable = "0+"},
    {.name = "Operation", .type = kInt8, .versions = "0+"},
    {.name = "PermissionType", .type = kInt8, .versions = "0+"},
};
// An ACL as CreateAcls creates it; `pattern` names its pattern type field.
std::vector<Field> binding_fields(const char* pattern) {
  return {
      {.name = "ResourceType", .type = kInt8, .versions = "0+"},
      {.name = "ResourceName", .type = kString, .versions = "0+"},
      {.name = pattern, .type = kInt8, .versions = "1+", .default_value = "3"},
      {.name = "Principal", .type = kString, .versions = "0+"},
      {.name = "Host", .type = kString, .versions = "0+"},
      {.name = "Operation", .type = kInt8, .versions = "0+"},
      {.name = "PermissionType", .type = kInt8, .versions = "0+"},
  };
}
const Field kThrottle{.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"};
const Field kErrorCode{.name = "ErrorCode", .type = kInt16, .versions = "0+"};
const Field kErrorMessage{
    .name = "ErrorMessage", .type = kString, .versions = "0+", .nullable = "0+"};

const Message kDescribeRequest{"2+", kFilterFields};
const Message kDescribeResponse{
    "2+",
    {kThrottle,
     kErrorCode,
     kErrorMessage,
     {.name = "Resources",
      .type = kArray,
      .versions = "0+",
      .fields = {{.name = "ResourceType", .type = kInt8, .versions = "0+"},
                 {.name = "ResourceName", .type = kString, .versions = "0+"},
                 {.name = "PatternType", .type = kInt8, .versions = "1+", .default_value = "3"},
                 {.name = "Acls",
                  .type = kArray,
                  .versions = "0+",
                  .fields = {{.name = "Principal", .type = kString, .versions = "0+"},
                             {.name = "Host", .type = kString, .versions = "0+"},
                             {.name = "Operation", .type = kInt8, .versions = "0+"},
                             {.name = "PermissionType", .type = kInt8, .versions = "0+"}}}}}}};

const Message kCreateRequest{"2+",
                             {{.name = "Creations",
                               .type = kArray,
                               .versions = "0+",
                               .fields = binding_fields("ResourcePatternType")}}};
const Message kCreateResponse{
    "2+",
    {kThrottle,
     {.name = "Results", .type = kArray, .versions = "0+", .fields = {kErrorCode, kErrorMessage}}}};

const Message kDeleteRequest{
    "2+", {{.name = "Filters", .type = kArray, .versions = "0+", .fields = kFilterFields}}};
std::vector<Field> matching_acl_fields() {
  std::vector<Field> f = {kErrorCode, kErrorMessage};
  for (Field& b : binding_fields("PatternType"))
    f.push_back(std::move(b));
  return f;
}
const Message kDeleteResponse{"2+",
                              {kThrottle,
                               {.name = "FilterResults",
                                .type = kArray,
                                .versions = "0+",
                                .fields = {kErrorCode,
                                           kErrorMessage,
                                           {.name = "MatchingAcls",
                                            .type = kArray,
                                            .versions = "0+",
                                            .fields = matching_acl_fields()}}}}};

Reply describe(ApiContext&, const Request&, const Struct&, Struct& out) {
  out.set("ErrorCode", kafka_error::kSecurityDisabled).set("ErrorMessage", kNoAuthorizer);
  return Reply::kNow;
}

// One SECURITY_DISABLED result per item of the request's `items` array, in `results`.
void refuse_each(const Struct& in, const char* items, Struct& out, const char* results) {
  for (size_t i = 0; i < in.array(items).size(); ++i)
    out.add(results)
        .set("ErrorCode", kafka_error::kSecurityDisabled)
        .set("ErrorMessage", kNoAuthorizer);
}

Reply create(ApiContext&, const Request&, const Struct& in, Struct& out) {
  refuse_each(in, "Creations", out, "Results");
  return Reply::kNow;
}

Reply remove(ApiContext&, const Request&, const Struct& in, Struct& out) {
  refuse_each(in, "Filters", out, "FilterResults");  // with no matching ACLs
  return Reply::kNow;
}

}  // namespace

const ApiInfo& describe_acls_api() {
  static const ApiInfo api{29, "DescribeAcls", 0, 3, kDescribeRequest, kDescribeResponse, describe};
  return api;
}

const ApiInfo& create_acls_api() {
  static const ApiInfo api{30, "CreateAcls", 0, 3, kCreateRequest, kCreateResponse, create};
  return api;
}

const ApiInfo& delete_acls_api() {
  static const ApiInfo api{31, "DeleteAcls", 0, 3, kDeleteRequest, kDeleteResponse, remove};
  return api;
}

}  // namespace flumen::broker
