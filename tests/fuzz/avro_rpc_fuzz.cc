// libFuzzer target for the decoders of Apache Flume's Avro RPC (agent/net/avro_rpc.h) as the
// forward source runs them on what a peer sends: Netty frames, the handshake, the call and its
// events, the answers the sink reads, and the zlib stream of deflate (with a small inflate
// limit). Build and run: scripts/fuzz.sh <seconds> avro_rpc_fuzz.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/net/avro_rpc.h"
#include "agent/net/zlib_stream.h"

using namespace flumen;
using namespace flumen::net;

namespace {

void decode_requests(std::string_view in) {
  bool handshaken = false;
  std::string payload;
  while (!in.empty()) {
    uint32_t serial = 0;
    size_t used = 0;
    if (avro_rpc::split_pack(in, 1 << 20, serial, payload, used) != avro_rpc::Split::kPack) break;
    in.remove_prefix(used);
    avro::Reader r(payload);
    if (!handshaken) {
      avro_rpc::HandshakeRequest h;
      if (!avro_rpc::read_handshake_request(r, h)) break;
      if (h.client_protocol) (void)avro_rpc::is_flume_protocol(*h.client_protocol);
      handshaken = true;
    }
    std::string_view message;
    if (!avro_rpc::read_call_header(r, message)) break;
    EventBatch events;
    (void)avro_rpc::read_events(r, message, 10000, events);
    // The answers the sink would read, from the same bytes.
    avro::Reader a(payload);
    avro_rpc::HandshakeResponse hr;
    avro_rpc::Status status{};
    std::string error;
    if (avro_rpc::read_handshake_response(a, hr))
      (void)avro_rpc::read_call_response(a, status, error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)avro_rpc::looks_like_netty_pack(in);
  decode_requests(in);
  if (avro_rpc::looks_like_zlib_stream(in)) {
    ZlibInflater inflater;
    std::string plain, error;
    if (inflater.feed(in, plain, 256 * 1024, error)) decode_requests(plain);
  }
  return 0;
}
