#pragma once
// The transaction coordinator (KIP-98) of the single-node broker: per transactional id the
// producer id and epoch InitProducerId gave it, and the transaction in progress (its
// partitions, its consumer groups and the offsets TxnOffsetCommit sent for them).
//
// Durable state: <data-dir>/transactions, one line per transactional id (hex-encoded id,
// producer id, epoch, timeout, open flag, start wall time, then topic/partition pairs of the
// open transaction), rewritten atomically and synced whenever a transaction's partition set,
// epoch or state changes, before the client hears of it. So after a crash the coordinator
// knows every partition a transaction may have written to, and aborts it (markers written)
// when its producer initialises again or when transaction.timeout.ms passes. Offsets of an
// open transaction stay in memory: a transaction open at a crash is always aborted, so they
// are never needed after one.
//
// Threads: not thread-safe; the broker's loop owns it.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/util/result.h"
#include "broker/groups/offset_store.h"
#include "broker/storage/producer_state.h"
#include "broker/storage/topic_store.h"

namespace flumen::broker {

namespace txn_error {
inline constexpr int16_t kInvalidProducerEpoch = 47;
inline constexpr int16_t kInvalidTxnState = 48;
inline constexpr int16_t kInvalidProducerIdMapping = 49;
inline constexpr int16_t kInvalidTransactionTimeout = 50;
inline constexpr int16_t kConcurrentTransactions = 51;
inline constexpr int16_t kTransactionalIdNotFound = 105;
inline constexpr int16_t kProducerFenced = 90;
}  // namespace txn_error

class TxnCoordinator {
 public:
  static constexpr int64_t kMaxTimeoutMs = 15 * 60 * 1000;  // transaction.max.timeout.ms

  static Result<std::unique_ptr<TxnCoordinator>> open(const std::string& data_dir);

  struct InitResult {
    int16_t error = 0;
    int64_t producer_id = -1;
    int16_t epoch = -1;
  };
  // InitProducerId with a transactional id. `producer_id`/`epoch` >= 0 (v3+, KIP-360): the
  // producer's current ones, which must match. A transaction still open is aborted first, and
  // the epoch is bumped so the previous incarnation is fenced.
  InitResult init(const std::string& txn_id, int32_t timeout_ms, int64_t producer_id, int16_t epoch,
                  TopicStore& store, OffsetStore& offsets, ProducerIds& ids, int64_t wall_ms,
                  bool new_fencing_error);
  // At start-up: completes the commits and aborts that were decided (EndTxn answered or about
  // to be) but whose markers may not all be written when the broker stopped; and a transaction
  // the logs show open in a partition the coordinator's file does not list (the file lost its
  // last writes) joins its transaction again, or is aborted at once when its producer id
  // belongs to no transactional id, so no partition's last stable offset stays stuck.
  Status recover(TopicStore& store, OffsetStore& offsets, int64_t wall_ms);

  // AddPartitionsToTxn for one partition (existence checked by the caller).
  int16_t add_partition(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                        const std::string& topic, int32_t partition, int64_t wall_ms);
  // Validates the producer for a whole AddPartitionsToTxn request before any partition is added.
  int16_t check(const std::string& txn_id, int64_t producer_id, int16_t epoch) const;
  // Persists after add_partition calls; false on a write error.
  Status persist(bool sync = true);

  // AddOffsetsToTxn.
  int16_t add_group(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                    const std::string& group, int64_t wall_ms);
  // TxnOffsetCommit: the offsets become visible to OffsetFetch when the transaction commits.
  int16_t stage_offsets(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                        const std::string& group, std::vector<OffsetStore::Entry> entries);

  // EndTxn: markers into every partition of the transaction, then (commit) its offsets.
  int16_t end(const std::string& txn_id, int64_t producer_id, int16_t epoch, bool commit,
              TopicStore& store, OffsetStore& offsets, int64_t wall_ms);

  // Produce of a transactional batch: 0 when the producer's transaction includes the partition.
  int16_t check_produce(int64_t producer_id, int16_t epoch, const std::string& topic,
                        int32_t partition) const;

  // Aborts transactions open longer than their timeout; returns how many.
  int expire(TopicStore& store, OffsetStore& offsets, int64_t wall_ms);

  size_t open_transactions() const;

 private:
  struct Txn {
    int64_t producer_id = -1;
    int16_t epoch = 0;
    int16_t last_epoch = -1;  // the epoch before the last bump (KIP-360 retries)
    int32_t timeout_ms = 60000;
    int state = 0;        // empty, ongoing, prepare commit, prepare abort
    int last_result = 0;  // of the last EndTxn: 1 committed, 2 aborted
    int64_t start_wall_ms = 0;
    std::set<std::pair<std::string, int32_t>> partitions;
    std::set<std::string> groups;
    std::map<std::string, std::vector<OffsetStore::Entry>> offsets;  // by group
  };
  int16_t validate(const Txn* t, int64_t producer_id, int16_t epoch) const;
  // Writes the markers (synced), commits the staged offsets (commit) and empties the
  // transaction; the caller persists.
  Status finish(Txn& t, bool commit, TopicStore& store, OffsetStore& offsets, int64_t wall_ms);
  // The first partition or group of a transaction opens it.
  static void begin(Txn& t, int64_t wall_ms);
  Txn* find(const std::string& txn_id);

  std::string path_;
  std::map<std::string, Txn> txns_;
  std::map<int64_t, std::string> by_producer_;  // producer id -> transactional id
};

}  // namespace flumen::broker
