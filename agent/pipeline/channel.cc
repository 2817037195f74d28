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

void Channel::add_space_listener(SpaceListener* l) {
  std::lock_guard lock(space_mu_);
  space_listeners_.push_back(l);
}

void Channel::remove_space_listener(SpaceListener* l) {
  std::lock_guard lock(space_mu_);
  space_listeners_.erase(std::remove(space_listeners_.begin(), space_listeners_.end(), l),
                         space_listeners_.end());
}

void Channel::notify_space() {
  std::lock_guard lock(space_mu_);
  for (SpaceListener* l : space_listeners_)
    l->on_space();
}

}  // namespace flumen::pipeline
