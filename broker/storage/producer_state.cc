#include "broker/storage/producer_state.h"

#include "agent/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace flumen::broker {

Result<ProducerIds> ProducerIds::open(const std::string& data_dir) {
  ProducerIds ids;
  ids.path_ = data_dir + "/producer-ids";
  std::ifstream in(ids.path_);
  long long v = 0;
  if (in >> v) ids.next_ = ids.reserved_ = v;
  return ids;
}

Status ProducerIds::reserve(int64_t upto) {
  // Synced, directory included: ids handed out before a power loss are never handed out again.
  if (Status s = write_file_atomically(path_, std::to_string(upto) + "\n", true); !s) return s;
  reserved_ = upto;
  return Status::ok();
}

Result<int64_t> ProducerIds::next() {
  if (next_ >= reserved_)
    if (Status s = reserve(next_ + 1000); !s) return s.error();
  return next_++;
}

SequenceVerdict ProducerSequences::check(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                                         int32_t last_offset_delta) const {
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) return {};  // unknown: accept whatever sequence it starts at
  const State& s = it->second;
  if (epoch < s.epoch) return {47, -1};
  if (epoch > s.epoch) return {};  // a new epoch starts its sequences again
  for (const Batch& b : s.recent)
    if (b.base_sequence == base_sequence && b.last_sequence == base_sequence + last_offset_delta)
      return {0, b.base_offset};
  const int32_t last = s.recent.empty() ? -1 : s.recent.back().last_sequence;
  if (base_sequence == last + 1) return {};
  if (base_sequence <= last) return {46, -1};
  return {45, -1};
}

void ProducerSequences::record(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                               int32_t last_offset_delta, int64_t base_offset) {
  State& s = producers_[producer_id];
  if (epoch != s.epoch) {
    s.epoch = epoch;
    s.recent.clear();
  }
  s.recent.push_back({base_sequence, base_sequence + last_offset_delta, base_offset});
  while (s.recent.size() > 5)
    s.recent.pop_front();
}

}  // namespace flumen::broker
