#include "broker/storage/txn_state.h"

#include <algorithm>

#include "broker/protocol/wire.h"

namespace flumen::broker {

namespace {

void put_varint(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

// A zigzag varint at `pos` of `s`; false when it runs past the end.
bool get_varint(std::string_view s, size_t& pos, int64_t& v) {
  uint64_t z = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= s.size()) return false;
    const auto b = static_cast<uint8_t>(s[pos++]);
    z |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
      return true;
    }
  }
  return false;
}

}  // namespace

void PartitionTxns::on_batch(const BatchHeader& h, bool commit) {
  if ((h.attributes & kTransactionalBit) == 0 || h.producer_id < 0) return;
  if ((h.attributes & kControlBit) == 0) {
    ongoing_.emplace(h.producer_id, h.base_offset);  // keeps the first batch's offset
    return;
  }
  auto it = ongoing_.find(h.producer_id);
  if (it == ongoing_.end()) return;  // a marker for a transaction with no data here
  if (!commit) aborted_.push_back({h.producer_id, it->second, h.base_offset});
  ongoing_.erase(it);
}

int64_t PartitionTxns::last_stable_offset(int64_t log_end_offset) const {
  int64_t lso = log_end_offset;
  for (const auto& [pid, first] : ongoing_)
    lso = std::min(lso, first);
  return lso;
}

std::vector<AbortedTxn> PartitionTxns::aborted_in(int64_t from, int64_t to) const {
  std::vector<AbortedTxn> out;
  for (const AbortedTxn& a : aborted_)
    if (a.last_offset >= from && a.first_offset < to) out.push_back(a);
  return out;
}

int control_type(std::string_view batch) {
  BatchHeader h;
  if (!read_batch_header(batch, h) || !h.is_control() || h.compression() != 0) return -1;
  size_t pos = kBatchHeaderSize;
  int64_t len = 0, skip = 0, key_len = 0;
  if (!get_varint(batch, pos, len) || pos + 1 > batch.size()) return -1;
  ++pos;  // record attributes
  if (!get_varint(batch, pos, skip) || !get_varint(batch, pos, skip) ||
      !get_varint(batch, pos, key_len) || key_len < 4 || pos + 4 > batch.size())
    return -1;
  WireReader r(batch.substr(pos, 4));
  r.i16();  // key version
  return r.i16();
}

std::string make_marker_batch(int64_t producer_id, int16_t epoch, bool commit, int64_t now_ms) {
  std::string key, value, record, records;
  WireWriter k(key);
  k.i16(0);  // control record key version
  k.i16(commit ? 1 : 0);
  WireWriter v(value);
  v.i16(0);               // end transaction marker version
  v.i32(0);               // coordinator epoch: one coordinator, never moved
  record.push_back(0);    // attributes
  put_varint(record, 0);  // timestamp delta
  put_varint(record, 0);  // offset delta
  put_varint(record, static_cast<int64_t>(key.size()));
  record += key;
  put_varint(record, static_cast<int64_t>(value.size()));
  record += value;
  put_varint(record, 0);  // headers
  put_varint(records, static_cast<int64_t>(record.size()));
  records += record;
  std::string b;
  WireWriter w(b);
  w.i64(0);
  w.i32(static_cast<int32_t>(kBatchHeaderSize - 12 + records.size()));
  w.i32(0);  // leader epoch
  w.i8(2);
  w.i32(0);  // crc, below
  w.i16(kControlBit | kTransactionalBit);
  w.i32(0);  // last offset delta
  w.i64(now_ms);
  w.i64(now_ms);
  w.i64(producer_id);
  w.i16(epoch);
  w.i32(-1);  // control batches carry no sequence
  w.i32(1);
  b += records;
  const uint32_t crc = crc32c(std::string_view(b).substr(21));
  for (int i = 0; i < 4; ++i)
    b[17 + i] = static_cast<char>(crc >> (24 - 8 * i));
  return b;
}

}  // namespace flumen::broker
