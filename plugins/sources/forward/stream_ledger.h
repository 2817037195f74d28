#pragma once
// StreamLedger: what a forward source has committed, per sender stream: the highest sequence
// number whose batch is in the channel. A batch at or below it is a retransmission (its ack was
// lost) and is acknowledged again without a second put. Used by the source's loop thread only;
// streams not heard from for a day are forgotten so that restarting senders (on a memory channel
// each start draws a new stream id; on a durable one the stream goes on) do not make it grow
// without bound.
#include <chrono>
#include <cstdint>
#include <unordered_map>

namespace flumen::plugins {

class StreamLedger {
 public:
  using Clock = std::chrono::steady_clock;

  uint64_t committed(uint64_t stream) const {
    auto it = streams_.find(stream);
    return it == streams_.end() ? 0 : it->second.seq;
  }
  void record(uint64_t stream, uint64_t seq, Clock::time_point now) {
    Entry& e = streams_[stream];
    if (seq > e.seq) e.seq = seq;
    e.last_used = now;
  }
  void forget_older_than(Clock::time_point cutoff) {
    for (auto it = streams_.begin(); it != streams_.end();)
      it = it->second.last_used < cutoff ? streams_.erase(it) : std::next(it);
  }

 private:
  struct Entry {
    uint64_t seq = 0;
    Clock::time_point last_used;
  };
  std::unordered_map<uint64_t, Entry> streams_;
};

}  // namespace flumen::plugins
