#pragma once
// BackoffResumer: the connections a source paused because its channel refused a batch, resumed
// together as soon as one of the watched channels commits a take (room freed: the channel wakes
// them through a uv_async), or after a backoff as a fallback (10 ms doubling to 1 s, back to
// 10 ms once a put succeeds). While paused a connection is not read, so TCP slows its sender;
// nothing is dropped. One per source, on the source's loop thread (the handles belong to it).
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "agent/net/server.h"
#include "agent/pipeline/channel.h"

namespace flumen::net {

class BackoffResumer : public pipeline::SpaceListener {
 public:
  explicit BackoffResumer(uv_loop_t* loop);
  ~BackoffResumer() override;  // stops watching, closes the handles (loop thread)
  BackoffResumer(const BackoffResumer&) = delete;
  BackoffResumer& operator=(const BackoffResumer&) = delete;

  // Pauses `c` and resumes it after the current backoff.
  void pause_and_retry(Connection& c);
  // `c` is closing: never resume it.
  void forget(Connection& c);
  // A put succeeded: the next refusal waits the shortest backoff again.
  void succeeded() { backoff_ms_ = kMinBackoffMs; }
  // Resume the paused connections when one of these channels frees room (the source's
  // channels). Loop thread, once.
  void watch(std::vector<pipeline::Channel*> channels);
  // Any thread (a sink's take commit).
  void on_space() override;
  // How many times a watched channel freed room so far; and whether it does again (since
  // `seen`) within a short spin (util::spin_until). A batch refused for a full channel at
  // Flume's capacity of 100 usually finds room microseconds later, when the sink's take on the
  // other core commits: put again at once, it costs no pause, no wake-up of this loop.
  uint64_t space_events() const { return space_events_.load(); }
  bool space_soon(uint64_t seen) const;

 private:
  static constexpr int kMinBackoffMs = 10;
  static constexpr int kMaxBackoffMs = 1000;
  void resume_all();

  uv_timer_t* timer_;
  uv_async_t* wake_;
  std::vector<pipeline::Channel*> watched_;
  std::vector<Connection*> waiting_;
  int backoff_ms_ = kMinBackoffMs;
  std::atomic<uint64_t> space_events_{0};
};

}  // namespace flumen::net
