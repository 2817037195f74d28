#include "broker/protocol/wire.h"

#include "agent/util/byte_order.h"

namespace flumen::broker {

std::string_view WireReader::raw(size_t n) {
  if (failed_ || s_.size() < n) {
    failed_ = true;
    return {};
  }
  std::string_view v = s_.substr(0, n);
  s_.remove_prefix(n);
  return v;
}

uint64_t WireReader::u(size_t n) {
  std::string_view b = raw(n);
  if (b.size() != n) return 0;
  switch (n) {
    case 1:
      return util::load_be<uint8_t>(b.data());
    case 2:
      return util::load_be<uint16_t>(b.data());
    case 4:
      return util::load_be<uint32_t>(b.data());
    default:
      return util::load_be<uint64_t>(b.data());
  }
}

uint64_t WireReader::uvarint() {
  uint64_t v = 0;
  if (failed_ || !util::read_uvarint(s_, v)) {
    failed_ = true;
    return 0;
  }
  return v;
}

std::optional<std::string_view> WireReader::nullable_string() {
  int16_t n = i16();
  if (failed_) return std::string_view();
  if (n < 0) {
    if (n != -1) failed_ = true;
    return std::nullopt;
  }
  return raw(static_cast<size_t>(n));
}

std::optional<std::string_view> WireReader::nullable_bytes() {
  int32_t n = i32();
  if (failed_) return std::string_view();
  if (n < 0) {
    if (n != -1) failed_ = true;
    return std::nullopt;
  }
  return raw(static_cast<size_t>(n));
}

std::string_view WireReader::compact_string() {
  uint64_t n = uvarint();
  if (failed_ || n == 0) return {};
  if (n - 1 > s_.size()) {
    failed_ = true;
    return {};
  }
  return raw(static_cast<size_t>(n - 1));
}

int32_t WireReader::array_count(size_t min_element_size) {
  int32_t n = i32();
  if (failed_) return 0;
  if (n < -1 ||
      (n > 0 && static_cast<size_t>(n) > s_.size() / std::max<size_t>(min_element_size, 1))) {
    failed_ = true;
    return 0;
  }
  return n;
}

int32_t WireReader::compact_array_count(size_t min_element_size) {
  uint64_t n = uvarint();
  if (failed_) return 0;
  if (n == 0) return -1;
  if (n - 1 > s_.size() / std::max<size_t>(min_element_size, 1)) {
    failed_ = true;
    return 0;
  }
  return static_cast<int32_t>(n - 1);
}

void WireReader::skip_tagged_fields() {
  uint64_t n = uvarint();
  for (uint64_t i = 0; i < n && !failed_; ++i) {
    uvarint();  // tag
    uint64_t size = uvarint();
    if (size > s_.size()) {
      failed_ = true;
      return;
    }
    raw(static_cast<size_t>(size));
  }
}

void WireWriter::be(uint64_t v, size_t n) {
  switch (n) {
    case 2:
      util::append_be<uint16_t>(out_, static_cast<uint16_t>(v));
      break;
    case 4:
      util::append_be<uint32_t>(out_, static_cast<uint32_t>(v));
      break;
    default:
      util::append_be<uint64_t>(out_, v);
  }
}

void WireWriter::uvarint(uint64_t v) {
  util::append_uvarint(out_, v);
}

void WireWriter::string(std::string_view s) {
  i16(static_cast<int16_t>(s.size()));
  out_.append(s);
}

void WireWriter::nullable_string(std::optional<std::string_view> s) {
  if (!s) {
    i16(-1);
    return;
  }
  string(*s);
}

void WireWriter::bytes(std::string_view b) {
  i32(static_cast<int32_t>(b.size()));
  out_.append(b);
}

void WireWriter::compact_string(std::string_view s) {
  uvarint(s.size() + 1);
  out_.append(s);
}

void WireWriter::patch_i32(size_t at, int32_t v) {
  util::store_be<int32_t>(out_.data() + at, v);
}

void WireWriter::patch_i16(size_t at, int16_t v) {
  auto u = static_cast<uint16_t>(v);
  out_[at] = static_cast<char>(u >> 8);
  out_[at + 1] = static_cast<char>(u);
}

}  // namespace flumen::broker
