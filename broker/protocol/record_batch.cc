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

namespace {

void put_be(char* at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    at[i] = static_cast<char>(v >> (8 * (n - 1 - i)));
}

}  // namespace

namespace {

// A zigzag varint (records use them for every length and delta); false when cut short.
bool read_varlong(std::string_view& in, int64_t& v) {
  uint64_t u = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    u |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
      return true;
    }
  }
  return false;
}

}  // namespace

bool find_record_by_timestamp(std::string_view batch, int64_t ts, bool want_max, int64_t& offset,
                              int64_t& timestamp) {
  BatchHeader h;
  if (!read_batch_header(batch, h) || h.compression() != 0 || batch.size() < h.total_size())
    return false;
  if ((h.attributes & 0x08) != 0) {  // LogAppendTime: every record has the max timestamp
    offset = h.base_offset;
    timestamp = h.max_timestamp;
    return true;
  }
  std::string_view rest = batch.substr(kBatchHeaderSize, h.total_size() - kBatchHeaderSize);
  for (int32_t k = 0; k < h.records_count; ++k) {
    int64_t length = 0, delta_ts = 0, delta_offset = 0;
    if (!read_varlong(rest, length) || length < 0 || static_cast<uint64_t>(length) > rest.size())
      return false;
    std::string_view record = rest.substr(0, static_cast<size_t>(length));
    rest.remove_prefix(static_cast<size_t>(length));
    if (record.empty()) return false;
    record.remove_prefix(1);  // attributes
    if (!read_varlong(record, delta_ts) || !read_varlong(record, delta_offset)) return false;
    const int64_t t = h.base_timestamp + delta_ts;
    if (want_max ? t == h.max_timestamp : t >= ts) {
      offset = h.base_offset + delta_offset;
      timestamp = t;
      return true;
    }
  }
  return false;
}

std::string with_log_append_time(std::string_view batch, int64_t now_ms) {
  std::string b(batch);
  // attributes (offset 21): bit 3 is the timestamp type.
  const auto attributes = static_cast<uint16_t>((static_cast<unsigned char>(b[21]) << 8) |
                                                static_cast<unsigned char>(b[22]));
  put_be(b.data() + 21, attributes | 0x08, 2);
  put_be(b.data() + 35, static_cast<uint64_t>(now_ms), 8);
  put_be(b.data() + 17, crc32c(std::string_view(b).substr(21)), 4);
  return b;
}

}  // namespace flumen::broker
