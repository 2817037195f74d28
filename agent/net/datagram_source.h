#pragma once
// DatagramSource: what netcatudp and syslogudp share. Each datagram becomes an event of the
// batch being built (the subclass's add()); the batch goes to the channels through the source's
// ChannelProcessor when net::UdpReceiver commits it. At stop, what was read and not yet
// committed is offered to the channel once more. Runs on its own libuv loop thread.
#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>

#include "agent/event/event_batch.h"
#include "agent/net/udp_receiver.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"

namespace flumen::net {

class DatagramSource : public pipeline::Source {
 public:
  ~DatagramSource() override;
  int bound_port() const { return bound_port_; }

 protected:
  // `type` names the loop thread and the source in logs ("netcatudp").
  DatagramSource(std::string name, std::string type);
  // Binds on the source's loop thread. Call from do_start().
  Status start_receiving(UdpReceiverOptions options);
  void do_stop() override;
  // Adds one datagram to `batch`; returns how many events it holds now.
  virtual size_t add(EventBatch& batch, std::string_view datagram, const sockaddr* from) = 0;
  const std::string& type() const { return type_; }

 private:
  bool commit();

  std::string type_;
  runtime::LoopThread loop_;
  std::unique_ptr<UdpReceiver> receiver_;
  EventBatch pending_;
  int bound_port_ = 0;
};

}  // namespace flumen::net
