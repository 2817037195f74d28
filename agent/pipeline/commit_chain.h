#pragma once
// CommitChain: the commits one source has in flight, made one after another
// (Transaction::commit_async): once one of them fails, every later one of the chain fails too,
// unwritten, so that a later commit's marker (a read position, a batch number) never lands in
// the channel without an earlier commit's events. Earlier ones are not affected. The source
// waits for what it has in flight, and starts a new chain when it puts again from what was
// committed. Any thread.

#include <atomic>
#include <cstdint>

namespace flumen::pipeline {

class CommitChain {
 public:
  // The ticket of the next commit: its place in the chain.
  uint64_t join() { return next_.fetch_add(1); }
  void fail(uint64_t ticket) {
    uint64_t cur = failed_.load();
    while (ticket < cur && !failed_.compare_exchange_weak(cur, ticket)) {
    }
  }
  // Whether the commit of `ticket` must fail: an earlier one of the chain failed.
  bool refuses(uint64_t ticket) const { return failed_.load() < ticket; }

 private:
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> failed_{UINT64_MAX};
};

}  // namespace flumen::pipeline
