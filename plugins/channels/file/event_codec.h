#pragma once
// Encoding of a batch of events as one RocksDB value (one "chunk" = one put transaction):
//   u32le count, then per event:
//     varint header_count, (varint key_len, key, varint value_len, value) * header_count,
//     varint body_len, body
// Decoding appends the events to an EventBatch; a value that does not parse is corruption.

#include <string>
#include <string_view>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

void encode_chunk(const EventBatch& batch, std::string& out);
// Appends the chunk's events to `out`; false when the value is malformed.
bool decode_chunk(std::string_view value, EventBatch& out);
// The event count stored in a chunk (0 if malformed).
uint32_t chunk_count(std::string_view value);

}  // namespace flumen::plugins
