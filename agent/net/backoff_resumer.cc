#include "agent/net/backoff_resumer.h"

#include <algorithm>
#include <utility>

namespace flumen::net {

BackoffResumer::BackoffResumer(uv_loop_t* loop) : timer_(new uv_timer_t) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
}

BackoffResumer::~BackoffResumer() {
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void BackoffResumer::pause_and_retry(Connection& c) {
  c.pause();
  if (std::find(waiting_.begin(), waiting_.end(), &c) == waiting_.end()) waiting_.push_back(&c);
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(timer_))) return;
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<BackoffResumer*>(t->data);
        if (self == nullptr) return;
        self->backoff_ms_ = std::min(self->backoff_ms_ * 2, kMaxBackoffMs);
        // A resumed connection may be refused again and re-added: resume a copy.
        for (Connection* w : std::exchange(self->waiting_, {}))
          w->resume();
      },
      static_cast<uint64_t>(backoff_ms_), 0);
}

void BackoffResumer::forget(Connection& c) {
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), &c), waiting_.end());
}

}  // namespace flumen::net
