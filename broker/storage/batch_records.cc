#include "broker/storage/batch_records.h"

#include <algorithm>

#include "agent/util/byte_order.h"
#include "broker/protocol/wire.h"
#include "broker/storage/batch_codec.h"

namespace flumen::broker {

namespace {

bool get_varlong(std::string_view& in, int64_t& v) {
  uint64_t u = 0;
  if (!util::read_uvarint(in, u)) return false;
  v = util::zigzag_decode(u);
  return true;
}

void put_varlong(std::string& out, int64_t v) {
  util::append_uvarint(out, util::zigzag_encode(v));
}

// One record's fields, from its bytes (without the length prefix).
bool parse_record(std::string_view r, RecordView& out) {
  if (r.empty()) return false;
  out.attributes = r.substr(0, 1);
  r.remove_prefix(1);
  if (!get_varlong(r, out.timestamp_delta)) return false;
  out.after_timestamp = r;
  int64_t key_len = 0, value_len = 0;
  if (!get_varlong(r, out.offset_delta) || !get_varlong(r, key_len) || key_len < -1 ||
      key_len > static_cast<int64_t>(r.size()))
    return false;
  out.has_key = key_len >= 0;
  out.key = out.has_key ? r.substr(0, static_cast<size_t>(key_len)) : std::string_view();
  r.remove_prefix(out.has_key ? static_cast<size_t>(key_len) : 0);
  if (!get_varlong(r, value_len) || value_len < -1 || value_len > static_cast<int64_t>(r.size()))
    return false;
  out.has_value = value_len >= 0;
  out.value = out.has_value ? r.substr(0, static_cast<size_t>(value_len)) : std::string_view();
  return true;
}

bool parse_records(std::string_view payload, int32_t count, std::vector<RecordView>& out) {
  out.clear();
  out.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int32_t k = 0; k < count; ++k) {
    int64_t len = 0;
    if (!get_varlong(payload, len) || len < 0 || static_cast<uint64_t>(len) > payload.size())
      return false;
    RecordView v;
    if (!parse_record(payload.substr(0, static_cast<size_t>(len)), v)) return false;
    payload.remove_prefix(static_cast<size_t>(len));
    out.push_back(v);
  }
  return true;
}

}  // namespace

bool read_batch_records(std::string_view batch, size_t max_inflated, BatchRecords& out) {
  if (!read_batch_header(batch, out.header) || out.header.total_size() > batch.size() ||
      out.header.records_count < 0)
    return false;
  std::string_view payload =
      batch.substr(kBatchHeaderSize, out.header.total_size() - kBatchHeaderSize);
  if (out.header.compression() != 0) {
    if (!decompress_records(out.header.compression(), payload, max_inflated, out.storage))
      return false;
    payload = out.storage;
  }
  return parse_records(payload, out.header.records_count, out.records);
}

bool has_keyless_record(std::string_view batch, size_t max_inflated) {
  BatchRecords r;
  if (!read_batch_records(batch, max_inflated, r)) return false;
  return std::any_of(r.records.begin(), r.records.end(),
                     [](const RecordView& v) { return !v.has_key; });
}

std::vector<int32_t> keyless_records(std::string_view batch, size_t max_inflated) {
  std::vector<int32_t> out;
  BatchRecords r;
  if (!read_batch_records(batch, max_inflated, r)) return out;
  for (size_t k = 0; k < r.records.size(); ++k)
    if (!r.records[k].has_key) out.push_back(static_cast<int32_t>(k));
  return out;
}

bool find_record_by_time(std::string_view batch, int64_t ts, bool want_max, size_t max_inflated,
                         int64_t& offset, int64_t& timestamp) {
  BatchHeader h;
  if (!read_batch_header(batch, h)) return false;
  if ((h.attributes & 0x08) != 0) {  // LogAppendTime: every record has the batch's time
    offset = h.base_offset;
    timestamp = h.max_timestamp;
    return true;
  }
  if (h.compression() == 0) return find_record_by_timestamp(batch, ts, want_max, offset, timestamp);
  BatchRecords r;
  if (!read_batch_records(batch, max_inflated, r)) return false;
  for (const RecordView& v : r.records) {
    const int64_t t = h.base_timestamp + v.timestamp_delta;
    if (want_max ? t == h.max_timestamp : t >= ts) {
      offset = h.base_offset + v.offset_delta;
      timestamp = t;
      return true;
    }
  }
  return false;
}

bool build_batch(const BatchHeader& h, int64_t base_timestamp, int64_t original_base_timestamp,
                 const std::vector<const RecordView*>& records, std::string_view original_payload,
                 std::string& out) {
  std::string payload;
  int64_t max_ts = h.max_timestamp;
  const bool log_append_time = (h.attributes & 0x08) != 0;
  if (!records.empty() && !log_append_time) max_ts = INT64_MIN;
  for (const RecordView* r : records) {
    const int64_t ts = original_base_timestamp + r->timestamp_delta;
    if (!log_append_time) max_ts = std::max(max_ts, ts);
    std::string head;
    head.append(r->attributes);
    put_varlong(head, ts - base_timestamp);
    put_varlong(payload, static_cast<int64_t>(head.size() + r->after_timestamp.size()));
    payload += head;
    payload.append(r->after_timestamp);
  }
  int16_t attributes = h.attributes;
  if (records.empty()) {
    attributes = static_cast<int16_t>(attributes & ~0x7);  // an empty batch is stored plain
  } else if (h.compression() != 0) {
    std::string packed;
    if (!compress_records(h.compression(), payload, original_payload, packed)) return false;
    payload.swap(packed);
  }
  out.clear();
  WireWriter w(out);
  w.i64(h.base_offset);
  w.i32(static_cast<int32_t>(kBatchHeaderSize - 12 + payload.size()));
  w.i32(0);  // partition leader epoch
  w.i8(2);
  w.i32(0);  // CRC, below
  w.i16(attributes);
  w.i32(h.last_offset_delta);  // kept: the batch still ends where it did (offsets have gaps)
  w.i64(base_timestamp);
  w.i64(max_ts);
  w.i64(h.producer_id);
  w.i16(h.producer_epoch);
  w.i32(h.base_sequence);
  w.i32(static_cast<int32_t>(records.size()));
  w.raw(payload);
  w.patch_i32(17, static_cast<int32_t>(crc32c(std::string_view(out).substr(21))));
  return true;
}

bool recompress_batch(std::string_view batch, int codec, size_t max_inflated, std::string& out) {
  BatchRecords r;
  if (!read_batch_records(batch, max_inflated, r)) return false;
  BatchHeader h = r.header;
  h.attributes = static_cast<int16_t>((h.attributes & ~0x7) | codec);
  std::vector<const RecordView*> records;
  records.reserve(r.records.size());
  for (const RecordView& v : r.records)
    records.push_back(&v);
  return build_batch(h, h.base_timestamp, h.base_timestamp, records, batch_payload(batch), out);
}

}  // namespace flumen::broker
