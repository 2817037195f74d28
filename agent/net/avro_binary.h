#pragma once
// Avro's binary encoding (the Avro specification, "Binary Encoding"), as much of it as Avro RPC
// needs: zig-zag varint longs and ints, booleans, bytes and strings, fixed, and the block counts
// of arrays and maps. The reader trusts no length: every one is checked against the bytes left,
// and a failed read leaves the reader failed (later reads fail too), so a decoder can read a
// whole record and check once.
#include <cstdint>
#include <string>
#include <string_view>

namespace flumen::net::avro {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool read_long(int64_t& v);
  bool read_int(int32_t& v);
  bool read_bool(bool& v);
  // bytes and string share one encoding: a long length, then that many bytes.
  bool read_bytes(std::string_view& v);
  bool read_fixed(size_t n, std::string_view& v);
  // An array or map is a series of blocks; this reads the next block's item count (0 ends the
  // series; a negative count is followed by the block's size in bytes, read and dropped here).
  // For the arrays and maps of Avro RPC every item takes at least one byte, so a count above
  // the bytes left is refused before anything is reserved for it.
  bool read_block_count(int64_t& count);

  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }
  size_t position() const { return pos_; }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_long(std::string& out, int64_t v);
inline void write_int(std::string& out, int32_t v) {
  write_long(out, v);
}
inline void write_bool(std::string& out, bool v) {
  out.push_back(v ? '\1' : '\0');
}
void write_bytes(std::string& out, std::string_view v);  // also strings

}  // namespace flumen::net::avro
