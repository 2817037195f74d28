#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

const Message kRequest{"3+",
                       {
                           {.name = "TransactionalId", .type = kString, .versions = "0+"},
                           {.name = "ProducerId", .type = kInt64, .versions = "0+"},
                           {.name = "ProducerEpoch", .type = kInt16, .versions = "0+"},
                           {.name = "Committed", .type = kBool, .versions = "0+"},
                       }};
const Message kResponse{"3+",
                        {
                            {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
                            {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                        }};

// EndTxn 0-4 (v4 only lets the broker answer KIP-890's TRANSACTION_ABORTABLE, which this
// one never does): commit or abort. The decision is persisted, a control batch (commit or abort
// marker) is appended to and synced in every partition of the transaction, the transaction's
// offsets are committed (commit only), and then the client is answered. v5 (KIP-890 part 2's
// epoch bump in the answer) is not served.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  int16_t error = kafka_error::kCoordinatorNotAvailable;
  if (ctx.txn)
    error = ctx.txn->end(std::string(in.s("TransactionalId")), in.i("ProducerId"),
                         in.i16("ProducerEpoch"), in.b("Committed"), ctx.store, ctx.offsets,
                         ctx.wall_ms);
  ctx.appended_batches += error == 0;  // markers move the last stable offset: wake fetches
  out.set("ErrorCode", error);
  return Reply::kNow;
}

}  // namespace

const ApiInfo& end_txn_api() {
  static const ApiInfo api{26, "EndTxn", 0, 4, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
