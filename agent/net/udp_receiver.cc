#include "agent/net/udp_receiver.h"

#include <linux/sock_diag.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "agent/net/resolve.h"
#include "agent/net/tcp_listen.h"

namespace flumen::net {

UdpReceiver::UdpReceiver(uv_loop_t* loop, UdpReceiverOptions options, OnDatagram on_datagram,
                         Commit commit, metrics::Counter* read_fail, metrics::Counter* dropped)
    : options_(std::move(options)),
      on_datagram_(std::move(on_datagram)),
      commit_(std::move(commit)),
      read_fail_(read_fail),
      dropped_(dropped),
      socket_(new uv_udp_t),
      timer_(new uv_timer_t),
      wake_(new uv_async_t) {
  uv_udp_init(loop, socket_);
  uv_timer_init(loop, timer_);
  uv_async_init(loop, wake_, [](uv_async_t* a) {
    auto* self = static_cast<UdpReceiver*>(a->data);
    if (self != nullptr && self->refused_) self->try_commit();
  });
  socket_->data = this;
  timer_->data = this;
  wake_->data = this;
  buffer_.resize(65536);  // the largest UDP payload
}

UdpReceiver::~UdpReceiver() {
  // After this no sink thread can reach on_space(): the channels' listener lock orders it.
  for (pipeline::Channel* c : watched_)
    c->remove_space_listener(this);
  socket_->data = nullptr;
  timer_->data = nullptr;
  wake_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(socket_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(wake_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

Status UdpReceiver::start(std::vector<pipeline::Channel*> watched) {
  auto resolved = resolve_address(options_.host, options_.port);
  if (!resolved) return resolved.status();
  const sockaddr_storage addr = resolved.value();
  int rc = uv_udp_bind(socket_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    size_receive_buffer();
    rc = start_reading();
  }
  if (rc != 0)
    return make_error(ErrorCode::kIo, "cannot bind udp " + options_.host + ":" +
                                          std::to_string(options_.port) + ": " + uv_strerror(rc));
  bound_port_ = local_port(reinterpret_cast<uv_handle_t*>(socket_));
  watched_ = std::move(watched);
  for (pipeline::Channel* c : watched_)
    c->add_space_listener(this);
  return Status::ok();
}

void UdpReceiver::size_receive_buffer() {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket_), &fd) != 0) return;
  if (options_.receive_buffer_bytes > 0) {
    const int want = static_cast<int>(std::min<size_t>(options_.receive_buffer_bytes, 1u << 30));
    // SO_RCVBUFFORCE passes net.core.rmem_max when the process may (CAP_NET_ADMIN); otherwise
    // the kernel caps SO_RCVBUF at rmem_max.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  }
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0)
    receive_buffer_ = static_cast<size_t>(got);
  // Linux reports twice the size set (it counts its bookkeeping); less than asked means capped.
  if (options_.receive_buffer_bytes > 0 && receive_buffer_ < options_.receive_buffer_bytes)
    spdlog::warn(
        "{}: the kernel gave its socket a receive buffer of {} bytes, not the {} of "
        "receiveBufferBytes (raise net.core.rmem_max): a burst larger than that while the "
        "channel is full is dropped",
        options_.what, receive_buffer_ / 2, options_.receive_buffer_bytes);
}

int UdpReceiver::start_reading() {
  if (reading_) return 0;
  int rc = uv_udp_recv_start(
      socket_,
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<UdpReceiver*>(h->data);
        buf->base = self->buffer_.data();
        buf->len = self->buffer_.size();
      },
      [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        if (auto* self = static_cast<UdpReceiver*>(h->data)) self->received(nread, buf, from);
      });
  reading_ = rc == 0;
  return rc;
}

void UdpReceiver::stop_reading() {
  if (!reading_) return;
  uv_udp_recv_stop(socket_);
  reading_ = false;
}

void UdpReceiver::received(ssize_t nread, const uv_buf_t* buf, const sockaddr* from) {
  if (nread < 0) {
    if (read_fail_ != nullptr) read_fail_->inc();
    return;
  }
  if (from == nullptr) return;  // nothing more to read for now
  const size_t held = on_datagram_(std::string_view(buf->base, static_cast<size_t>(nread)), from);
  if (held >= options_.batch_size) {
    try_commit();
  } else if (held > 0 && !uv_is_active(reinterpret_cast<uv_handle_t*>(timer_))) {
    // Datagrams that arrive together go in one transaction: commit on the next loop turn.
    uv_timer_start(
        timer_,
        [](uv_timer_t* t) {
          if (auto* self = static_cast<UdpReceiver*>(t->data)) self->try_commit();
        },
        0, 0);
  }
}

void UdpReceiver::try_commit() {
  count_kernel_drops();
  if (commit_()) {
    backoff_ms_ = kMinBackoffMs;
    if (refused_) {
      refused_ = false;
      uv_timer_stop(timer_);
    }
    start_reading();
    return;
  }
  // Keep the batch and try again when room frees up. Reading stops meanwhile, so the batch stays
  // within batchSize and the kernel's buffer holds what it can.
  stop_reading();
  refused_ = true;
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<UdpReceiver*>(t->data);
        if (self == nullptr) return;
        self->backoff_ms_ = std::min(self->backoff_ms_ * 2, kMaxBackoffMs);
        self->try_commit();
      },
      static_cast<uint64_t>(backoff_ms_), 0);
}

void UdpReceiver::on_space() {
  uv_async_send(wake_);
}

void UdpReceiver::count_kernel_drops() {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket_), &fd) != 0) return;
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof meminfo;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) != 0 ||
      len < static_cast<socklen_t>((SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)))
    return;
  const uint64_t drops = meminfo[SK_MEMINFO_DROPS];  // since the socket was made
  if (drops <= kernel_drops_seen_) return;
  const uint64_t fresh = drops - kernel_drops_seen_;
  kernel_drops_seen_ = drops;
  if (dropped_ != nullptr) dropped_->inc(static_cast<int64_t>(fresh));
  drop_log_.warn(
      "{}: the kernel dropped {} datagrams (its socket buffer of {} bytes was full while the "
      "channel could not take more; {} dropped in all): give the channel more capacity or a "
      "faster sink, or raise receiveBufferBytes",
      options_.what, fresh, receive_buffer_ / 2, drops);
}

}  // namespace flumen::net
