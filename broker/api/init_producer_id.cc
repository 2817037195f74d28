#include "broker/api/api.h"

namespace flumen::broker {

// InitProducerId 0-1: a fresh producer id (epoch 0) for an idempotent producer. Transactions are
// not supported: a transactional id gets COORDINATOR_NOT_AVAILABLE.
Reply handle_init_producer_id(ApiContext& ctx, const Request&, WireReader& in, WireWriter& out) {
  auto transactional_id = in.nullable_string();
  in.i32();  // transaction_timeout_ms
  if (in.failed()) return Reply::kNow;
  out.i32(0);
  if (transactional_id) {
    out.i16(kafka_error::kCoordinatorNotAvailable);
    out.i64(-1);
    out.i16(-1);
    return Reply::kNow;
  }
  auto id = ctx.producer_ids->next();
  out.i16(id ? kafka_error::kNone : kafka_error::kKafkaStorageError);
  out.i64(id ? id.value() : -1);
  out.i16(id ? 0 : -1);
  return Reply::kNow;
}

}  // namespace flumen::broker
