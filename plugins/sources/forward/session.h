#pragma once
// One sender's connection to a forward source. Its first bytes say which protocol it speaks:
// the flumen forward protocol (HELLO first, within handshake-timeout, then batches and pings) or
// Apache Flume's Avro RPC (a Netty frame, or the zlib stream of one with compression-type =
// deflate). The answers to the frames of one read go out in one write.
#include <memory>
#include <string>

#include "agent/net/server.h"
#include "agent/net/zlib_stream.h"
#include "agent/pipeline/commit_chain.h"
#include "plugins/sources/forward/forward_source.h"

namespace flumen::plugins {

class ForwardSource::Session : public net::ConnectionHandler {
 public:
  explicit Session(ForwardSource* src) : src(src) {}

  size_t on_data(net::Connection& c, std::string_view data, bool eof) override;
  void on_close(net::Connection& c, net::CloseReason) override {
    if (src->resumer_) src->resumer_->forget(c);
  }
  // Writes the answers gathered so far (compressed when the sender compresses).
  void flush(net::Connection& c);

  enum class Protocol { kUnknown, kForward, kAvro };

  ForwardSource* src;
  Protocol protocol = Protocol::kUnknown;
  std::string out;  // answers gathered while handling one read, written together
  // The batch just handled did not fit its channel: it stays unread in the connection's buffer
  // (or, compressed, in `plain`), the connection is paused, and the batch is put again when the
  // channel frees room.
  bool holding = false;

  // Forward protocol.
  bool greeted = false;
  uint64_t stream = 0;
  // After a batch was refused, only that batch (or retransmissions below it) is accepted until
  // it comes again: a later batch must not overtake it, or dedup would skip the refused one.
  uint64_t blocked_from = 0;
  // The batches of this connection committed in flight: one failing fails those after it.
  std::shared_ptr<pipeline::CommitChain> chain = std::make_shared<pipeline::CommitChain>();

  // Avro RPC.
  bool avro_handshaken = false;
  std::unique_ptr<net::ZlibInflater> inflater;  // compression-type = deflate
  std::unique_ptr<net::ZlibDeflater> deflater;
  std::string plain;  // inflated bytes not handled yet
  std::string pack;   // the payload of the Netty frame being handled
};

}  // namespace flumen::plugins
