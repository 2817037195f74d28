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
  if (!has_plan()) return out;
  out +=
      " " + std::to_string(first_seq) + " " + std::to_string(events) + " " + hex(events_hash) + " ";
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(counts[i]);
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
  if (!next_field(rest, f)) return r;  // no take in flight
  if (!parse(f, r.first_seq) || r.first_seq == 0) return std::nullopt;
  if (!next_field(rest, f) || !parse(f, r.events)) return std::nullopt;
  if (!next_field(rest, f) || !parse(f, r.events_hash, 16)) return std::nullopt;
  if (!next_field(rest, f)) return std::nullopt;
  uint64_t total = 0;
  while (!f.empty()) {
    const size_t comma = f.find(',');
    uint32_t c = 0;
    if (!parse(f.substr(0, comma), c) || c == 0) return std::nullopt;
    r.counts.push_back(c);
    total += c;
    f.remove_prefix(comma == std::string_view::npos ? f.size() : comma + 1);
  }
  // The plan must describe its events exactly and lie below the next number.
  if (r.counts.empty() || total != r.events || r.first_seq + r.counts.size() > r.next_seq)
    return std::nullopt;
  if (next_field(rest, f)) return std::nullopt;
  return r;
}

}  // namespace flumen::plugins
