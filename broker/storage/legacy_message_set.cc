#include "broker/storage/legacy_message_set.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <optional>
#include <vector>

#include "agent/util/byte_order.h"
#include "broker/protocol/wire.h"
#include "broker/storage/batch_codec.h"
#include "broker/storage/batch_records.h"

namespace flumen::broker {

namespace {

constexpr int kTimestampTypeBit = 0x08;              // magic 1 attributes, and v2 batch attributes
constexpr size_t kLogOverhead = 12;                  // offset i64 + messageSize i32
constexpr size_t kMinMessageV0 = 4 + 1 + 1 + 4 + 4;  // crc, magic, attributes, key, value lengths
// The framing the Java client's SnappyOutputStream wrote: what a broker of that era stored and
// every old consumer reads (compress_records keeps the framing of the payload it is shown).
constexpr char kXerialLike[16] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0',
                                  0,      0,   0,   1,   0,   0,   0,   1};

struct LegacyMessage {
  int64_t offset = 0;
  int8_t magic = 0;
  int8_t attributes = 0;
  int64_t timestamp = -1;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
};

// One message of a set (after its offset and size). False with `why` when it is malformed.
bool parse_message(std::string_view bytes, int64_t offset, LegacyMessage& m, std::string& why) {
  if (bytes.size() < kMinMessageV0) {
    why = "a message shorter than its header";
    return false;
  }
  WireReader r(bytes);
  const uint32_t crc = static_cast<uint32_t>(r.i32());
  if (legacy_crc32(r.rest()) != crc) {
    why = "a message's CRC does not match its bytes";
    return false;
  }
  m.offset = offset;
  m.magic = r.i8();
  m.attributes = r.i8();
  if (m.magic != 0 && m.magic != 1) {
    why = "a message of magic " + std::to_string(m.magic) + " in a pre-0.11 message set";
    return false;
  }
  m.timestamp = m.magic == 1 ? r.i64() : -1;
  m.key = r.nullable_bytes();
  m.value = r.nullable_bytes();
  if (r.failed() || r.remaining() != 0) {
    why = "a message whose key or value length does not match its size";
    return false;
  }
  return true;
}

// Walks a message set; `fn(message)` returns false to stop with `why` set. A set that ends in
// the middle of a message is malformed here (a producer sends whole ones).
template <typename Fn>
bool for_each_message(std::string_view set, std::string& why, Fn&& fn) {
  while (!set.empty()) {
    if (set.size() < kLogOverhead) {
      why = "a message set that ends inside a message's offset and size";
      return false;
    }
    const int64_t offset = util::load_be<int64_t>(set.data());
    const int32_t size = util::load_be<int32_t>(set.data() + 8);
    if (size < 0 || static_cast<size_t>(size) > set.size() - kLogOverhead) {
      why = "a message's size (" + std::to_string(size) + ") is past the end of its set";
      return false;
    }
    LegacyMessage m;
    if (!parse_message(set.substr(kLogOverhead, static_cast<size_t>(size)), offset, m, why) ||
        !fn(m))
      return false;
    set.remove_prefix(kLogOverhead + static_cast<size_t>(size));
  }
  return true;
}

struct PlainRecord {
  int64_t timestamp;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
};

void put_varlong(std::string& out, int64_t v) {
  util::append_uvarint(out, util::zigzag_encode(v));
}

void put_varbytes(std::string& out, const std::optional<std::string_view>& b) {
  put_varlong(out, b ? static_cast<int64_t>(b->size()) : -1);
  if (b) out.append(*b);
}

// A RecordBatch v2 holding `records` at offsets 0..n-1.
bool build_v2(const std::vector<PlainRecord>& records, int codec, bool log_append_time,
              std::string_view like, std::string& out) {
  const int64_t base_ts = records.front().timestamp;
  int64_t max_ts = INT64_MIN;
  std::string payload;
  for (size_t k = 0; k < records.size(); ++k) {
    const PlainRecord& r = records[k];
    max_ts = std::max(max_ts, r.timestamp);
    std::string body;
    body.push_back(0);  // record attributes
    put_varlong(body, r.timestamp - base_ts);
    put_varlong(body, static_cast<int64_t>(k));
    put_varbytes(body, r.key);
    put_varbytes(body, r.value);
    put_varlong(body, 0);  // no headers
    put_varlong(payload, static_cast<int64_t>(body.size()));
    payload += body;
  }
  if (codec != 0) {
    std::string packed;
    if (!compress_records(codec, payload, like, packed)) return false;
    payload.swap(packed);
  }
  int16_t attributes = static_cast<int16_t>(codec);
  if (log_append_time) attributes |= kTimestampTypeBit;
  out.clear();
  WireWriter w(out);
  w.i64(0);
  w.i32(static_cast<int32_t>(kBatchHeaderSize - 12 + payload.size()));
  w.i32(0);  // partition leader epoch
  w.i8(2);
  w.i32(0);  // CRC, below
  w.i16(attributes);
  w.i32(static_cast<int32_t>(records.size() - 1));
  w.i64(base_ts);
  w.i64(max_ts);
  w.i64(-1);  // no producer id: the old format has no idempotence
  w.i16(-1);
  w.i32(-1);
  w.i32(static_cast<int32_t>(records.size()));
  w.raw(payload);
  w.patch_i32(17, static_cast<int32_t>(crc32c(std::string_view(out).substr(21))));
  return true;
}

// One message (offset, size, crc, ...) appended to `out` at `magic`.
void append_message(std::string& out, int magic, int64_t offset, int attributes, int64_t timestamp,
                    std::optional<std::string_view> key, std::optional<std::string_view> value) {
  WireWriter w(out);
  w.i64(offset);
  const size_t size_at = w.reserve_i32();
  const size_t crc_at = w.reserve_i32();
  w.i8(static_cast<int8_t>(magic));
  w.i8(static_cast<int8_t>(magic == 0 ? attributes & 0x7 : attributes));
  if (magic == 1) w.i64(timestamp);
  w.i32(key ? static_cast<int32_t>(key->size()) : -1);
  if (key) w.raw(*key);
  w.i32(value ? static_cast<int32_t>(value->size()) : -1);
  if (value) w.raw(*value);
  w.patch_i32(size_at, static_cast<int32_t>(out.size() - size_at - 4));
  w.patch_i32(crc_at, static_cast<int32_t>(legacy_crc32(std::string_view(out).substr(crc_at + 4))));
}

}  // namespace

uint32_t legacy_crc32(std::string_view bytes) {
  return static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

BatchVerdict legacy_set_to_batch(std::string_view message_set, size_t max_inflated,
                                 std::string& batch, std::string& why) {
  std::vector<PlainRecord> records;
  // The wrappers' message sets, which `records` point into: a deque, whose elements never move
  // as it grows (a vector's would, taking short strings' bytes with them).
  std::deque<std::string> inflated;
  int codec = -1;  // the first wrapper's
  bool log_append_time = false;
  std::string_view like;  // the first wrapper's compressed value: snappy keeps its framing
  size_t inflated_total = 0;
  BatchVerdict verdict = BatchVerdict::kCorrupt;
  const bool ok = for_each_message(message_set, why, [&](const LegacyMessage& m) {
    const int c = m.attributes & 0x7;
    if (c == 0) {
      records.push_back({m.timestamp, m.key, m.value});
      return true;
    }
    if (c > 3) {
      why = "compression codec " + std::to_string(c) + " in a pre-0.11 message (zstd needs " +
            "Produce v7 and the v2 format)";
      verdict = BatchVerdict::kUnsupportedCompression;
      return false;
    }
    if (c == 3 && m.magic == 0) {
      why =
          "LZ4 in a magic-0 message (its frame checksum predates Kafka 0.10's fix): produce "
          "with gzip or snappy, or with Produce v2+";
      return false;
    }
    if (!m.value) {
      why = "a compressed message without a value";
      return false;
    }
    if (codec < 0) {
      codec = c;
      like = *m.value;
    }
    if ((m.attributes & kTimestampTypeBit) != 0) log_append_time = true;
    std::string set;
    if (max_inflated <= inflated_total ||
        !decompress_records(c, *m.value, max_inflated - inflated_total, set)) {
      why = "a compressed message that does not inflate (or inflates past " +
            std::to_string(max_inflated) + " bytes)";
      return false;
    }
    inflated_total += set.size();
    inflated.push_back(std::move(set));
    return for_each_message(inflated.back(), why, [&](const LegacyMessage& inner) {
      if ((inner.attributes & 0x7) != 0) {
        why = "a compressed message inside a compressed message";
        return false;
      }
      // Under a magic-1 wrapper with LogAppendTime every record takes the batch's time.
      records.push_back({inner.magic == 1 ? inner.timestamp : -1, inner.key, inner.value});
      return true;
    });
  });
  if (!ok) return verdict;
  if (records.empty()) {
    why = "an empty message set";
    return BatchVerdict::kCorrupt;
  }
  if (!build_v2(records, codec < 0 ? 0 : codec, log_append_time, like, batch)) {
    why = "recompressing the records failed";
    return BatchVerdict::kCorrupt;
  }
  return BatchVerdict::kOk;
}

bool batches_to_legacy_set(std::string_view batches, int magic, size_t max_inflated,
                           std::string& out) {
  BatchHeader h;
  while (batches.size() >= kBatchHeaderSize && read_batch_header(batches, h) &&
         h.total_size() <= batches.size()) {
    const std::string_view batch = batches.substr(0, h.total_size());
    batches.remove_prefix(h.total_size());
    if (h.is_control()) continue;
    BatchRecords br;
    if (!read_batch_records(batch, max_inflated, br)) return false;
    if (br.records.empty()) continue;  // an empty batch the cleaner left: nothing to serve
    const bool log_append_time = (h.attributes & kTimestampTypeBit) != 0;
    int codec = h.compression();
    if (codec == 4 || (codec == 3 && magic == 0)) codec = 0;
    const int ts_attr = magic == 1 && log_append_time ? kTimestampTypeBit : 0;
    std::string inner;
    std::string& target = codec == 0 ? out : inner;
    int64_t last = h.base_offset;
    int64_t max_ts = -1;
    for (size_t k = 0; k < br.records.size(); ++k) {
      const RecordView& v = br.records[k];
      std::optional<std::string_view> value;
      if (v.has_value) value = v.value;
      const int64_t offset = h.base_offset + v.offset_delta;
      const int64_t ts = log_append_time ? h.max_timestamp : h.base_timestamp + v.timestamp_delta;
      max_ts = std::max(max_ts, ts);
      last = offset;
      // Inside a magic-1 wrapper the offsets are relative to the wrapper's first.
      const int64_t written = codec != 0 && magic == 1 ? static_cast<int64_t>(k) : offset;
      std::optional<std::string_view> key;
      if (v.has_key) key = v.key;
      append_message(target, magic, written, ts_attr, ts, key, value);
    }
    if (codec != 0) {
      std::string packed;
      if (!compress_records(codec, inner, std::string_view(kXerialLike, sizeof kXerialLike),
                            packed))
        return false;
      append_message(out, magic, last, codec | ts_attr, max_ts, std::nullopt, packed);
    }
  }
  return true;
}

}  // namespace flumen::broker
