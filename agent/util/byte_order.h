#pragma once
// Byte order and varints in one place: every wire and on-disk format of flumen (the forward
// protocol, the Kafka protocol, the broker's indexes, the committed-offset keys and values)
// reads and writes its integers through these, instead of shifting bytes by hand each time.
//
//   load_be<T>(p)          the big-endian T at p (p need not be aligned)
//   store_be<T>(p, v)      writes v big-endian at p
//   append_be<T>(out, v)   appends v big-endian to a string
//   append_uvarint / read_uvarint   unsigned LEB128 (Kafka's and protobuf's varint)
//   zigzag_encode / zigzag_decode   the signed mapping Kafka's record fields use
// Readers of untrusted input check the length before load_be; read_uvarint checks for itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace flumen::util {

template <typename T>
inline T load_be(const void* p) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  const auto* b = static_cast<const unsigned char*>(p);
  U v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v = static_cast<U>((v << 8) | b[i]);
  return static_cast<T>(v);
}

template <typename T>
inline void store_be(void* p, T value) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  auto v = static_cast<U>(value);
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = sizeof(T); i-- > 0;) {
    b[i] = static_cast<unsigned char>(v & 0xff);
    if constexpr (sizeof(T) > 1) v = static_cast<U>(v >> 8);
  }
}

template <typename T>
inline void append_be(std::string& out, T value) {
  char b[sizeof(T)];
  store_be<T>(b, value);
  out.append(b, sizeof(T));
}

// Appends v as an unsigned varint (7 bits a byte, low first, high bit = more follows).
inline void append_uvarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads an unsigned varint from the front of `in` and removes it. False (in unchanged) when
// `in` ends inside it or it is longer than 10 bytes (more than 64 bits).
inline bool read_uvarint(std::string_view& in, uint64_t& out) {
  uint64_t v = 0;
  for (size_t i = 0; i < in.size() && i < 10; ++i) {
    const auto byte = static_cast<unsigned char>(in[i]);
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      out = v;
      return true;
    }
  }
  return false;
}

inline uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace flumen::util
