#pragma once
// One partition's view of transactions (KIP-98): the producers with a transaction open in it
// (each with the offset of its first batch there), the last stable offset that follows, and the
// aborted transactions a read_committed consumer must drop.
//
// Rebuilt at start-up from the log itself: a transactional batch (attributes bit 4) opens its
// producer's transaction at its base offset unless one is open; a control batch (bit 5) closes
// it, and an abort marker records (producer id, first offset, marker offset). So the state is
// never written separately and cannot disagree with the log.
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "broker/protocol/record_batch.h"

namespace flumen::broker {

inline constexpr int16_t kTransactionalBit = 0x10;
inline constexpr int16_t kControlBit = 0x20;

struct AbortedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;  // the abort marker's offset
};

class PartitionTxns {
 public:
  // A batch was appended at `base_offset` (called for every batch, control ones included; for
  // a control batch `commit` says which marker it is).
  void on_batch(const BatchHeader& h, bool commit);
  // The first offset a read_committed consumer may not see yet: the first batch of the oldest
  // open transaction, else the log end offset.
  int64_t last_stable_offset(int64_t log_end_offset) const;
  // The aborted transactions that overlap [from, to): what Fetch returns with records read there.
  std::vector<AbortedTxn> aborted_in(int64_t from, int64_t to) const;
  bool open(int64_t producer_id) const { return ongoing_.count(producer_id) != 0; }
  size_t open_count() const { return ongoing_.size(); }
  // The producers with a transaction open here.
  std::vector<int64_t> open_producers() const {
    std::vector<int64_t> out;
    for (const auto& [pid, first] : ongoing_)
      out.push_back(pid);
    return out;
  }

 private:
  std::map<int64_t, int64_t> ongoing_;  // producer id -> first offset of its open transaction
  std::vector<AbortedTxn> aborted_;     // by marker offset
};

// The marker type of a control batch (read from its single record's key): 0 abort, 1 commit,
// -1 when the batch is not a readable control batch.
int control_type(std::string_view batch);

// A control batch carrying one commit or abort marker for the producer (offset 0: the log sets
// it), timestamp `now_ms`, CRC set.
std::string make_marker_batch(int64_t producer_id, int16_t epoch, bool commit, int64_t now_ms);

}  // namespace flumen::broker
