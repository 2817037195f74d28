#pragma once
// EventBatch: the unit that moves through a pipeline. A Flume event is headers (a string map,
// few and short) plus a body (bytes). A batch keeps all of its events' bytes in one arena and
// describes each event with fixed-size records, so building, copying and dropping a batch costs a
// few allocations per batch, never one per event or per header.
//
// Layout: arena_ holds header keys/values and bodies back to back. events_[i] points at its body
// and at a contiguous run of headers_ records. Editing an event's headers appends a new run (the
// old run becomes garbage until the batch is cleared) so edits stay O(headers of that event).
//
// Not thread-safe: a batch belongs to one thread at a time and is handed over whole.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flumen {

class EventBatch;

// Read-only view of one event inside a batch; valid until the batch is modified.
class EventView {
 public:
  EventView(const EventBatch* batch, size_t index) : batch_(batch), index_(index) {}
  std::string_view body() const;
  size_t header_count() const;
  std::pair<std::string_view, std::string_view> header_at(size_t i) const;
  std::optional<std::string_view> header(std::string_view key) const;

 private:
  const EventBatch* batch_;
  size_t index_;
};

class EventBatch {
 public:
  using Header = std::pair<std::string_view, std::string_view>;

  size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  // Sum of body sizes: what byte capacities count (headers are small and not counted, as in Flume).
  size_t body_bytes() const { return body_bytes_; }
  // Bytes held by the arena (bodies, header text and garbage from edits).
  size_t arena_bytes() const { return arena_.size(); }

  void clear();
  void reserve(size_t events, size_t bytes);
  void swap(EventBatch& other) noexcept;

  // Appends an event; returns its index.
  size_t add(std::string_view body);
  size_t add(std::string_view body, std::initializer_list<Header> headers);
  size_t add(std::string_view body, std::span<const Header> headers);  // a vector converts
  // Appends the event's body in pieces without a temporary string (e.g. a counter and padding).
  // Start with begin_event(), append bytes, then end_event(); headers may be set afterwards.
  void begin_event();
  void append_body(std::string_view bytes);
  char* append_body_space(size_t n);  // returns where to write n bytes
  size_t end_event();

  EventView operator[](size_t i) const { return EventView(this, i); }
  std::string_view body(size_t i) const;
  std::optional<std::string_view> header(size_t i, std::string_view key) const;
  size_t header_count(size_t i) const { return events_[i].header_count; }
  Header header_at(size_t i, size_t h) const;

  // Header edits (interceptors). set_header replaces an existing key or adds it.
  void set_header(size_t i, std::string_view key, std::string_view value);
  bool remove_header(size_t i, std::string_view key);
  void set_body(size_t i, std::string_view body);

  // Copies events [begin, end) of another batch to the end of this one.
  void append_range(const EventBatch& other, size_t begin, size_t end);
  void append_all(const EventBatch& other) { append_range(other, 0, other.size()); }
  void append_event(const EventBatch& other, size_t i) { append_range(other, i, i + 1); }
  // Keeps only the events whose keep[i] is true, preserving order (interceptors that drop).
  void retain(const std::vector<bool>& keep);
  // Removes the first n events (what a partial take leaves behind).
  void drop_front(size_t n);

 private:
  friend class EventView;
  struct Span {
    uint32_t offset;
    uint32_t length;
  };
  struct HeaderRec {
    Span key;
    Span value;
  };
  struct EventRec {
    Span body;
    uint32_t header_begin;
    uint32_t header_count;
  };

  Span store(std::string_view bytes);
  std::string_view view(Span s) const { return {arena_.data() + s.offset, s.length}; }
  // Copies an event's header run to the end of headers_ so it can grow.
  void detach_headers(size_t i);

  std::string arena_;
  std::vector<HeaderRec> headers_;
  std::vector<EventRec> events_;
  size_t body_bytes_ = 0;
  size_t open_event_start_ = 0;  // arena offset of the body being built by begin_event()
};

inline std::string_view EventView::body() const {
  return batch_->body(index_);
}
inline size_t EventView::header_count() const {
  return batch_->header_count(index_);
}
inline std::pair<std::string_view, std::string_view> EventView::header_at(size_t i) const {
  return batch_->header_at(index_, i);
}
inline std::optional<std::string_view> EventView::header(std::string_view key) const {
  return batch_->header(index_, key);
}

}  // namespace flumen
