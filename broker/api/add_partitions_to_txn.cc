#include "broker/api/api.h"

namespace flumen::broker {

namespace {

using namespace schema;  // NOLINT(google-build-using-namespace): the description's types

// The request and response of every version, as Kafka's message spec describes them (fields of
// versions above the served range left out; v4+ batches several transactions for brokers).
const Message kRequest{
    "3+",
    {
        {.name = "TransactionalId", .type = kString, .versions = "0-3"},
        {.name = "ProducerId", .type = kInt64, .versions = "0-3"},
        {.name = "ProducerEpoch", .type = kInt16, .versions = "0-3"},
        {.name = "Topics",
         .type = kArray,
         .versions = "0-3",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Partitions", .type = kArray, .element = kInt32, .versions = "0+"},
             }},
    }};
const Message kResponse{
    "3+",
    {
        {.name = "ThrottleTimeMs", .type = kInt32, .versions = "0+"},
        {.name = "Results",
         .type = kArray,
         .versions = "0-3",
         .fields =
             {
                 {.name = "Name", .type = kString, .versions = "0+"},
                 {.name = "Results",
                  .type = kArray,
                  .versions = "0+",
                  .fields =
                      {
                          {.name = "PartitionIndex", .type = kInt32, .versions = "0+"},
                          {.name = "ErrorCode", .type = kInt16, .versions = "0+"},
                      }},
             }},
    }};

// AddPartitionsToTxn 0-3: the partitions a transactional producer is about to write to join
// its transaction (written before the answer). As in Kafka, one bad partition fails the
// request: it gets its error and the others OPERATION_NOT_ATTEMPTED.
Reply handle(ApiContext& ctx, const Request&, const Struct& in, Struct& out) {
  constexpr int16_t kOperationNotAttempted = 55;
  const std::string txn_id(in.s("TransactionalId"));
  const int64_t pid = in.i("ProducerId");
  const int16_t epoch = in.i16("ProducerEpoch");
  int16_t error =
      ctx.txn ? ctx.txn->check(txn_id, pid, epoch) : kafka_error::kCoordinatorNotAvailable;
  bool unknown = false;
  for (const Struct& t : in.array("Topics"))
    for (int64_t p : t.ints("Partitions"))
      if (!find_partition(ctx.store.find(t.s("Name")), p)) unknown = true;
  if (error == 0 && !unknown) {
    for (const Struct& t : in.array("Topics"))
      for (int64_t p : t.ints("Partitions"))
        if (int16_t e = ctx.txn->add_partition(txn_id, pid, epoch, std::string(t.s("Name")),
                                               static_cast<int32_t>(p), ctx.wall_ms);
            e != 0)
          error = e;
    // Written, not synced: after a power loss the partitions of a transaction come back from
    // their logs (TxnCoordinator::recover joins every producer open in a partition to its
    // transaction again), so this state is a cache of what the logs say; the decision of
    // EndTxn is what must be durable.
    if (error == 0 && !ctx.txn->persist(false)) error = kafka_error::kKafkaStorageError;
  }
  for (const Struct& t : in.array("Topics")) {
    Struct& rt = out.add("Results");
    rt.set("Name", t.s("Name"));
    Topic* topic = ctx.store.find(t.s("Name"));
    for (int64_t p : t.ints("Partitions")) {
      int16_t e = error;
      if (e == 0 && unknown)
        e = find_partition(topic, p) ? kOperationNotAttempted
                                     : kafka_error::kUnknownTopicOrPartition;
      rt.add("Results").set("PartitionIndex", p).set("ErrorCode", e);
    }
  }
  return Reply::kNow;
}

}  // namespace

const ApiInfo& add_partitions_to_txn_api() {
  static const ApiInfo api{24, "AddPartitionsToTxn", 0, 3, kRequest, kResponse, handle};
  return api;
}

}  // namespace flumen::broker
