#include "agent/metrics/tap.h"

#include <algorithm>

#include "agent/metrics/component_metrics.h"

namespace flumen::metrics {

void Tap::record(const EventBatch& batch) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (!attached_.load(std::memory_order_relaxed)) return;
  if (now >= expires_) {  // the last reader went away
    attached_.store(false, std::memory_order_relaxed);
    ring_.clear();
    ring_.shrink_to_fit();
    capacity_ = 0;
    return;
  }
  const int64_t wall = now_millis();
  const size_t n = std::min(batch.size(), capacity_);
  for (size_t i = 0; i < n; ++i) {
    TappedEvent e;
    e.seq = ++last_seq_;
    e.time_ms = wall;
    const std::string_view body = batch.body(i);
    e.body_size = body.size();
    e.body.assign(body.substr(0, kMaxBody));
    for (size_t h = 0; h < batch.header_count(i); ++h) {
      auto [k, v] = batch.header_at(i, h);
      e.headers.emplace_back(std::string(k), std::string(v));
    }
    ring_.push_back(std::move(e));
  }
  if (batch.size() > n) last_seq_ += batch.size() - n;  // passed, not kept: seen as missed
  while (ring_.size() > capacity_)
    ring_.pop_front();
}

Tap::Read Tap::read(std::optional<uint64_t> from, size_t max, size_t capacity) {
  capacity = std::clamp<size_t>(capacity, 1, kMaxCapacity);
  std::lock_guard lock(mu_);
  expires_ = std::chrono::steady_clock::now() + kLinger;
  if (!attached_.load(std::memory_order_relaxed)) capacity_ = 0;
  capacity_ = std::max(capacity_, capacity);
  attached_.store(true, std::memory_order_relaxed);
  Read r;
  // A first read (or a cursor from before a restart of the agent) starts from now.
  if (!from || *from > last_seq_) {
    r.next = last_seq_;
    return r;
  }
  const uint64_t since = *from;
  r.next = since;
  const uint64_t oldest = ring_.empty() ? last_seq_ + 1 : ring_.front().seq;
  if (oldest > since + 1) r.missed = oldest - since - 1;
  for (const auto& e : ring_) {
    if (e.seq <= since) continue;
    if (r.events.size() >= max) break;
    r.events.push_back(e);
    r.next = e.seq;
  }
  if (r.events.empty() && oldest > since + 1) r.next = oldest - 1;
  return r;
}

}  // namespace flumen::metrics
