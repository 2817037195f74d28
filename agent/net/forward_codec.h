#pragma once
// The forward protocol's wire format (docs/protocol-forward.md): frame splitting, the payload of
// each frame type, and the event encoding inside a batch. Pure functions over byte buffers, shared
// by the forward source and sink, so the decoder can be unit-tested and fuzzed on its own.
// Decoders never trust a length: everything is checked against the bytes at hand.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/event/event_batch.h"
#include "agent/util/result.h"

namespace flumen::net::forward {

inline constexpr std::string_view kMagic = "FLMF";
inline constexpr uint16_t kVersion = 1;
inline constexpr uint32_t kDefaultMaxFrame = 16u << 20;
// The sender cuts a transaction into batches no larger than this (before compression).
inline constexpr size_t kMaxBatchEvents = 1000;
inline constexpr size_t kMaxBatchBytes = 1u << 20;

enum class FrameType : uint8_t {
  kHello = 1,
  kWelcome = 2,
  kBatch = 3,
  kAck = 4,
  kNack = 5,
  kPing = 6,
  kPong = 7,
  kError = 8,
};

enum class Codec : uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };
Result<Codec> codec_from_name(std::string_view name);  // none | zstd | lz4

enum class AckStatus : uint8_t { kCommitted = 0, kAlreadyCommitted = 1 };
enum class NackReason : uint8_t { kChannelFull = 1, kRejected = 2, kOutOfOrder = 3 };
enum class WireError : uint16_t {
  kMalformed = 1,
  kVersion = 2,
  kBadToken = 3,
  kTooLarge = 4,
  kHandshakeExpected = 5,
};

struct Frame {
  FrameType type{};
  std::string_view payload;
};

enum class Split { kNeedMore, kFrame, kTooLarge, kMalformed };
// Looks at the front of `buf`: a complete frame (sets `frame` and `consumed`), not enough bytes
// yet, or a frame the receiver must refuse (a length above max_frame is refused from its 4
// bytes: a reader never holds memory for what a peer announced).
Split split_frame(std::string_view buf, uint32_t max_frame, Frame& frame, size_t& consumed);

struct Hello {
  uint16_t version = kVersion;
  uint64_t stream = 0;
  std::string sender;
  std::string token;
};
struct Welcome {
  uint16_t version = kVersion;
  uint32_t max_frame = kDefaultMaxFrame;
  uint32_t max_events = kMaxBatchEvents;  // the receiver's smallest channel transactionCapacity
  uint64_t committed = 0;
  std::string receiver;
};
struct BatchHeader {
  uint64_t seq = 0;
  Codec codec = Codec::kNone;
  uint32_t count = 0;
  uint32_t raw_len = 0;
  std::string_view data;  // the (possibly compressed) events, inside the frame's payload
};
struct Ack {
  uint64_t seq = 0;
  AckStatus status = AckStatus::kCommitted;
};
struct Nack {
  uint64_t seq = 0;
  NackReason reason = NackReason::kRejected;
  std::string message;
};
struct WireErrorFrame {
  WireError code = WireError::kMalformed;
  std::string message;
};

// Encoders append one whole frame to `out`.
void append_hello(std::string& out, const Hello& h);
void append_welcome(std::string& out, const Welcome& w);
void append_ack(std::string& out, const Ack& a);
void append_nack(std::string& out, const Nack& n);
void append_ping(std::string& out, FrameType type, uint64_t nonce);  // kPing or kPong
void append_error(std::string& out, const WireErrorFrame& e);
// Events [begin, end) of `batch` as one BATCH frame; `scratch` is reused between calls.
// `zstd_level`: 1..19 (0 = 1, zstd's fast level); lz4 has none.
Status append_batch(std::string& out, uint64_t seq, Codec codec, const EventBatch& batch,
                    size_t begin, size_t end, std::string& scratch, int zstd_level = 0);

// Payload decoders: false when the payload is not exactly one well-formed value.
bool decode_hello(std::string_view payload, Hello& out);
bool decode_welcome(std::string_view payload, Welcome& out);
bool decode_batch_header(std::string_view payload, BatchHeader& out);
bool decode_ack(std::string_view payload, Ack& out);
bool decode_nack(std::string_view payload, Nack& out);
bool decode_ping(std::string_view payload, uint64_t& nonce);
bool decode_error(std::string_view payload, WireErrorFrame& out);

// Decompresses (when needed) and appends the batch's events to `out`. `scratch` holds the
// decompressed bytes. On error `out` is left as it was.
Status decode_batch_events(const BatchHeader& h, uint32_t max_raw, EventBatch& out,
                           std::string& scratch);

}  // namespace flumen::net::forward
