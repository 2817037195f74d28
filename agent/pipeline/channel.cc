#include "agent/pipeline/channel.h"

#include <algorithm>

namespace flumen::pipeline {

void Channel::add_waiter(Notifier* n) {
  std::lock_guard lock(waiters_mu_);
  waiters_.push_back(n);
}

void Channel::remove_waiter(Notifier* n) {
  std::lock_guard lock(waiters_mu_);
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), n), waiters_.end());
}

void Channel::notify_waiters() {
  std::lock_guard lock(waiters_mu_);
  for (Notifier* n : waiters_)
    n->notify();
}

}  // namespace flumen::pipeline
