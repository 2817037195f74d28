#pragma once
// The records inside a RecordBatch v2, for the code that filters them: the log cleaner and the
// no-key check of compacted topics. Each record (after its varint length) is
//
//   attributes i8 | timestampDelta varlong | offsetDelta varint | keyLength varint (-1: null) |
//   key | valueLength varint (-1: null, a tombstone) | value | headers count varint | headers
//
// A record is kept byte for byte when its batch is rebuilt, except its timestampDelta when the
// batch's base timestamp moves (the delete horizon of KIP-534 is stored there).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/record_batch.h"

namespace flumen::broker {

// Attributes bit 6 (KIP-534): the base timestamp holds the time after which the cleaner may drop
// this batch's tombstones and, for a control batch, the marker.
inline constexpr int16_t kDeleteHorizonBit = 0x40;

struct RecordView {
  int64_t timestamp_delta = 0;
  int64_t offset_delta = 0;
  bool has_key = false;
  bool has_value = false;
  std::string_view key;
  std::string_view value;            // empty when null (has_value false)
  std::string_view attributes;       // the record's attributes byte
  std::string_view after_timestamp;  // offsetDelta to the end of the record, verbatim
};

// A batch's records, pointing into `storage` (which holds the decompressed payload of a
// compressed batch). False when the batch is malformed or inflates past `max_inflated`.
struct BatchRecords {
  BatchHeader header;
  std::vector<RecordView> records;
  std::string storage;
};
bool read_batch_records(std::string_view batch, size_t max_inflated, BatchRecords& out);

// Whether an uncompressed or compressed batch holds a record with a null key (false too when it
// cannot be read: the caller has checked it already).
bool has_keyless_record(std::string_view batch, size_t max_inflated);
// The indexes (in the batch, from 0) of its records with a null key, in order: what a compacted
// topic refuses, named in Produce v8+'s RecordErrors. Empty too when it cannot be read.
std::vector<int32_t> keyless_records(std::string_view batch, size_t max_inflated);

// find_record_by_timestamp (record_batch.h) for any batch: a compressed one is inflated (up to
// `max_inflated`) to find the record itself, not only the batch holding it. False when the batch
// is malformed, inflates past the limit, or holds no such record.
bool find_record_by_time(std::string_view batch, int64_t ts, bool want_max, size_t max_inflated,
                         int64_t& offset, int64_t& timestamp);

// A batch with `header`'s offsets, producer fields, attributes (codec, timestamp type,
// transactional, control) and timestamps, holding `records` (a subset of the original's, in
// order, each re-based on `base_timestamp`), compressed like `original_payload`, CRC set. With
// no records it is an empty batch (uncompressed) that keeps the offsets and the producer's
// sequence. False when compressing fails.
bool build_batch(const BatchHeader& header, int64_t base_timestamp, int64_t original_base_timestamp,
                 const std::vector<const RecordView*>& records, std::string_view original_payload,
                 std::string& out);

// `batch` with its records compressed with `codec` (0 = none, 1-4) instead, as a topic whose
// compression.type names a codec stores every batch (Kafka recompresses on produce too):
// offsets, producer fields, attributes other than the codec, timestamps and the records kept,
// CRC set. False when it is malformed, inflates past `max_inflated` or compressing fails.
bool recompress_batch(std::string_view batch, int codec, size_t max_inflated, std::string& out);

// The payload (records, possibly compressed) of a batch: the bytes after its header.
inline std::string_view batch_payload(std::string_view batch) {
  return batch.substr(kBatchHeaderSize);
}

}  // namespace flumen::broker
