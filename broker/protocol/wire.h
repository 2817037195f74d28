#pragma once
// Kafka's wire primitives (big-endian integers, int16-length strings, int32-length bytes and
// arrays, and the compact/tagged forms of flexible versions). The Reader never reads past its
// buffer: any short or negative length sets failed(), and a request that failed is answered
// with an error or closes its connection; the Writer patches sizes written ahead.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace flumen::broker {

class WireReader {
 public:
  explicit WireReader(std::string_view s) : s_(s) {}
  bool failed() const { return failed_; }
  size_t remaining() const { return s_.size(); }
  std::string_view rest() const { return s_; }

  std::string_view raw(size_t n);
  int8_t i8() { return static_cast<int8_t>(u(1)); }
  int16_t i16() { return static_cast<int16_t>(u(2)); }
  int32_t i32() { return static_cast<int32_t>(u(4)); }
  int64_t i64() { return static_cast<int64_t>(u(8)); }
  bool boolean() { return i8() != 0; }
  uint64_t uvarint();
  // int16 length; -1 = null (nullopt).
  std::optional<std::string_view> nullable_string();
  std::string_view string() { return nullable_string().value_or(std::string_view()); }
  // int32 length; -1 = null.
  std::optional<std::string_view> nullable_bytes();
  std::string_view compact_string();  // unsigned varint length+1
  // int32 count; -1 = null (returns -1). A count that cannot fit in what is left fails.
  int32_t array_count(size_t min_element_size = 1);
  int32_t compact_array_count(size_t min_element_size = 1);
  void skip_tagged_fields();

 private:
  uint64_t u(size_t n);
  std::string_view s_;
  bool failed_ = false;
};

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}
  std::string& buffer() { return out_; }
  size_t size() const { return out_.size(); }

  void i8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void i16(int16_t v) { be(static_cast<uint64_t>(static_cast<uint16_t>(v)), 2); }
  void i32(int32_t v) { be(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v), 8); }
  void boolean(bool v) { i8(v ? 1 : 0); }
  void uvarint(uint64_t v);
  void string(std::string_view s);
  void nullable_string(std::optional<std::string_view> s);
  void bytes(std::string_view b);
  void compact_string(std::string_view s);
  void raw(std::string_view b) { out_.append(b); }
  // Reserves an int32 to be filled by patch_i32 (sizes and counts known only afterwards).
  size_t reserve_i32() {
    size_t at = out_.size();
    i32(0);
    return at;
  }
  void patch_i32(size_t at, int32_t v);
  void patch_i16(size_t at, int16_t v);

 private:
  void be(uint64_t v, size_t n);
  std::string& out_;
};

}  // namespace flumen::broker
