#pragma once
// RecordBatch v2 (magic 2), the unit producers send, the log stores and consumers fetch: stored as
// received, compressed ones included. Only the fields outside the CRC (base offset, partition
// leader epoch) are ever rewritten, so the producer's CRC stays valid on disk.
//
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 |
//   17 crc u32 (CRC-32C of [21, end)) | 21 attributes i16 | 23 lastOffsetDelta i32 |
//   27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 |
//   53 baseSequence i32 | 57 recordsCount i32 | 61 records...
#include <cstdint>
#include <string>
#include <string_view>

namespace flumen::broker {

inline constexpr size_t kBatchHeaderSize = 61;

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;  // bytes after this field: the whole batch is batch_length + 12
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  size_t total_size() const { return static_cast<size_t>(batch_length) + 12; }
  int compression() const { return attributes & 0x7; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
};

// Reads the header at the front of `bytes` (which must hold at least 61 bytes); false when it is
// too short or its batchLength is impossible.
bool read_batch_header(std::string_view bytes, BatchHeader& out);

// CRC-32C (Castagnoli), the checksum of RecordBatch v2 (RocksDB's accelerated implementation).
uint32_t crc32c(std::string_view bytes);

// Whether the batch's stored CRC matches its bytes.
bool batch_crc_ok(std::string_view batch);

// Kafka error codes for a produced batch.
enum class BatchVerdict : int16_t {
  kOk = 0,
  kCorrupt = 2,                  // CORRUPT_MESSAGE: lengths or CRC do not match
  kTooLarge = 10,                // MESSAGE_TOO_LARGE
  kUnsupportedCompression = 76,  // UNSUPPORTED_COMPRESSION_TYPE
  kInvalidRecord = 87,           // INVALID_RECORD: not exactly one magic-2 batch, control, ...
};

// Checks what a Produce request carries for one partition: exactly one magic-2 batch, lengths,
// CRC, codec (zstd from Produce v7), no control batch, counts consistent. Never decompresses.
BatchVerdict check_produced_batch(std::string_view records, int16_t produce_version,
                                  size_t max_message_bytes, BatchHeader& header, std::string& why);

// A copy of the (checked) batch stamped by the broker: timestamp type LogAppendTime, max
// timestamp `now_ms`, CRC recomputed (message.timestamp.type=LogAppendTime topics).
std::string with_log_append_time(std::string_view batch, int64_t now_ms);

// The offset and timestamp of the first record of an uncompressed batch whose timestamp is at or
// after `ts` (ts = INT64_MIN with `want_max`: the record holding the batch's max timestamp).
// false for a compressed or malformed batch (the caller falls back to batch granularity).
bool find_record_by_timestamp(std::string_view batch, int64_t ts, bool want_max, int64_t& offset,
                              int64_t& timestamp);

// Rewrites the base offset (and the leader epoch to 0) of the batch at `batch`.
void set_base_offset(char* batch, int64_t base_offset);

}  // namespace flumen::broker
