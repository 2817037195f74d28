#include "agent/net/forward_codec.h"

#include <lz4.h>
#include <zstd.h>

#include <cstring>
#include <limits>

#include "agent/util/byte_order.h"

namespace flumen::net::forward {

namespace {

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_str(std::string& out, std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 0xffff);
  util::append_be<uint16_t>(out, static_cast<uint16_t>(n));
  out.append(s.data(), n);
}

// Reads fixed-width values from a payload; any read past the end sets failed().
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool failed() const { return failed_; }
  bool done() const { return !failed_ && s_.empty(); }
  std::string_view rest() const { return s_; }
  std::string_view bytes(size_t n) {
    if (failed_ || s_.size() < n) {
      failed_ = true;
      return {};
    }
    std::string_view v = s_.substr(0, n);
    s_.remove_prefix(n);
    return v;
  }
  uint8_t u8() {
    auto b = bytes(1);
    return b.empty() ? 0 : static_cast<uint8_t>(b[0]);
  }
  uint16_t u16() { return be<uint16_t>(); }
  uint32_t u32() { return be<uint32_t>(); }
  uint64_t u64() { return be<uint64_t>(); }
  std::string_view str() { return bytes(u16()); }
  std::string_view str32() { return bytes(u32()); }

 private:
  template <typename T>
  T be() {
    auto b = bytes(sizeof(T));
    return b.empty() ? 0 : util::load_be<T>(b.data());
  }
  std::string_view s_;
  bool failed_ = false;
};

// Starts a frame; the caller appends the payload and then calls end_frame.
size_t begin_frame(std::string& out, FrameType t) {
  size_t at = out.size();
  util::append_be<uint32_t>(out, 0);
  put_u8(out, static_cast<uint8_t>(t));
  return at;
}
void end_frame(std::string& out, size_t at) {
  util::store_be<uint32_t>(out.data() + at, static_cast<uint32_t>(out.size() - at - 4));
}

}  // namespace

Result<Codec> codec_from_name(std::string_view name) {
  if (name == "none" || name.empty()) return Codec::kNone;
  if (name == "zstd") return Codec::kZstd;
  if (name == "lz4") return Codec::kLz4;
  return make_error(ErrorCode::kInvalidConfig,
                    "unknown compression '" + std::string(name) + "' (none, zstd or lz4)");
}

Split split_frame(std::string_view buf, uint32_t max_frame, Frame& frame, size_t& consumed) {
  if (buf.size() < 4) return Split::kNeedMore;
  const auto len = util::load_be<uint32_t>(buf.data());
  if (len == 0) return Split::kMalformed;
  if (len > max_frame) return Split::kTooLarge;
  if (buf.size() - 4 < len) return Split::kNeedMore;
  auto type = static_cast<uint8_t>(buf[4]);
  if (type < static_cast<uint8_t>(FrameType::kHello) ||
      type > static_cast<uint8_t>(FrameType::kError))
    return Split::kMalformed;
  frame.type = static_cast<FrameType>(type);
  frame.payload = buf.substr(5, len - 1);
  consumed = 4 + static_cast<size_t>(len);
  return Split::kFrame;
}

void append_hello(std::string& out, const Hello& h) {
  size_t at = begin_frame(out, FrameType::kHello);
  out.append(kMagic);
  util::append_be<uint16_t>(out, h.version);
  util::append_be<uint64_t>(out, h.stream);
  put_str(out, h.sender);
  put_str(out, h.token);
  end_frame(out, at);
}

void append_welcome(std::string& out, const Welcome& w) {
  size_t at = begin_frame(out, FrameType::kWelcome);
  out.append(kMagic);
  util::append_be<uint16_t>(out, w.version);
  util::append_be<uint32_t>(out, w.max_frame);
  util::append_be<uint32_t>(out, w.max_events);
  util::append_be<uint64_t>(out, w.committed);
  put_str(out, w.receiver);
  end_frame(out, at);
}

void append_ack(std::string& out, const Ack& a) {
  size_t at = begin_frame(out, FrameType::kAck);
  util::append_be<uint64_t>(out, a.seq);
  put_u8(out, static_cast<uint8_t>(a.status));
  end_frame(out, at);
}

void append_nack(std::string& out, const Nack& n) {
  size_t at = begin_frame(out, FrameType::kNack);
  util::append_be<uint64_t>(out, n.seq);
  put_u8(out, static_cast<uint8_t>(n.reason));
  put_str(out, n.message);
  end_frame(out, at);
}

void append_ping(std::string& out, FrameType type, uint64_t nonce) {
  size_t at = begin_frame(out, type);
  util::append_be<uint64_t>(out, nonce);
  end_frame(out, at);
}

void append_error(std::string& out, const WireErrorFrame& e) {
  size_t at = begin_frame(out, FrameType::kError);
  util::append_be<uint16_t>(out, static_cast<uint16_t>(e.code));
  put_str(out, e.message);
  end_frame(out, at);
}

Status append_batch(std::string& out, uint64_t seq, Codec codec, const EventBatch& batch,
                    size_t begin, size_t end, std::string& scratch, int zstd_level) {
  // The raw events go straight into the frame when uncompressed, else into scratch first.
  std::string& raw = codec == Codec::kNone ? out : scratch;
  size_t at = begin_frame(out, FrameType::kBatch);
  util::append_be<uint64_t>(out, seq);
  put_u8(out, static_cast<uint8_t>(codec));
  util::append_be<uint32_t>(out, static_cast<uint32_t>(end - begin));
  const size_t raw_len_at = out.size();
  util::append_be<uint32_t>(out, 0);
  if (codec != Codec::kNone) raw.clear();
  const size_t raw_start = raw.size();
  for (size_t i = begin; i < end; ++i) {
    size_t hc = batch.header_count(i);
    util::append_be<uint16_t>(raw, static_cast<uint16_t>(std::min<size_t>(hc, 0xffff)));
    for (size_t h = 0; h < hc && h < 0xffff; ++h) {
      auto [k, v] = batch.header_at(i, h);
      put_str(raw, k);
      util::append_be<uint32_t>(raw, static_cast<uint32_t>(v.size()));
      raw.append(v);
    }
    std::string_view body = batch.body(i);
    util::append_be<uint32_t>(raw, static_cast<uint32_t>(body.size()));
    raw.append(body);
  }
  const size_t raw_len = raw.size() - raw_start;
  if (raw_len > std::numeric_limits<uint32_t>::max())
    return make_error(ErrorCode::kRejected, "batch larger than 4 GiB");
  util::store_be<uint32_t>(out.data() + raw_len_at, static_cast<uint32_t>(raw_len));
  if (codec == Codec::kZstd) {
    size_t bound = ZSTD_compressBound(raw_len);
    size_t base = out.size();
    out.resize(base + bound);
    size_t n = ZSTD_compress(out.data() + base, bound, scratch.data(), raw_len,
                             zstd_level > 0 ? zstd_level : 1);
    if (ZSTD_isError(n)) {
      out.resize(at);
      return make_error(ErrorCode::kInternal,
                        std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
    }
    out.resize(base + n);
  } else if (codec == Codec::kLz4) {
    if (raw_len > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
      out.resize(at);
      return make_error(ErrorCode::kRejected, "batch too large for lz4");
    }
    int bound = LZ4_compressBound(static_cast<int>(raw_len));
    size_t base = out.size();
    out.resize(base + static_cast<size_t>(bound));
    int n =
        LZ4_compress_default(scratch.data(), out.data() + base, static_cast<int>(raw_len), bound);
    if (n <= 0) {
      out.resize(at);
      return make_error(ErrorCode::kInternal, "lz4 compression failed");
    }
    out.resize(base + static_cast<size_t>(n));
  }
  end_frame(out, at);
  return Status::ok();
}

bool decode_hello(std::string_view payload, Hello& out) {
  Reader r(payload);
  if (r.bytes(4) != kMagic) return false;
  out.version = r.u16();
  out.stream = r.u64();
  out.sender = std::string(r.str());
  out.token = std::string(r.str());
  return r.done();
}

bool decode_welcome(std::string_view payload, Welcome& out) {
  Reader r(payload);
  if (r.bytes(4) != kMagic) return false;
  out.version = r.u16();
  out.max_frame = r.u32();
  out.max_events = r.u32();
  out.committed = r.u64();
  out.receiver = std::string(r.str());
  return r.done();
}

bool decode_batch_header(std::string_view payload, BatchHeader& out) {
  Reader r(payload);
  out.seq = r.u64();
  uint8_t codec = r.u8();
  out.count = r.u32();
  out.raw_len = r.u32();
  if (r.failed() || codec > static_cast<uint8_t>(Codec::kLz4)) return false;
  out.codec = static_cast<Codec>(codec);
  out.data = r.rest();
  // Uncompressed, the data is exactly the raw events.
  return out.codec != Codec::kNone || out.data.size() == out.raw_len;
}

bool decode_ack(std::string_view payload, Ack& out) {
  Reader r(payload);
  out.seq = r.u64();
  uint8_t s = r.u8();
  if (!r.done() || s > 1) return false;
  out.status = static_cast<AckStatus>(s);
  return true;
}

bool decode_nack(std::string_view payload, Nack& out) {
  Reader r(payload);
  out.seq = r.u64();
  uint8_t reason = r.u8();
  out.message = std::string(r.str());
  if (!r.done() || reason < 1 || reason > 3) return false;
  out.reason = static_cast<NackReason>(reason);
  return true;
}

bool decode_ping(std::string_view payload, uint64_t& nonce) {
  Reader r(payload);
  nonce = r.u64();
  return r.done();
}

bool decode_error(std::string_view payload, WireErrorFrame& out) {
  Reader r(payload);
  out.code = static_cast<WireError>(r.u16());
  out.message = std::string(r.str());
  return r.done();
}

Status decode_batch_events(const BatchHeader& h, uint32_t max_raw, EventBatch& out,
                           std::string& scratch) {
  if (h.raw_len > max_raw)
    return make_error(ErrorCode::kRejected, "batch of " + std::to_string(h.raw_len) +
                                                " bytes is over the limit of " +
                                                std::to_string(max_raw));
  std::string_view raw = h.data;
  if (h.codec == Codec::kZstd) {
    scratch.resize(h.raw_len);
    size_t n = ZSTD_decompress(scratch.data(), scratch.size(), h.data.data(), h.data.size());
    if (ZSTD_isError(n) || n != h.raw_len)
      return make_error(ErrorCode::kRejected, "zstd data does not decompress to raw_len");
    raw = scratch;
  } else if (h.codec == Codec::kLz4) {
    if (h.data.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        h.raw_len > static_cast<uint32_t>(std::numeric_limits<int>::max()))
      return make_error(ErrorCode::kRejected, "lz4 block too large");
    scratch.resize(h.raw_len);
    int n = LZ4_decompress_safe(h.data.data(), scratch.data(), static_cast<int>(h.data.size()),
                                static_cast<int>(h.raw_len));
    if (n < 0 || static_cast<uint32_t>(n) != h.raw_len)
      return make_error(ErrorCode::kRejected, "lz4 data does not decompress to raw_len");
    raw = scratch;
  }
  // Each event needs at least 6 bytes: a count that claims more cannot be honest.
  if (h.count > raw.size() / 6 + 1)
    return make_error(ErrorCode::kRejected, "event count larger than the batch can hold");
  const size_t first = out.size();
  Reader r(raw);
  std::vector<EventBatch::Header> headers;
  for (uint32_t i = 0; i < h.count; ++i) {
    uint16_t hc = r.u16();
    headers.clear();
    for (uint16_t k = 0; k < hc && !r.failed(); ++k) {
      std::string_view key = r.str();
      std::string_view value = r.str32();
      headers.emplace_back(key, value);
    }
    std::string_view body = r.str32();
    if (r.failed()) break;
    out.add(body, headers);
  }
  if (!r.done()) {
    // Leave `out` as it was: drop what this batch added.
    EventBatch keep;
    keep.append_range(out, 0, first);
    out.swap(keep);
    return make_error(ErrorCode::kRejected, "batch events do not match their lengths or count");
  }
  return Status::ok();
}

}  // namespace flumen::net::forward
