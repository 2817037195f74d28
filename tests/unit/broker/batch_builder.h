#pragma once
// Builds RecordBatch v2 bytes the way a producer does (uncompressed, CRC-32C set), for tests.
#include <cstdint>
#include <string>
#include <vector>

#include "broker/protocol/record_batch.h"
#include "broker/protocol/wire.h"

namespace flumen::broker::testing {

inline void put_varint(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

// An idempotent producer's identity and first sequence for a batch (-1: none).
struct ProducerFields {
  int64_t id = -1;
  int16_t epoch = -1;
  int32_t base_sequence = -1;
};

// Record i has timestamp `timestamp + i * timestamp_step`.
inline std::string make_batch(const std::vector<std::string>& values, int64_t timestamp = 1000,
                              ProducerFields producer = {}, int64_t timestamp_step = 0) {
  std::string records;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string r;
    r.push_back(0);                                           // attributes
    put_varint(r, static_cast<int64_t>(i) * timestamp_step);  // timestamp delta
    put_varint(r, static_cast<int64_t>(i));                   // offset delta
    put_varint(r, -1);                                        // null key
    put_varint(r, static_cast<int64_t>(values[i].size()));
    r += values[i];
    put_varint(r, 0);  // no headers
    put_varint(records, static_cast<int64_t>(r.size()));
    records += r;
  }
  std::string b;
  WireWriter w(b);
  w.i64(0);                                                             // base offset
  w.i32(static_cast<int32_t>(kBatchHeaderSize - 12 + records.size()));  // batch length
  w.i32(-1);                                                            // leader epoch
  w.i8(2);                                                              // magic
  w.i32(0);                                                             // crc, below
  w.i16(0);                                                             // attributes
  w.i32(static_cast<int32_t>(values.size()) - 1);                       // last offset delta
  w.i64(timestamp);
  w.i64(timestamp + static_cast<int64_t>(values.empty() ? 0 : values.size() - 1) * timestamp_step);
  w.i64(producer.id);
  w.i16(producer.epoch);
  w.i32(producer.base_sequence);
  w.i32(static_cast<int32_t>(values.size()));
  b += records;
  uint32_t crc = crc32c(std::string_view(b).substr(21));
  w.patch_i32(17, static_cast<int32_t>(crc));
  return b;
}

}  // namespace flumen::broker::testing
