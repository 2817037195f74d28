#include "agent/net/backoff_resumer.h"

#include <algorithm>
#include <utility>

#include "agent/util/spin_wait.h"

namespace flumen::net {

BackoffResumer::BackoffResumer(uv_loop_t* loop) : timer_(new uv_timer_t), wake_(new uv_async_t) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_async_init(loop, wake_, [](uv_async_t* a) {
    if (auto* self = static_cast<BackoffResumer*>(a->data)) self->resume_all();
  });
  wake_->data = this;
}

BackoffResumer::~BackoffResumer() {
  // After this no sink thread can reach on_space(): the channels' listener lock orders it.
  for (pipeline::Channel* c : watched_)
    c->remove_space_listener(this);
  timer_->data = nullptr;
  wake_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(wake_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void BackoffResumer::watch(std::vector<pipeline::Channel*> channels) {
  watched_ = std::move(channels);
  for (pipeline::Channel* c : watched_)
    c->add_space_listener(this);
}

void BackoffResumer::on_space() {
  space_events_.fetch_add(1);
  uv_async_send(wake_);
}

bool BackoffResumer::space_soon(uint64_t seen) const {
  return util::spin_until([&] { return space_events_.load(std::memory_order_relaxed) != seen; });
}

void BackoffResumer::resume_all() {
  if (waiting_.empty()) return;
  uv_timer_stop(timer_);
  // A resumed connection may be refused again and re-added: resume a copy.
  for (Connection* w : std::exchange(waiting_, {}))
    w->resume();
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
        self->resume_all();
      },
      static_cast<uint64_t>(backoff_ms_), 0);
}

void BackoffResumer::forget(Connection& c) {
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), &c), waiting_.end());
}

}  // namespace flumen::net
