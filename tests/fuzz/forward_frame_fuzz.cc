// libFuzzer target for the forward protocol's decoder: the bytes a peer can send to a forward
// source. Splits the input into frames as the source does and decodes every payload, batches
// included (each codec), so that any crash, overflow or undefined behaviour in the decoding of
// hostile input shows up under AddressSanitizer and UBSan. Build and run: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/net/forward_codec.h"

using namespace flumen;
using namespace flumen::net::forward;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  EventBatch events;
  while (!in.empty()) {
    Frame f;
    size_t used = 0;
    if (split_frame(in, 1 << 20, f, used) != Split::kFrame) break;
    in.remove_prefix(used);
    switch (f.type) {
      case FrameType::kHello: {
        Hello h;
        (void)decode_hello(f.payload, h);
        break;
      }
      case FrameType::kWelcome: {
        Welcome w;
        (void)decode_welcome(f.payload, w);
        break;
      }
      case FrameType::kBatch: {
        BatchHeader h;
        if (decode_batch_header(f.payload, h)) {
          events.clear();
          if (decode_batch_events(h, 4 << 20, events, scratch).is_ok()) {
            // What decoded must encode again.
            std::string again;
            (void)append_batch(again, h.seq, Codec::kNone, events, 0, events.size(), scratch);
          }
        }
        break;
      }
      case FrameType::kAck: {
        Ack a;
        (void)decode_ack(f.payload, a);
        break;
      }
      case FrameType::kNack: {
        Nack n;
        (void)decode_nack(f.payload, n);
        break;
      }
      case FrameType::kPing:
      case FrameType::kPong: {
        uint64_t nonce = 0;
        (void)decode_ping(f.payload, nonce);
        break;
      }
      case FrameType::kError: {
        WireErrorFrame e;
        (void)decode_error(f.payload, e);
        break;
      }
    }
  }
  return 0;
}
