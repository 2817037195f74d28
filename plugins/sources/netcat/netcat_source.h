#pragma once
// netcat: a TCP listener; each newline-terminated line is an event (Flume's NetcatSource). With
// ack-every-event each line is answered "OK" once committed. Lines longer than max-line-length
// are refused with Flume's "FAILED: Event exceeds the maximum length" answer and counted
// (EventReadFail); the bytes up to the next newline are skipped.
//
// Backpressure: a connection whose batch the channel refuses stops being read (the kernel buffer
// fills and the sender blocks) and retries the same lines after a backoff. Nothing is dropped.
// A client that does not read its "OK" answers stops being read too once maxPendingReplyBytes
// are queued. Connections run on net::Server (limits: maxConnections, idleTimeout, ...).
// Runs on its own libuv loop thread.

#include <memory>

#include "agent/event/event_batch.h"
#include "agent/net/backoff_resumer.h"
#include "agent/net/datagram_source.h"
#include "agent/net/server.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "plugins/sources/netcat/config.h"

namespace flumen::plugins {

class NetcatSource : public pipeline::Source {
 public:
  NetcatSource(std::string name, NetcatSourceOptions options);
  ~NetcatSource() override;
  int bound_port() const { return bound_port_; }

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  class LineHandler;
  Status listen_on_loop();

  NetcatSourceOptions options_;
  runtime::LoopThread loop_;
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<net::BackoffResumer> resumer_;  // connections paused by a full channel
  int bound_port_ = 0;
};

// netcatudp: each datagram is an event (Flume's NetcatUdpSource); a trailing newline is cut.
// Datagrams that arrive together share a transaction (up to batchSize). The socket, its large
// kernel buffer, backpressure and drop counting are net::UdpReceiver's.
class NetcatUdpSource : public net::DatagramSource {
 public:
  NetcatUdpSource(std::string name, NetcatUdpSourceOptions options);
  ~NetcatUdpSource() override;

 protected:
  Status do_start() override;
  size_t add(EventBatch& batch, std::string_view datagram, const sockaddr* from) override;

 private:
  NetcatUdpSourceOptions options_;
};

}  // namespace flumen::plugins
