#pragma once
// netcat: a TCP listener; each newline-terminated line is an event (Flume's NetcatSource). With
// ack-every-event each line is answered "OK" once committed. Lines longer than max-line-length
// are refused with Flume's "FAILED: Event exceeds the maximum length" answer and counted
// (EventReadFail); the bytes up to the next newline are skipped.
//
// Backpressure: a connection whose batch the channel refuses stops being read (the kernel buffer
// fills and the sender blocks) and retries the same lines after a backoff. Nothing is dropped.
// Runs on its own libuv loop thread.

#include <memory>

#include "agent/event/event_batch.h"
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
  struct Connection;
  friend struct Connection;
  Status listen_on_loop();
  void on_connection();
  void process(Connection* c);

  NetcatSourceOptions options_;
  runtime::LoopThread loop_;
  uv_tcp_t* server_ = nullptr;
  int bound_port_ = 0;
  std::vector<Connection*> connections_;
};

class NetcatUdpSource : public pipeline::Source {
 public:
  NetcatUdpSource(std::string name, NetcatUdpSourceOptions options);
  ~NetcatUdpSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  Status bind_on_loop();
  int start_receiving();
  void on_datagram(std::string_view body, const sockaddr* from);
  void flush();

  NetcatUdpSourceOptions options_;
  runtime::LoopThread loop_;
  uv_udp_t* socket_ = nullptr;
  uv_timer_t* retry_ = nullptr;
  EventBatch pending_;
  std::string recv_buffer_;
  int backoff_ms_ = 10;
};

}  // namespace flumen::plugins
