#include "plugins/sinks/forward/sender_record.h"

#include <bit>
#include <charconv>
#include <cstring>

namespace flumen::plugins {

namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;

uint64_t load_le64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= kMul;
  return h ^ (h >> 29);
}

// Eight bytes at a time, then the tail with the length: a length-prefixed field cannot be
// confused with its neighbours ("ab" "c" differs from "a" "bc").
uint64_t hash_field(uint64_t h, std::string_view s) {
  h = mix(h, s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8)
    h = mix(h, load_le64(s.data() + i));
  uint64_t tail = 0;
  for (size_t k = 0; i < s.size(); ++i, ++k)
    tail |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * k);
  return mix(h, tail);
}

bool next_field(std::string_view& rest, std::string_view& field) {
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  if (rest.empty()) return false;
  const size_t end = rest.find(' ');
  field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return true;
}

template <typename T>
bool parse(std::string_view s, T& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string hex(uint64_t v) {
  char buf[17];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  return std::string(buf, p);
}

}  // namespace

uint64_t events_identity(const EventBatch& batch) {
  uint64_t h = mix(0x6a09e667f3bcc908ULL, batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    h = hash_field(h, batch.body(i));
    h = mix(h, batch.header_count(i));
    for (size_t k = 0; k < batch.header_count(i); ++k) {
      auto [key, value] = batch.header_at(i, k);
      h = hash_field(hash_field(h, key), value);
    }
  }
  return h;
}

std::string sender_record_key(const std::string& state_key) {
  return "fwd-sink/" + state_key;
}

std::string SenderRecord::encode() const {
  std::string out =
      "1 " + hex(stream) + " " + std::to_string(next_seq) + " " + std::to_string(recorded_at_ms);
  for (const TakePlanRecord& t : takes) {
    out += " " + std::to_string(t.first_seq) + " " + std::to_string(t.events) + " " +
           hex(t.events_hash) + " ";
    for (size_t i = 0; i < t.counts.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(t.counts[i]);
    }
  }
  return out;
}

std::optional<SenderRecord> SenderRecord::decode(std::string_view value) {
  SenderRecord r;
  std::string_view rest = value, f;
  if (!next_field(rest, f) || f != "1") return std::nullopt;
  if (!next_field(rest, f) || !parse(f, r.stream, 16)) return std::nullopt;
  if (!next_field(rest, f) || !parse(f, r.next_seq) || r.next_seq == 0) return std::nullopt;
  if (!next_field(rest, f) || !parse(f, r.recorded_at_ms)) return std::nullopt;
  // Numbers below this belong to an earlier take of the record.
  uint64_t free_from = 1;
  while (next_field(rest, f)) {
    TakePlanRecord t;
    if (!parse(f, t.first_seq) || t.first_seq < free_from) return std::nullopt;
    if (!next_field(rest, f) || !parse(f, t.events)) return std::nullopt;
    if (!next_field(rest, f) || !parse(f, t.events_hash, 16)) return std::nullopt;
    if (!next_field(rest, f)) return std::nullopt;
    uint64_t total = 0;
    while (!f.empty()) {
      const size_t comma = f.find(',');
      uint32_t c = 0;
      if (!parse(f.substr(0, comma), c) || c == 0) return std::nullopt;
      t.counts.push_back(c);
      total += c;
      f.remove_prefix(comma == std::string_view::npos ? f.size() : comma + 1);
    }
    // Each plan must describe its events exactly, follow the one before it and lie below the
    // next number.
    if (t.counts.empty() || total != t.events || t.first_seq + t.counts.size() > r.next_seq)
      return std::nullopt;
    free_from = t.first_seq + t.counts.size();
    r.takes.push_back(std::move(t));
  }
  return r;
}

}  // namespace flumen::plugins
