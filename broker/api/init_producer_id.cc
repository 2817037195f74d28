#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out).
const Message kRequest{
    "2+",
    {
        {.name = "TransactionalId", .type = kString, .versions = "0+", .nullable = "0+"},
        {.name = "TransactionTimeoutMs", .type = kInt32, .versions = "0+"},
        {.name = "ProducerId", .type = kInt64, .versions = "3+", .default_value = "-1"},
        {.name = "ProducerEpoch", .type = kInt16, .versions = "3+", .default_value = "-1"},
    }};
const Message kResponse{
    "2+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
        {.name = "ProducerId", .type = kInt64, .versions = "0+", .default_value = "-1"},
        {.name = "ProducerEpoch", .type = kInt16, .versions = "0+"},
    }};

// InitProducerId 0-4: a fresh producer id (epoch 0) for an idempotent producer. Transactions are
// not supported: a transactional id gets COORDINATOR_NOT_AVAILABLE.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  if (!in.is_null("TransactionalId")) {
    out.set("ErrorCode", kafka_error::kCoordinatorNotAvailable).set("ProducerEpoch", -1);
    return Reply::kNow;
  }
  auto id = ctx.producer_ids->next();
  out.set("ErrorCode", id ? kafka_error::kNone : kafka_error::kKafkaStorageError)
      .set("ProducerId", id ? id.value() : -1)
      .set("ProducerEpoch", id ? 0 : -1);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& init_producer_id_api() {
  static const ApiInfo api{22, "InitProducerId", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
