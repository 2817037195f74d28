#pragma once
// LoopThread: a libuv loop on a thread of its own. Event-driven sources each own one, so a source
// that waits on a full channel slows only its own inputs (its sockets stop being read, and TCP
// pushes back on the sender) and never the rest of the agent.
//
// Threads: start()/stop()/post() may be called from any thread; callbacks run on the loop thread.

#include <uv.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/util/result.h"

namespace flumen::runtime {

class LoopThread {
 public:
  explicit LoopThread(std::string name);
  ~LoopThread();

  uv_loop_t* loop() { return &loop_; }
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // Starts the thread and runs `init` on it; returns init's result. On failure the thread is
  // stopped again (init must close whatever it opened).
  Status start(std::function<Status()> init);
  // Runs `teardown` on the loop (it must close every handle it owns), lets the loop finish the
  // close callbacks, and joins. Idempotent.
  void stop(std::function<void()> teardown);
  // Queues fn to run on the loop thread.
  void post(std::function<void()> fn);

 private:
  static void on_async(uv_async_t* handle);
  void drain_tasks();

  std::string name_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  bool stop_requested_ = false;
  bool running_ = false;
};

}  // namespace flumen::runtime
