#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

const Message kRequest{"3+",
                       {
                           {.name = "TransactionalId", .type = kString, .versions = "0+"},
                           {.name = "ProducerId", .type = kInt64, .versions = "0+"},
                           {.name = "ProducerEpoch", .type = kInt16, .versions = "0+"},
                           {.name = "GroupId", .type = kString, .versions = "0+"},
                       }};
const Message kResponse{"3+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                        }};

// AddOffsetsToTxn 0-4 (v4: the same layout, KIP-890's errors allowed): the consumer group whose
// offsets the transaction will commit (sendOffsetsToTransaction); the offsets follow in
// TxnOffsetCommit. We coordinate every group too, so there is no second coordinator to involve.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  int16_t error = kafka_error::kCoordinatorNotAvailable;
  if (ctx.txn) {
    error = ctx.txn->add_group(std::string(in.s("TransactionalId")), in.i("ProducerId"),
                               in.i16("ProducerEpoch"), std::string(in.s("GroupId")), ctx.wall_ms);
    if (error == 0 && !ctx.txn->persist()) error = kafka_error::kKafkaStorageError;
  }
  out.set("ErrorCode", error);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& add_offsets_to_txn_api() {
  static const ApiInfo api{25, "AddOffsetsToTxn", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
