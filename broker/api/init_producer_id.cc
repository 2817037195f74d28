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

// InitProducerId 0-4: a fresh producer id (epoch 0) for an idempotent producer; with a
// transactional id, the id's producer id and a bumped epoch (which aborts a transaction the
// previous incarnation left open and fences it), from the transaction coordinator.
Reply handle(ApiContext& ctx, const Request& req, const Struct& in, Struct& out) {
  if (!in.is_null("TransactionalId")) {
    if (!ctx.txn) {
      out.set("ErrorCode", kafka_error::kCoordinatorNotAvailable).set("ProducerEpoch", -1);
      return Reply::kNow;
    }
    auto r = ctx.txn->init(std::string(in.s("TransactionalId")), in.i32("TransactionTimeoutMs"),
                           in.i("ProducerId"), in.i16("ProducerEpoch"), ctx.store, ctx.offsets,
                           *ctx.producer_ids, ctx.wall_ms, req.api_version >= 4);
    out.set("ErrorCode", r.error).set("ProducerId", r.producer_id).set("ProducerEpoch", r.epoch);
    ctx.appended_batches += r.error == 0;  // an aborted transaction moves last stable offsets
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
