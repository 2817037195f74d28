#pragma once
// BackgroundSync: fdatasync(2) of a file on a thread of its own, so that a sink writes its next
// window of takes while the last one syncs (Sink::overlaps_syncs). A sink calls request(fd)
// after its writes and gets a ticket; wait(ticket) returns once an fdatasync that started after
// that request finished, with its result. One fdatasync answers every request made before it
// started: requests that queue up while a sync runs share the next one (a sink-side group
// commit).
//
// The file must stay open while a request is pending: quiesce() before closing it. A request
// for another file waits for the pending ones first.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "agent/util/result.h"

namespace flumen::util {

class BackgroundSync {
 public:
  // `thread_name`: what the sync thread is called (top -H), set when it starts.
  explicit BackgroundSync(std::string thread_name);
  ~BackgroundSync();
  BackgroundSync(const BackgroundSync&) = delete;
  BackgroundSync& operator=(const BackgroundSync&) = delete;

  // Everything written to `fd` so far is to be synced; the ticket to wait() for.
  uint64_t request(int fd);
  // Waits for the first fdatasync that started after request `ticket`: its error, if it failed.
  Status wait(uint64_t ticket);
  // Waits until no request is pending.
  void quiesce();
  // fdatasyncs done since the last call.
  uint64_t take_sync_count();

 private:
  void run();

  std::string thread_name_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // the thread waits for requests
  std::condition_variable done_cv_;  // callers wait for syncs
  int fd_ = -1;
  uint64_t requested_ = 0;
  uint64_t done_ = 0;
  // The tickets (failed_after_, failed_upto_] were answered by an fdatasync that failed, or
  // lie between two that did.
  uint64_t failed_after_ = 0;
  uint64_t failed_upto_ = 0;
  std::string failure_;
  uint64_t syncs_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flumen::util
