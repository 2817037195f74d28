#include "broker/protocol/record_batch.h"

#include <rocksdb/file_checksum.h>

#include <cstring>

#include "agent/util/byte_order.h"
#include "broker/protocol/wire.h"

namespace flumen::broker {

bool read_batch_header(std::string_view bytes, BatchHeader& h) {
  if (bytes.size() < kBatchHeaderSize) return false;
  WireReader r(bytes.substr(0, kBatchHeaderSize));
  h.base_offset = r.i64();
  h.batch_length = r.i32();
  r.i32();  // partition leader epoch
  h.magic = r.i8();
  h.crc = static_cast<uint32_t>(r.i32());
  h.attributes = r.i16();
  h.last_offset_delta = r.i32();
  h.base_timestamp = r.i64();
  h.max_timestamp = r.i64();
  h.producer_id = r.i64();
  h.producer_epoch = r.i16();
  h.base_sequence = r.i32();
  h.records_count = r.i32();
  return !r.failed() && h.batch_length >= static_cast<int32_t>(kBatchHeaderSize - 12);
}

uint32_t crc32c(std::string_view bytes) {
  static const auto factory = rocksdb::GetFileChecksumGenCrc32cFactory();
  auto gen = factory->CreateFileChecksumGenerator(rocksdb::FileChecksumGenContext());
  gen->Update(bytes.data(), bytes.size());
  gen->Finalize();
  std::string c = gen->GetChecksum();  // 4 bytes, big-endian
  return c.size() == 4 ? util::load_be<uint32_t>(c.data()) : 0;
}

bool batch_crc_ok(std::string_view batch) {
  BatchHeader h;
  if (!read_batch_header(batch, h) || h.total_size() > batch.size()) return false;
  return crc32c(batch.substr(21, h.total_size() - 21)) == h.crc;
}

BatchVerdict check_produced_batch(std::string_view records, int16_t produce_version,
                                  size_t max_message_bytes, BatchHeader& h, std::string& why) {
  if (records.size() < kBatchHeaderSize || static_cast<int8_t>(records[16]) != 2) {
    why = "not a RecordBatch v2 (magic 2)";
    return BatchVerdict::kInvalidRecord;
  }
  if (!read_batch_header(records, h)) {
    why = "batch header is malformed";
    return BatchVerdict::kCorrupt;
  }
  if (h.total_size() < records.size()) {
    why = "more than one batch for a partition";
    return BatchVerdict::kInvalidRecord;
  }
  if (h.total_size() != records.size()) {
    why = "batchLength does not match the bytes received";
    return BatchVerdict::kCorrupt;
  }
  if (records.size() > max_message_bytes) {
    why = "batch of " + std::to_string(records.size()) + " bytes is over max.message.bytes";
    return BatchVerdict::kTooLarge;
  }
  if (crc32c(records.substr(21)) != h.crc) {
    why = "CRC-32C mismatch";
    return BatchVerdict::kCorrupt;
  }
  if (h.compression() > 4) {
    why = "unknown compression codec";
    return BatchVerdict::kUnsupportedCompression;
  }
  if (h.compression() == 4 && produce_version < 7) {
    why = "zstd needs Produce v7";
    return BatchVerdict::kUnsupportedCompression;
  }
  if (h.is_control()) {
    why = "control batches are written by the broker only";
    return BatchVerdict::kInvalidRecord;
  }
  if (h.records_count < 1 || h.last_offset_delta != h.records_count - 1) {
    why = "recordsCount and lastOffsetDelta disagree";
    return BatchVerdict::kInvalidRecord;
  }
  return BatchVerdict::kOk;
}

void set_base_offset(char* batch, int64_t base_offset) {
  auto v = static_cast<uint64_t>(base_offset);
  for (int i = 0; i < 8; ++i)
    batch[i] = static_cast<char>(v >> (8 * (7 - i)));
  std::memset(batch + 12, 0, 4);  // partition leader epoch: always 0 on a single node
}

}  // namespace flumen::broker
