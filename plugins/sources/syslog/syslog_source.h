#pragma once
// Syslog sources: syslogtcp and multiport_syslogtcp (TCP, newline or RFC 6587 octet-counted
// framing, detected per message) and syslogudp (one datagram per message). Messages are parsed
// by syslog_parser.h. A batch the channel refuses is kept and retried while the connection is
// not read (TCP pushes back on the sender); on UDP receiving pauses (the kernel's buffer,
// receiveBufferBytes, holds what it can; net::UdpReceiver counts what it dropped). TCP connections
// run on net::Server (maxConnections, idleTimeout, ...); a connection holds at most eventSize
// bytes. Own libuv loop thread.

#include <memory>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/net/backoff_resumer.h"
#include "agent/net/datagram_source.h"
#include "agent/net/server.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "plugins/sources/syslog/config.h"
#include "plugins/sources/syslog/syslog_parser.h"

namespace flumen::plugins {

class SyslogTcpSource : public pipeline::Source {
 public:
  SyslogTcpSource(std::string name, SyslogOptions options);
  ~SyslogTcpSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  class MessageHandler;
  Status listen_all();

  SyslogOptions options_;
  KeepFields keep_;
  runtime::LoopThread loop_;
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<net::BackoffResumer> resumer_;  // connections paused by a full channel
  metrics::Counter* incomplete_ = nullptr;
};

// syslogudp: each datagram is one message. The socket, its large kernel buffer, backpressure
// and drop counting are net::UdpReceiver's.
class SyslogUdpSource : public net::DatagramSource {
 public:
  SyslogUdpSource(std::string name, SyslogOptions options);
  ~SyslogUdpSource() override;

 protected:
  Status do_start() override;
  size_t add(EventBatch& batch, std::string_view datagram, const sockaddr* from) override;

 private:
  SyslogOptions options_;
  KeepFields keep_;
};

}  // namespace flumen::plugins
