// TLS for the forward sink (ssl = true), for both wires (the forward protocol and Avro RPC): the
// protocol code keeps writing plaintext into out_ and reading it from in_; here out_ is
// encrypted into tls_out_, which goes to the socket, and what the socket gives is decrypted into
// in_. The token in HELLO therefore only ever leaves encrypted.
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "plugins/sinks/forward/forward_sink.h"

namespace flumen::plugins {

namespace {

constexpr int kTlsPollMs = 100;  // short polls, so that interrupt() is seen soon

int ms_until(ForwardSink::Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ForwardSink::Clock::now())
          .count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, kTlsPollMs));
}

// Reads what the socket has into the session; false with `error` when the peer closed or
// failed.
bool feed_from_socket(int fd, net::TlsSession& tls, std::string& error) {
  char buf[64 * 1024];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n == 0) {
    error = "the receiver closed the connection";
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    error = std::strerror(errno);
    return false;
  }
  tls.feed(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

Status ForwardSink::tls_start(Clock::time_point limit) {
  tls_.reset();
  tls_out_.clear();
  tls_sent_ = 0;
  if (!options_.ssl) return Status::ok();
  if (!tls_ctx_) {
    auto ctx = net::tls_client_context(options_, options_.hostname);
    if (!ctx) return ctx.status();
    tls_ctx_ = ctx.value();
  }
  tls_ = std::make_unique<net::TlsSession>(tls_ctx_);
  for (;;) {
    net::TlsSession::Io r = tls_->handshake();
    tls_out_ += tls_->take_output();
    if (r == net::TlsSession::Io::kError) {
      // Let the alert reach the receiver: its log then says why.
      (void)::send(fd_, tls_out_.data(), tls_out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      return make_error(ErrorCode::kUnavailable, tls_->error());
    }
    if (r == net::TlsSession::Io::kOk && tls_out_.empty()) break;
    if (interrupted_.load())
      return make_error(ErrorCode::kUnavailable, "interrupted: the agent is stopping");
    if (Clock::now() >= limit)
      return make_error(ErrorCode::kUnavailable, "no TLS handshake within connect-timeout");
    pollfd p{fd_, static_cast<short>(POLLIN | (tls_out_.empty() ? 0 : POLLOUT)), 0};
    int rc = ::poll(&p, 1, ms_until(limit));
    if (rc < 0 && errno != EINTR) return make_error(ErrorCode::kUnavailable, std::strerror(errno));
    if (rc <= 0) continue;
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(fd_, tls_out_.data(), tls_out_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return make_error(ErrorCode::kUnavailable, std::strerror(errno));
      if (n > 0) tls_out_.erase(0, static_cast<size_t>(n));
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      std::string why;
      if (!feed_from_socket(fd_, *tls_, why))
        return make_error(ErrorCode::kUnavailable, "during the TLS handshake: " + why);
    }
  }
  spdlog::debug("forward sink {}: {} to {}", name(), tls_->version(), options_.hostname);
  return Status::ok();
}

ForwardSink::Io ForwardSink::tls_io_step(Clock::time_point deadline) {
  // Plaintext queued by the protocol code is encrypted at once: out_ counts as sent.
  if (out_sent_ < out_.size()) {
    if (!tls_->write(std::string_view(out_).substr(out_sent_))) {
      last_error_ = tls_->error();
      return Io::kBroken;
    }
    bytes_sent_->inc(static_cast<int64_t>(out_.size() - out_sent_));
    out_sent_ = out_.size();
  }
  take_tls_output();
  pollfd p{fd_, static_cast<short>(POLLIN | (tls_sent_ < tls_out_.size() ? POLLOUT : 0)), 0};
  int rc = ::poll(&p, 1, ms_until(deadline));
  if (rc < 0 && errno == EINTR) return Io::kOk;
  if (rc == 0) return Clock::now() >= deadline ? Io::kTimeout : Io::kOk;
  if (rc < 0) {
    last_error_ = std::strerror(errno);
    return Io::kBroken;
  }
  if (p.revents & POLLOUT) {
    // An offset, not erase(): a batch's ciphertext leaves in many sends.
    ssize_t n = ::send(fd_, tls_out_.data() + tls_sent_, tls_out_.size() - tls_sent_, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      last_error_ = std::strerror(errno);
      return Io::kBroken;
    }
    if (n > 0) tls_sent_ += static_cast<size_t>(n);
    if (tls_sent_ == tls_out_.size()) {
      tls_out_.clear();
      tls_sent_ = 0;
    }
  }
  if (p.revents & (POLLIN | POLLHUP | POLLERR))
    if (!feed_from_socket(fd_, *tls_, last_error_)) return Io::kBroken;
  // Also without POLLIN: records that came with the handshake's last flight wait in the session.
  if (tls_->input_pending()) {
    char buf[16 * 1024];
    for (;;) {
      size_t got = 0;
      net::TlsSession::Io r = tls_->read(buf, sizeof buf, &got);
      if (r == net::TlsSession::Io::kOk) {
        in_.append(buf, got);
        last_io_ = Clock::now();
        continue;
      }
      if (r == net::TlsSession::Io::kClosed) {
        last_error_ = "the receiver closed the connection";
        return Io::kBroken;
      }
      if (r == net::TlsSession::Io::kError) {
        last_error_ = tls_->error();
        return Io::kBroken;
      }
      break;
    }
    take_tls_output();
  }
  return Io::kOk;
}

void ForwardSink::take_tls_output() {
  if (tls_->output_pending() == 0) return;
  if (tls_sent_ == tls_out_.size()) {
    tls_out_ = tls_->take_output();
    tls_sent_ = 0;
  } else {
    tls_out_ += tls_->take_output();
  }
}

}  // namespace flumen::plugins
