#pragma once
// The record payload codecs of RecordBatch v2 (attributes bits 0-2), for the code that must look
// inside a batch: the log cleaner (decompress, filter, recompress with the same codec) and the
// no-key check of compacted topics.
//
//   1 gzip    a gzip stream (zlib's inflate also accepts a bare zlib stream)
//   2 snappy  raw snappy (librdkafka) or xerial's framing (the Java client's SnappyOutputStream:
//             8-byte magic, two i32 versions, then blocks of i32 length + raw snappy)
//   3 lz4     an LZ4 frame with independent blocks (what Kafka's KafkaLZ4BlockInputStream reads)
//   4 zstd    zstd frames
//
// Threads: free functions, no shared state.
#include <cstddef>
#include <string>
#include <string_view>

namespace flumen::broker {

// Inflates `in` (codec 1-4) into `out` (replaced). False when it is malformed, the codec is
// unknown, or it inflates to more than `max_out` bytes (a decompression bomb is not expanded).
bool decompress_records(int codec, std::string_view in, size_t max_out, std::string& out);

// Deflates `in` with `codec` (1-4) into `out` (replaced). `like` is the payload this one
// replaces: snappy keeps its framing (xerial or raw), so a client reads back what it wrote.
bool compress_records(int codec, std::string_view in, std::string_view like, std::string& out);

}  // namespace flumen::broker
