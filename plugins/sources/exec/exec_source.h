#pragma once
// exec: runs a command and turns each line of its stdout into an event (Flume's ExecSource).
//
// Unlike Flume, a full channel does not lose lines: the source stops reading the pipe, so the
// command blocks on write until the channel has room again. The child runs in its own process
// group with PR_SET_PDEATHSIG, so stop() (SIGTERM to the group, SIGKILL after 2 s) and even a
// kill -9 of the agent leave no process behind (a grandchild that leaves the group is the
// command's own doing). Runs on its own libuv loop thread.

#include <sys/types.h>

#include "agent/event/event_batch.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "plugins/sources/exec/config.h"

namespace flumen::plugins {

class ExecSource : public pipeline::Source {
 public:
  ExecSource(std::string name, ExecSourceOptions options);
  ~ExecSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  struct Stream;
  Status spawn();
  void on_stdout(std::string_view bytes);
  void on_stdout_eof();
  void flush();
  void schedule_retry();
  void check_exit();
  void kill_child();

  ExecSourceOptions options_;
  runtime::LoopThread loop_;
  pid_t pid_ = -1;
  Stream* out_ = nullptr;
  Stream* err_ = nullptr;
  uv_timer_t* batch_timer_ = nullptr;  // batchTimeout, and retries after a failed put
  uv_timer_t* reap_timer_ = nullptr;   // waits for the child's exit, then restarts
  EventBatch pending_;
  std::string partial_;  // a line without its newline yet
  bool put_failing_ = false;
  bool stdout_open_ = false;
  bool stopping_ = false;
  int backoff_ms_ = 10;
  metrics::Counter* lines_split_ = nullptr;
};

}  // namespace flumen::plugins
