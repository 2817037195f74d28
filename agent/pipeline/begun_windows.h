#pragma once
// The windows a sink with overlapping syncs was told to begin (Sink::begin_sync), oldest first,
// as counts of takes: which takes sync_delivered() and deliveries_committed() are about, and
// what a take given back (delivery_not_committed, newest first) is taken from. Without any
// window begun (a sink in a group, whose windows do not overlap) they are about every take.

#include <cstddef>
#include <cstdint>
#include <deque>

namespace flumen::pipeline {

class BegunWindows {
 public:
  // `tag`: what the sink keeps with the window (the ticket of its sync).
  void begin(size_t takes, uint64_t tag = 0) {
    if (takes > 0) windows_.push_back({takes, tag});
  }
  bool empty() const { return windows_.empty(); }
  // The takes of the oldest window begun; `all` when none was.
  size_t oldest_or(size_t all) const { return windows_.empty() ? all : windows_.front().takes; }
  uint64_t oldest_tag() const { return windows_.empty() ? 0 : windows_.front().tag; }
  // The oldest window committed (what was left of it).
  void committed() {
    if (!windows_.empty()) windows_.pop_front();
  }
  // The newest take went back to the channel.
  void given_back() {
    if (windows_.empty()) return;
    if (--windows_.back().takes == 0) windows_.pop_back();
  }
  void clear() { windows_.clear(); }

 private:
  struct Window {
    size_t takes;
    uint64_t tag;
  };
  std::deque<Window> windows_;
};

}  // namespace flumen::pipeline
