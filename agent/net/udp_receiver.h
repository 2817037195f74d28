#pragma once
// UdpReceiver: the datagram side of the network layer (netcatudp, syslogudp). UDP has no flow
// control: while the channel is full, the socket's kernel buffer is the only place a burst can
// wait, and what does not fit is dropped by the kernel without a word. So the receiver
//  - asks for a large kernel buffer (receiveBufferBytes, 4 MiB by default, against Linux's
//    212,992 bytes, ~256 small datagrams) and says so when the system caps it (net.core.rmem_max);
//  - hands each datagram to the source, which adds it to its batch, and commits the batch at
//    batchSize or at the end of the loop turn (datagrams that arrived together share a
//    transaction);
//  - when the channel refuses the batch, stops reading (the batch stays within batchSize; the
//    kernel buffer holds the rest) and tries again as soon as one of the source's channels frees
//    room (a take commit wakes it), with a backoff (10 ms doubling to 1 s) as a fallback;
//  - reads how many datagrams the kernel dropped (SO_MEMINFO) at every commit, counts them in
//    DatagramDropCount and warns (throttled) with the key to change.
// One per source, on the source's loop thread; destroyed there.
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel.h"
#include "agent/util/log_throttle.h"
#include "agent/util/result.h"

namespace flumen::net {

struct UdpReceiverOptions {
  std::string what;  // "netcatudp source r1": how logs name it
  std::string host;
  int port = 0;
  size_t batch_size = 100;
  size_t receive_buffer_bytes = 4 << 20;  // 0: the kernel's default
};

class UdpReceiver : public pipeline::SpaceListener {
 public:
  // Adds a datagram to the source's batch; returns how many events the batch holds now.
  using OnDatagram = std::function<size_t(std::string_view body, const sockaddr* from)>;
  // Puts the batch into the channel; true when it went in (the source has cleared it) or was
  // empty, false when the channel refused it (the source keeps it for the next try).
  using Commit = std::function<bool()>;

  UdpReceiver(uv_loop_t* loop, UdpReceiverOptions options, OnDatagram on_datagram, Commit commit,
              metrics::Counter* read_fail, metrics::Counter* dropped);
  ~UdpReceiver() override;  // loop thread: stops watching, closes the handles
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  // Binds and starts reading; a full channel among `watched` wakes a refused batch.
  Status start(std::vector<pipeline::Channel*> watched);
  int bound_port() const { return bound_port_; }
  // Bytes of kernel receive buffer the socket got (Linux counts bookkeeping too: twice what was
  // set).
  size_t receive_buffer_bytes() const { return receive_buffer_; }

  void on_space() override;  // any thread (a sink's take commit)

 private:
  static constexpr int kMinBackoffMs = 10;
  static constexpr int kMaxBackoffMs = 1000;
  int start_reading();
  void stop_reading();
  void received(ssize_t nread, const uv_buf_t* buf, const sockaddr* from);
  void try_commit();
  void size_receive_buffer();
  void count_kernel_drops();

  UdpReceiverOptions options_;
  OnDatagram on_datagram_;
  Commit commit_;
  metrics::Counter* read_fail_;
  metrics::Counter* dropped_;
  uv_udp_t* socket_;
  uv_timer_t* timer_;  // end of loop turn, or the fallback retry of a refused batch
  uv_async_t* wake_;   // a watched channel freed room
  std::vector<pipeline::Channel*> watched_;
  std::string buffer_;
  bool reading_ = false;
  bool refused_ = false;  // the batch waits for room; reading is stopped
  int backoff_ms_ = kMinBackoffMs;
  int bound_port_ = 0;
  size_t receive_buffer_ = 0;
  uint64_t kernel_drops_seen_ = 0;
  util::LogThrottle drop_log_;
};

}  // namespace flumen::net
