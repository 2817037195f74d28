#pragma once
// OffsetMap: the log cleaner's key -> latest offset map, of bounded memory (Kafka's
// SkimpyOffsetMap idea: store a 128-bit digest of the key, never the key). Open addressing with
// linear probing in one flat array of 24-byte slots; filled to at most 90% so that probes stay
// short. Two keys would have to share an MD5 digest to be confused (the cleaner would then drop
// the older one's records): not a practical risk.
//
// Threads: one owner (the cleaner thread).
#include <cstdint>
#include <string_view>
#include <vector>

namespace flumen::broker {

class OffsetMap {
 public:
  static constexpr size_t kSlotBytes = 24;
  static constexpr double kLoadFactor = 0.9;

  // Room for about `max_bytes` / 24 slots, allocated for `expected_keys` only (at least 64 slots):
  // a small log does not pay for the configured maximum.
  OffsetMap(size_t max_bytes, size_t expected_keys);

  // Records `offset` as the latest for `key`; false (nothing stored) when the map is full.
  bool put(std::string_view key, int64_t offset);
  // The latest offset recorded for `key`, -1 when none.
  int64_t get(std::string_view key) const;
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  bool full() const { return size_ >= limit_; }

 private:
  struct Slot {
    uint64_t hi = 0, lo = 0;
    int64_t offset = -1;  // -1: empty
  };
  static void digest(std::string_view key, uint64_t& hi, uint64_t& lo);
  size_t find(uint64_t hi, uint64_t lo) const;

  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t limit_ = 0;
};

}  // namespace flumen::broker
