#pragma once
// The pre-0.11 message format (magic 0 and 1), which Produce v0-2 carry and Fetch v0-3 expect,
// converted to and from the RecordBatch v2 the log stores, as Kafka 3.x does for old clients.
// A message set is a run of
//
//   offset i64 | messageSize i32 | crc u32 (CRC-32 of the rest) | magic i8 (0 or 1) |
//   attributes i8 (bits 0-2 codec, bit 3 LogAppendTime) | timestamp i64 (magic 1 only) |
//   key bytes (i32 length, -1 null) | value bytes (i32 length, -1 null)
//
// A compressed message (codec 1-3) is a wrapper: its value is a message set compressed with the
// codec. At magic 1 the inner offsets are 0..n-1 and the wrapper's offset is the last one's; at
// magic 0 every offset is absolute. Headers do not exist before magic 2, nor zstd.
//
// Threads: free functions, no shared state.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/protocol/record_batch.h"

namespace flumen::broker {

// The records of a Produce v0-2 message set as one RecordBatch v2 with base offset 0 (assigned
// on append), compressed with the codec of the set's first wrapper (none if it has none), each
// record's timestamp its message's (magic 1, CreateTime) or -1 (magic 0), the batch stamped
// LogAppendTime if a wrapper was. kOk with `batch` set, or the verdict a Produce answers with a
// reason in `why`: CRC or lengths wrong, a nested wrapper, a codec the format does not have,
// inflating past `max_inflated`, an empty set. LZ4 at magic 0 is refused as corrupt: before
// Kafka 0.10 the LZ4 frame's header checksum was computed wrongly, and it is read by nothing else.
BatchVerdict legacy_set_to_batch(std::string_view message_set, size_t max_inflated,
                                 std::string& batch, std::string& why);

// Stored batches (whole RecordBatch v2, as a fetch reads them) as a message set at `magic` (0 for
// Fetch v0-1, 1 for Fetch v2-3): control batches left out, headers dropped, each compressed batch
// one wrapper of the same codec (gzip, snappy in xerial framing as the Java client wrote it, and
// LZ4 at magic 1; LZ4 at magic 0 and zstd, which no client of that format reads, as plain
// messages). False when a batch is malformed or inflates past `max_inflated`: what was converted
// before it stays in `out`.
bool batches_to_legacy_set(std::string_view batches, int magic, size_t max_inflated,
                           std::string& out);

// CRC-32 (IEEE, zlib's), the checksum of a magic 0/1 message.
uint32_t legacy_crc32(std::string_view bytes);

}  // namespace flumen::broker
