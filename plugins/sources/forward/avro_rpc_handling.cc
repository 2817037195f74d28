// The forward source's side of Apache Flume's Avro RPC (agent/net/avro_rpc.h): a Flume avro
// sink (or Flume's avro-client, or its RpcClient SDK) sends to a flumen agent as it would to a
// Flume avro source. Each appendBatch is one channel transaction, answered OK once committed;
// a batch the channel rejects is answered FAILED (as Flume's source does); a batch that does
// not fit a full channel is held and put again when there is room, as forward batches are (the
// sender's request-timeout bounds that wait). Avro RPC has no sender identity or batch numbers:
// a batch resent after a lost answer comes twice, as it would in Flume.
#include <spdlog/spdlog.h>

#include "agent/net/avro_rpc.h"
#include "agent/pipeline/channel_processor.h"
#include "plugins/sources/forward/forward_source.h"
#include "plugins/sources/forward/session.h"

namespace flumen::plugins {

namespace avro_rpc = net::avro_rpc;

namespace {

// Netty frames of a compressed connection are inflated into the session; this much may wait
// there beyond one frame (what one read inflates to).
constexpr size_t kInflateSlack = 1 << 20;

}  // namespace

size_t ForwardSource::on_avro_readable(Session& s, net::Connection& c, std::string_view data) {
  if (!options_.token.empty()) {
    auth_failures_->inc();
    refuse_avro(s, c,
                "Apache Flume's Avro RPC carries no token and this source requires one; send "
                "from a flumen forward sink with the token");
    return data.size();
  }
  if (s.inflater == nullptr && s.plain.empty() && avro_rpc::looks_like_zlib_stream(data) &&
      !s.avro_handshaken) {
    s.inflater = std::make_unique<net::ZlibInflater>();
    s.deflater = std::make_unique<net::ZlibDeflater>();
  }
  const size_t max_frame = static_cast<size_t>(options_.max_frame_size);
  std::string_view avail = data;
  if (s.inflater) {
    std::string error;
    if (!s.inflater->feed(data, s.plain, max_frame + kInflateSlack, error)) {
      refuse_avro(s, c, "deflate stream: " + error);
      return data.size();
    }
    avail = s.plain;
  }
  size_t start = 0;
  while (!c.closing() && !c.write_backlogged()) {
    uint32_t serial = 0;
    size_t used = 0;
    avro_rpc::Split r = avro_rpc::split_pack(avail.substr(start), max_frame, serial, s.pack, used);
    if (r == avro_rpc::Split::kNeedMore) break;
    if (r == avro_rpc::Split::kTooLarge) {
      refuse_avro(s, c, "Avro RPC request larger than max-frame-size " + std::to_string(max_frame));
      return data.size();
    }
    if (r == avro_rpc::Split::kMalformed) {
      refuse_avro(s, c, "malformed Netty frame header");
      return data.size();
    }
    if (!on_avro_request(s, c, serial)) return data.size();
    if (s.holding) {
      s.holding = false;
      break;  // the request stays buffered until its channel has room
    }
    start += used;
  }
  if (!s.inflater) return start;
  s.plain.erase(0, start);
  c.in_frame(!s.plain.empty());  // frame-timeout applies to a frame held here
  return data.size();
}

bool ForwardSource::on_avro_request(Session& s, net::Connection& c, uint32_t serial) {
  net::avro::Reader r(s.pack);
  std::string answer;
  const bool handshake = !s.avro_handshaken;
  if (handshake) {
    avro_rpc::HandshakeRequest h;
    if (!avro_rpc::read_handshake_request(r, h)) {
      refuse_avro(s, c, "malformed Avro handshake");
      return false;
    }
    if (h.client_protocol && !avro_rpc::is_flume_protocol(*h.client_protocol)) {
      refuse_avro(s, c, "the client speaks an Avro protocol other than Flume's AvroSourceProtocol");
      return false;
    }
    const std::string client_hash(h.client_hash);
    const bool known = h.client_hash == avro_rpc::kFlumeProtocolHash || h.client_protocol ||
                       avro_client_hashes_.count(client_hash);
    if (!known) {
      // Avro's answer to a client it does not know: send your protocol. The call is not read.
      avro_rpc::write_handshake_response(answer, avro_rpc::Match::kNone);
      avro_rpc::append_pack(s.out, serial, answer);
      return true;
    }
    if (h.client_protocol && avro_client_hashes_.size() < 64)
      avro_client_hashes_.insert(client_hash);
    avro_rpc::write_handshake_response(answer, h.server_hash == avro_rpc::kFlumeProtocolHash
                                                   ? avro_rpc::Match::kBoth
                                                   : avro_rpc::Match::kClient);
  }
  std::string_view message;
  if (!avro_rpc::read_call_header(r, message)) {
    refuse_avro(s, c, "malformed Avro RPC call");
    return false;
  }
  batch_.clear();
  if (message != "append" && message != "appendBatch") {
    avro_rpc::write_error_response(answer, "no such message: " + std::string(message));
  } else if (!avro_rpc::read_events(r, message, static_cast<size_t>(options_.max_frame_size),
                                    batch_)) {
    rejected_batches_->inc();
    refuse_avro(s, c, "malformed events in an Avro " + std::string(message) + " call");
    return false;
  } else {
    Status put = processor().process_batch(batch_, nullptr);
    if (!put && put.code() != ErrorCode::kRejected) {
      // Full: hold it (unanswered, the connection paused) and put it again when there is room;
      // the handshake is answered with it then.
      nacks_full_->inc();
      s.holding = true;
      resumer_->pause_and_retry(c);
      return true;
    }
    if (put) {
      resumer_->succeeded();
      avro_batches_->inc();
      avro_rpc::write_status_response(answer, avro_rpc::Status::kOk);
    } else {
      rejected_batches_->inc();
      reject_log_.warn("forward source {}: Avro batch from {} rejected: {}", name(), c.peer(),
                       put.message());
      avro_rpc::write_status_response(answer, avro_rpc::Status::kFailed);
    }
  }
  if (handshake) {
    s.avro_handshaken = true;
    c.established();
    avro_log_.log(spdlog::level::info,
                  "forward source {}: {} connected with Apache Flume's Avro RPC{}", name(),
                  c.peer(), s.inflater ? " (deflate)" : "");
  }
  avro_rpc::append_pack(s.out, serial, answer);
  return true;
}

void ForwardSource::refuse_avro(Session& s, net::Connection& c, const std::string& why) {
  // Avro RPC has no error frame outside a call: the answers so far go out, then the FIN; the
  // layer counts and logs the close.
  if (!s.out.empty()) s.flush(c);
  c.close(net::CloseReason::kProtocolError, why);
}

}  // namespace flumen::plugins
