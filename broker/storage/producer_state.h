#pragma once
// Idempotent producers: producer ids handed out by InitProducerId, and per (partition, producer)
// the sequence numbers of the last batches, so that a batch librdkafka sends again (its answer
// was lost) is acknowledged with its original offset instead of being appended twice, and a gap
// is refused (OUT_OF_ORDER_SEQUENCE_NUMBER).
//
// Producer ids come from <data-dir>/producer-ids, which holds the first id not yet handed out,
// reserved in blocks of 1000 (rewritten atomically) so ids never repeat across restarts. The
// sequence state is in memory and rebuilt at start-up from the batch headers of each partition's
// last kProducerStateSegments segments (the producer id, epoch and sequences are in every
// batch). A producer silent for longer than that is unknown after a restart, and its next
// batch is accepted at whatever sequence it carries, as Kafka does for unknown producers.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "agent/util/result.h"

namespace flumen::broker {

inline constexpr size_t kProducerStateSegments = 2;

class ProducerIds {
 public:
  static Result<ProducerIds> open(const std::string& data_dir);
  Result<int64_t> next();

 private:
  Status reserve(int64_t upto);
  std::string path_;
  int64_t next_ = 0;
  int64_t reserved_ = 0;
};

struct SequenceVerdict {
  int16_t error = 0;          // 0, 45 OUT_OF_ORDER_SEQUENCE_NUMBER, 46 DUPLICATE_SEQUENCE_NUMBER,
                              // 47 INVALID_PRODUCER_EPOCH
  int64_t duplicate_of = -1;  // >= 0: already appended at this base offset; answer with it
};

// One partition's producers.
class ProducerSequences {
 public:
  SequenceVerdict check(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                        int32_t last_offset_delta) const;
  void record(int64_t producer_id, int16_t epoch, int32_t base_sequence, int32_t last_offset_delta,
              int64_t base_offset);

 private:
  struct Batch {
    int32_t base_sequence;
    int32_t last_sequence;
    int64_t base_offset;
  };
  struct State {
    int16_t epoch = 0;
    std::deque<Batch> recent;  // the last 5 batches, oldest first
  };
  std::map<int64_t, State> producers_;
};

}  // namespace flumen::broker
