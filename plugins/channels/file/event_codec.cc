#include "plugins/channels/file/event_codec.h"

#include <cstring>

namespace flumen::plugins {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool get_bytes(std::string_view& in, std::string_view& out) {
  uint64_t len;
  if (!get_varint(in, len) || len > in.size()) return false;
  out = in.substr(0, len);
  in.remove_prefix(len);
  return true;
}

}  // namespace

void encode_chunk(const EventBatch& batch, std::string& out) {
  out.clear();
  out.reserve(4 + batch.arena_bytes() + batch.size() * 4);
  auto n = static_cast<uint32_t>(batch.size());
  char count[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                   static_cast<char>(n >> 24)};
  out.append(count, 4);
  for (size_t i = 0; i < batch.size(); ++i) {
    put_varint(out, batch.header_count(i));
    for (size_t h = 0; h < batch.header_count(i); ++h) {
      auto [k, v] = batch.header_at(i, h);
      put_varint(out, k.size());
      out.append(k);
      put_varint(out, v.size());
      out.append(v);
    }
    std::string_view body = batch.body(i);
    put_varint(out, body.size());
    out.append(body);
  }
}

uint32_t chunk_count(std::string_view value) {
  if (value.size() < 4) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

bool decode_chunk(std::string_view in, EventBatch& out) {
  if (in.size() < 4) return false;
  uint32_t n = chunk_count(in);
  in.remove_prefix(4);
  for (uint32_t e = 0; e < n; ++e) {
    uint64_t headers;
    if (!get_varint(in, headers) || headers > in.size()) return false;
    // Headers are written after the body is known, so parse them first, then add the event.
    std::string_view keys[64], values[64];
    std::vector<std::pair<std::string_view, std::string_view>> many;
    for (uint64_t h = 0; h < headers; ++h) {
      std::string_view k, v;
      if (!get_bytes(in, k) || !get_bytes(in, v)) return false;
      if (headers <= 64) {
        keys[h] = k;
        values[h] = v;
      } else {
        many.emplace_back(k, v);
      }
    }
    std::string_view body;
    if (!get_bytes(in, body)) return false;
    size_t i = out.add(body);
    if (headers <= 64) {
      for (uint64_t h = 0; h < headers; ++h)
        out.set_header(i, keys[h], values[h]);
    } else {
      for (auto& [k, v] : many)
        out.set_header(i, k, v);
    }
  }
  return in.empty();
}

}  // namespace flumen::plugins
