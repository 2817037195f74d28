#include "agent/net/avro_binary.h"

namespace flumen::net::avro {

bool Reader::read_long(int64_t& v) {
  if (!ok_) return false;
  uint64_t u = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= in_.size()) return fail();
    const auto b = static_cast<uint8_t>(in_[pos_++]);
    u |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
      return true;
    }
  }
  return fail();  // more than 10 bytes: not a long
}

bool Reader::read_int(int32_t& v) {
  int64_t l = 0;
  if (!read_long(l)) return false;
  if (l < INT32_MIN || l > INT32_MAX) return fail();
  v = static_cast<int32_t>(l);
  return true;
}

bool Reader::read_bool(bool& v) {
  if (!ok_ || pos_ >= in_.size()) return fail();
  const char b = in_[pos_++];
  if (b != 0 && b != 1) return fail();
  v = b == 1;
  return true;
}

bool Reader::read_bytes(std::string_view& v) {
  int64_t n = 0;
  if (!read_long(n)) return false;
  if (n < 0 || static_cast<uint64_t>(n) > remaining()) return fail();
  v = in_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return true;
}

bool Reader::read_fixed(size_t n, std::string_view& v) {
  if (!ok_ || n > remaining()) return fail();
  v = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::read_block_count(int64_t& count) {
  if (!read_long(count)) return false;
  if (count < 0) {
    if (count == INT64_MIN) return fail();
    count = -count;
    int64_t size = 0;
    if (!read_long(size) || size < 0) return fail();
  }
  // Every item takes at least one byte: a count above the bytes left is a lie.
  if (static_cast<uint64_t>(count) > remaining()) return fail();
  return true;
}

void write_long(std::string& out, int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 0x80) {
    out.push_back(static_cast<char>((u & 0x7f) | 0x80));
    u >>= 7;
  }
  out.push_back(static_cast<char>(u));
}

void write_bytes(std::string& out, std::string_view v) {
  write_long(out, static_cast<int64_t>(v.size()));
  out.append(v);
}

}  // namespace flumen::net::avro
