#include "agent/pipeline/basic_transaction.h"

namespace flumen::pipeline {

Status BasicTransaction::put(const EventBatch& events) {
  const size_t cap = channel_.transaction_capacity();
  if (staged_.size() + events.size() > cap)
    return make_error(ErrorCode::kRejected,
                      "put of " + std::to_string(staged_.size() + events.size()) +
                          " events exceeds transactionCapacity " + std::to_string(cap) +
                          " of channel " + channel_.name());
  counters_.event_put_attempt->inc(static_cast<int64_t>(events.size()));
  staged_.append_all(events);
  return Status::ok();
}

Status BasicTransaction::take(size_t max, EventBatch& out) {
  const size_t cap = channel_.transaction_capacity();
  const size_t room = cap > taken_.size() ? cap - taken_.size() : 0;
  if (max > room) max = room;
  if (max == 0) {
    if (room == 0)
      return make_error(ErrorCode::kRejected, "take exceeds transactionCapacity " +
                                                  std::to_string(cap) + " of channel " +
                                                  channel_.name());
    return Status::ok();
  }
  const size_t before = taken_.size();
  if (Status s = do_take(max, taken_); !s) return s;
  const size_t n = taken_.size() - before;
  // Flume counts one attempt per take() call, and its sinks call take() until it returns
  // nothing or the batch is full: n successes plus one empty call on underflow.
  counters_.event_take_attempt->inc(static_cast<int64_t>(n + (n < max ? 1 : 0)));
  out.append_range(taken_, before, before + n);
  return Status::ok();
}

Status BasicTransaction::commit() {
  if (!staged_.empty()) {
    if (Status s = do_commit_put(staged_, markers_, wait_for_space_); !s)
      return s;  // staged events stay; the caller rolls back (guard) or retries
    staged_.clear();
    markers_.clear();
  }
  if (!taken_.empty()) {
    // Markers not written with puts go with the take commit (a sink's record of its output).
    if (Status s = do_commit_take(taken_, markers_); !s) return s;
    counters_.event_take_success->inc(static_cast<int64_t>(taken_.size()));
    taken_.clear();
  }
  markers_.clear();
  return Status::ok();
}

Status broken_chain_error(const Channel& channel) {
  return make_error(ErrorCode::kUnavailable,
                    "channel " + channel.name() + ": an earlier commit of this source failed");
}

void BasicTransaction::commit_async(std::function<void(Status)> done) {
  if (chain_) {
    ticket_ = chain_->join();
    if (chain_->refuses(ticket_)) {
      done(broken_chain_error(channel_));
      return;
    }
  }
  if (staged_.empty() || !taken_.empty()) {
    Status s = commit();
    if (!s && chain_) chain_->fail(ticket_);
    done(std::move(s));
    return;
  }
  // The channel calls this before it writes anything committed after: a failure breaks the
  // chain in time for the commits queued behind this one.
  do_commit_put_async(staged_, markers_, wait_for_space_, [this, done = std::move(done)](Status s) {
    // On failure the staged events stay, as with commit(): the caller rolls back or retries.
    if (s) {
      staged_.clear();
      markers_.clear();
    } else if (chain_) {
      chain_->fail(ticket_);
    }
    done(std::move(s));  // may end this transaction: nothing of it is touched after
  });
}

void BasicTransaction::rollback() {
  staged_.clear();
  markers_.clear();
  if (!taken_.empty()) do_rollback_take(taken_);
  taken_.clear();
}

void BasicTransaction::set_marker(std::string_view key, std::string_view value) {
  if (keeps_markers()) markers_.emplace_back(std::string(key), std::string(value));
}

}  // namespace flumen::pipeline
