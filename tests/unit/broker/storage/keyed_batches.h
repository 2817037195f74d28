#pragma once
// Test helpers for compacted logs: keyed (and tombstone) record batches as a producer builds
// them, any codec, and a reader that lists a log's records with their offsets.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/util/byte_order.h"
#include "broker/protocol/record_batch.h"
#include "broker/protocol/wire.h"
#include "broker/storage/batch_codec.h"
#include "broker/storage/batch_records.h"
#include "broker/storage/partition_log.h"
#include "tests/unit/broker/batch_builder.h"

namespace flumen::broker::testing {

struct KV {
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
};

struct BatchOptions {
  int64_t timestamp = 1000;
  int codec = 0;
  bool xerial = false;  // snappy: the Java client's framing
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
};

inline std::string make_keyed_batch(const std::vector<KV>& kvs, const BatchOptions& o = {}) {
  std::string records;
  for (size_t i = 0; i < kvs.size(); ++i) {
    std::string r;
    r.push_back(0);
    put_varint(r, static_cast<int64_t>(i));  // timestamp delta: 1 ms apart
    put_varint(r, static_cast<int64_t>(i));
    if (kvs[i].key) {
      put_varint(r, static_cast<int64_t>(kvs[i].key->size()));
      r += *kvs[i].key;
    } else {
      put_varint(r, -1);
    }
    if (kvs[i].value) {
      put_varint(r, static_cast<int64_t>(kvs[i].value->size()));
      r += *kvs[i].value;
    } else {
      put_varint(r, -1);
    }
    put_varint(r, 0);
    put_varint(records, static_cast<int64_t>(r.size()));
    records += r;
  }
  if (o.codec != 0) {
    std::string like = o.xerial ? std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16) : "";
    std::string packed;
    compress_records(o.codec, records, like, packed);
    records = packed;
  }
  std::string b;
  WireWriter w(b);
  w.i64(0);
  w.i32(static_cast<int32_t>(kBatchHeaderSize - 12 + records.size()));
  w.i32(-1);
  w.i8(2);
  w.i32(0);
  w.i16(static_cast<int16_t>(o.codec | (o.transactional ? 0x10 : 0)));
  w.i32(static_cast<int32_t>(kvs.size()) - 1);
  w.i64(o.timestamp);
  w.i64(o.timestamp + static_cast<int64_t>(kvs.size()) - 1);
  w.i64(o.producer_id);
  w.i16(o.producer_epoch);
  w.i32(o.base_sequence);
  w.i32(static_cast<int32_t>(kvs.size()));
  b += records;
  w.patch_i32(17, static_cast<int32_t>(crc32c(std::string_view(b).substr(21))));
  return b;
}

struct LoggedRecord {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp;
  bool operator==(const LoggedRecord&) const = default;
};

struct LoggedBatch {
  BatchHeader header;
  bool crc_ok;
};

// Every record of the log from `from` on, in order; the batches too when asked.
inline std::vector<LoggedRecord> read_log(const PartitionLog& log, int64_t from = 0,
                                          std::vector<LoggedBatch>* batches = nullptr) {
  std::string bytes;
  (void)log.read(from, SIZE_MAX / 2, true, bytes);
  std::vector<LoggedRecord> out;
  std::string_view rest(bytes);
  BatchHeader h;
  while (read_batch_header(rest, h) && h.total_size() <= rest.size()) {
    const std::string_view batch = rest.substr(0, h.total_size());
    if (batches) batches->push_back({h, batch_crc_ok(batch)});
    BatchRecords r;
    if (read_batch_records(batch, 1 << 30, r) && !h.is_control())
      for (const RecordView& v : r.records) {
        LoggedRecord lr{h.base_offset + v.offset_delta, std::nullopt, std::nullopt,
                        h.base_timestamp + v.timestamp_delta};
        if (v.has_key) lr.key = std::string(v.key);
        if (v.has_value) lr.value = std::string(v.value);
        if (lr.offset >= from) out.push_back(lr);
      }
    rest.remove_prefix(h.total_size());
  }
  return out;
}

}  // namespace flumen::broker::testing
