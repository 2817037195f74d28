#include "agent/event/event_batch.h"

#include <cstring>
#include <stdexcept>

namespace flumen {

namespace {
// Offsets are 32-bit to keep records small; a batch over 4 GiB is a bug upstream (batch sizes
// are bounded by transactionCapacity and line limits), so fail loudly rather than wrap.
void check_arena_limit(size_t size) {
  if (size > UINT32_MAX) throw std::length_error("EventBatch arena exceeds 4 GiB");
}
}  // namespace

void EventBatch::clear() {
  arena_.clear();
  headers_.clear();
  events_.clear();
  body_bytes_ = 0;
}

void EventBatch::reserve(size_t events, size_t bytes) {
  events_.reserve(events);
  arena_.reserve(bytes);
}

void EventBatch::swap(EventBatch& other) noexcept {
  arena_.swap(other.arena_);
  headers_.swap(other.headers_);
  events_.swap(other.events_);
  std::swap(body_bytes_, other.body_bytes_);
  std::swap(open_event_start_, other.open_event_start_);
}

EventBatch::Span EventBatch::store(std::string_view bytes) {
  size_t offset = arena_.size();
  check_arena_limit(offset + bytes.size());
  arena_.append(bytes.data(), bytes.size());
  return {static_cast<uint32_t>(offset), static_cast<uint32_t>(bytes.size())};
}

size_t EventBatch::add(std::string_view body) {
  events_.push_back({store(body), static_cast<uint32_t>(headers_.size()), 0});
  body_bytes_ += body.size();
  return events_.size() - 1;
}

size_t EventBatch::add(std::string_view body, std::initializer_list<Header> headers) {
  return add(body, std::span<const Header>(headers.begin(), headers.size()));
}

size_t EventBatch::add(std::string_view body, std::span<const Header> headers) {
  size_t i = add(body);
  for (const auto& [k, v] : headers)
    headers_.push_back({store(k), store(v)});
  events_[i].header_count = static_cast<uint32_t>(headers.size());
  return i;
}

void EventBatch::begin_event() {
  open_event_start_ = arena_.size();
}

void EventBatch::append_body(std::string_view bytes) {
  arena_.append(bytes.data(), bytes.size());
}

char* EventBatch::append_body_space(size_t n) {
  size_t old = arena_.size();
  arena_.resize(old + n);
  return arena_.data() + old;
}

size_t EventBatch::end_event() {
  check_arena_limit(arena_.size());
  Span body{static_cast<uint32_t>(open_event_start_),
            static_cast<uint32_t>(arena_.size() - open_event_start_)};
  events_.push_back({body, static_cast<uint32_t>(headers_.size()), 0});
  body_bytes_ += body.length;
  return events_.size() - 1;
}

std::string_view EventBatch::body(size_t i) const {
  return view(events_[i].body);
}

EventBatch::Header EventBatch::header_at(size_t i, size_t h) const {
  const HeaderRec& r = headers_[events_[i].header_begin + h];
  return {view(r.key), view(r.value)};
}

std::optional<std::string_view> EventBatch::header(size_t i, std::string_view key) const {
  const EventRec& e = events_[i];
  for (uint32_t h = 0; h < e.header_count; ++h) {
    const HeaderRec& r = headers_[e.header_begin + h];
    if (view(r.key) == key) return view(r.value);
  }
  return std::nullopt;
}

void EventBatch::detach_headers(size_t i) {
  EventRec& e = events_[i];
  // Already the last run: it can grow in place.
  if (e.header_begin + e.header_count == headers_.size()) return;
  uint32_t begin = static_cast<uint32_t>(headers_.size());
  for (uint32_t h = 0; h < e.header_count; ++h)
    headers_.push_back(headers_[e.header_begin + h]);
  e.header_begin = begin;
}

void EventBatch::set_header(size_t i, std::string_view key, std::string_view value) {
  EventRec& e = events_[i];
  for (uint32_t h = 0; h < e.header_count; ++h) {
    HeaderRec& r = headers_[e.header_begin + h];
    if (view(r.key) == key) {
      if (value.size() <= r.value.length) {
        // Rewrite in place: the old bytes belong to this header only.
        std::memcpy(arena_.data() + r.value.offset, value.data(), value.size());
        r.value.length = static_cast<uint32_t>(value.size());
      } else {
        Span v = store(value);
        headers_[e.header_begin + h].value = v;
      }
      return;
    }
  }
  detach_headers(i);
  Span k = store(key);
  Span v = store(value);
  headers_.push_back({k, v});
  events_[i].header_count++;
}

bool EventBatch::remove_header(size_t i, std::string_view key) {
  EventRec& e = events_[i];
  for (uint32_t h = 0; h < e.header_count; ++h) {
    if (view(headers_[e.header_begin + h].key) == key) {
      // Order of the remaining headers is kept; the run shrinks by one.
      for (uint32_t j = h + 1; j < e.header_count; ++j)
        headers_[e.header_begin + j - 1] = headers_[e.header_begin + j];
      e.header_count--;
      return true;
    }
  }
  return false;
}

void EventBatch::set_body(size_t i, std::string_view body) {
  EventRec& e = events_[i];
  body_bytes_ -= e.body.length;
  Span s = store(body);
  events_[i].body = s;
  body_bytes_ += body.size();
}

void EventBatch::append_range(const EventBatch& other, size_t begin, size_t end) {
  if (begin >= end) return;
  if (begin == 0 && end == other.size() &&
      other.arena_.size() <= 2 * other.body_bytes_ + 64 * end) {
    // Whole batch without much garbage: copy the arena in one go and rebase the records.
    uint32_t base = static_cast<uint32_t>(arena_.size());
    check_arena_limit(arena_.size() + other.arena_.size());
    arena_.append(other.arena_);
    uint32_t hbase = static_cast<uint32_t>(headers_.size());
    headers_.reserve(headers_.size() + other.headers_.size());
    for (const HeaderRec& r : other.headers_)
      headers_.push_back(
          {{r.key.offset + base, r.key.length}, {r.value.offset + base, r.value.length}});
    events_.reserve(events_.size() + other.events_.size());
    for (const EventRec& e : other.events_)
      events_.push_back(
          {{e.body.offset + base, e.body.length}, e.header_begin + hbase, e.header_count});
    body_bytes_ += other.body_bytes_;
    return;
  }
  events_.reserve(events_.size() + (end - begin));
  for (size_t i = begin; i < end; ++i) {
    const EventRec& e = other.events_[i];
    uint32_t hb = static_cast<uint32_t>(headers_.size());
    for (uint32_t h = 0; h < e.header_count; ++h) {
      const HeaderRec& r = other.headers_[e.header_begin + h];
      Span k = store(other.view(r.key));
      Span v = store(other.view(r.value));
      headers_.push_back({k, v});
    }
    Span b = store(other.view(e.body));
    events_.push_back({b, hb, e.header_count});
    body_bytes_ += b.length;
  }
}

void EventBatch::retain(const std::vector<bool>& keep) {
  size_t out = 0;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (i < keep.size() && keep[i]) {
      events_[out++] = events_[i];
    } else {
      body_bytes_ -= events_[i].body.length;
    }
  }
  events_.resize(out);
}

void EventBatch::drop_front(size_t n) {
  if (n >= events_.size()) {
    clear();
    return;
  }
  for (size_t i = 0; i < n; ++i)
    body_bytes_ -= events_[i].body.length;
  events_.erase(events_.begin(), events_.begin() + static_cast<ptrdiff_t>(n));
}

}  // namespace flumen
