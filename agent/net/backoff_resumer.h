#pragma once
// BackoffResumer: the connections a source paused because its channel refused a batch, resumed
// together after a backoff (10 ms doubling to 1 s, back to 10 ms once a put succeeds). While
// paused a connection is not read, so TCP slows its sender; nothing is dropped. One per source,
// on the source's loop thread (the timer is a handle of that loop).
#include <uv.h>

#include <vector>

#include "agent/net/server.h"

namespace flumen::net {

class BackoffResumer {
 public:
  explicit BackoffResumer(uv_loop_t* loop);
  ~BackoffResumer();  // closes the timer (loop thread)
  BackoffResumer(const BackoffResumer&) = delete;
  BackoffResumer& operator=(const BackoffResumer&) = delete;

  // Pauses `c` and resumes it after the current backoff.
  void pause_and_retry(Connection& c);
  // `c` is closing: never resume it.
  void forget(Connection& c);
  // A put succeeded: the next refusal waits the shortest backoff again.
  void succeeded() { backoff_ms_ = kMinBackoffMs; }

 private:
  static constexpr int kMinBackoffMs = 10;
  static constexpr int kMaxBackoffMs = 1000;
  uv_timer_t* timer_;
  std::vector<Connection*> waiting_;
  int backoff_ms_ = kMinBackoffMs;
};

}  // namespace flumen::net
