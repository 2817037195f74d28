#include "plugins/sources/syslog/syslog_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "agent/net/backoff_resumer.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

// "<count> " in front of an octet-counted message: at most 9 digits and the space.
constexpr size_t kMaxCountPrefix = 10;

std::string peer_ip(const sockaddr* a) {
  char ip[64] = "";
  if (a->sa_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(a), ip, sizeof ip);
  else
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(a), ip, sizeof ip);
  return ip;
}

// The octet count at the front of `rest` ("<digits> "), or false when it is not one.
// `need_more`: the digits run to the end of what arrived, so it may still become one.
bool octet_count(std::string_view rest, size_t& count, size_t& prefix, bool& need_more) {
  need_more = false;
  size_t i = 0;
  while (i < rest.size() && i < kMaxCountPrefix &&
         std::isdigit(static_cast<unsigned char>(rest[i])))
    ++i;
  if (i == rest.size() && i < kMaxCountPrefix) {
    need_more = true;
    return false;
  }
  if (i == 0 || i >= kMaxCountPrefix || rest[i] != ' ') return false;
  count = 0;
  for (size_t k = 0; k < i; ++k)
    count = count * 10 + static_cast<size_t>(rest[k] - '0');
  prefix = i + 1;
  return true;
}

}  // namespace

// One TCP connection: cuts messages (newline-terminated, or RFC 6587 octet-counted, detected per
// message), parses them into one batch, puts the batch. Memory is bounded by eventSize: a longer
// line is cut (Incomplete) and its rest becomes the next message, as in Flume; a longer octet
// count keeps its first eventSize bytes and skips the rest as it arrives (it never allocates for
// the announced size).
class SyslogTcpSource::MessageHandler : public net::ConnectionHandler {
 public:
  MessageHandler(SyslogTcpSource* src, std::string peer_ip)
      : src_(src), peer_ip_(std::move(peer_ip)) {}

  size_t on_data(net::Connection& c, std::string_view data, bool eof) override {
    const size_t max_size = static_cast<size_t>(src_->options_.event_size);
    const size_t batch_max = static_cast<size_t>(src_->options_.batch_size);
    size_t pos = 0;
    for (;;) {
      const size_t batch_start = pos;
      const size_t skip_at_start = skip_;
      batch_.clear();
      size_t incomplete = 0;
      while (batch_.size() < batch_max && pos < data.size()) {
        if (skip_ > 0) {  // the part of an octet-counted message beyond eventSize
          size_t n = std::min(skip_, data.size() - pos);
          skip_ -= n;
          pos += n;
          continue;
        }
        std::string_view rest = data.substr(pos);
        std::string_view msg;
        size_t used = 0;
        size_t count = 0, prefix = 0;
        bool need_more = false;
        if (octet_count(rest, count, prefix, need_more)) {
          const size_t keep = std::min(count, max_size);
          if (rest.size() < prefix + keep) {
            if (!eof) break;
            msg = rest.substr(prefix);
            used = rest.size();
          } else {
            msg = rest.substr(prefix, keep);
            used = prefix + keep;
            skip_ = count - keep;
          }
          if (count > max_size) msg = msg.substr(0, max_size + 1);  // marks it cut below
        } else {
          if (need_more && !eof) break;
          size_t nl = rest.find('\n');
          if (nl == std::string_view::npos) {
            if (!eof && rest.size() <= max_size) break;
            nl = std::min(rest.size(), max_size + 1);
            used = nl;
          } else {
            used = nl + 1;
          }
          msg = rest.substr(0, nl);
        }
        bool cut = msg.size() > max_size;
        if (cut) msg = msg.substr(0, max_size);
        size_t i = add_syslog_event(batch_, msg, src_->keep_);
        if (cut) {
          batch_.set_header(i, "flume.syslog.status", "Incomplete");
          ++incomplete;
        }
        const auto& o = src_->options_;
        if (!o.client_ip_header.empty()) batch_.set_header(i, o.client_ip_header, peer_ip_);
        if (!o.client_hostname_header.empty())
          batch_.set_header(i, o.client_hostname_header, peer_ip_);
        if (!o.port_header.empty())
          batch_.set_header(i, o.port_header, std::to_string(c.local_port()));
        pos += used;
      }
      if (!batch_.empty()) {
        Status s = src_->processor().process_batch(batch_);
        if (!s) {
          skip_ = skip_at_start;
          src_->resumer_->pause_and_retry(c);
          return batch_start;
        }
        src_->resumer_->succeeded();
        if (incomplete > 0) src_->incomplete_->inc(static_cast<int64_t>(incomplete));
      }
      if (batch_.size() < batch_max || pos >= data.size()) break;
    }
    return pos;
  }

  void on_close(net::Connection& c, net::CloseReason) override { src_->resumer_->forget(c); }

 private:
  SyslogTcpSource* src_;
  std::string peer_ip_;
  size_t skip_ = 0;
  EventBatch batch_;
};

SyslogTcpSource::SyslogTcpSource(std::string name, SyslogOptions options)
    : Source(std::move(name)),
      options_(std::move(options)),
      keep_(KeepFields::parse(options_.keep_fields)),
      loop_("syslogtcp") {}

SyslogTcpSource::~SyslogTcpSource() {
  do_stop();
}

Status SyslogTcpSource::do_start() {
  incomplete_ = &metrics().counter("IncompleteEventCount");
  return loop_.start([this] { return listen_all(); });
}

Status SyslogTcpSource::listen_all() {
  std::vector<int> ports;
  if (options_.port >= 0) ports.push_back(static_cast<int>(options_.port));
  for (const auto& p : options_.ports)
    ports.push_back(std::stoi(p));
  // A message is at most eventSize bytes after its octet count.
  const size_t max_buffer = static_cast<size_t>(options_.event_size) + kMaxCountPrefix + 1;
  server_ = std::make_unique<net::Server>(
      loop_.loop(), "syslog source " + name(), net::to_limits(options_, max_buffer),
      net::make_server_counters(metrics(), counters().open_connection),
      [this](net::Connection& c) { return std::make_unique<MessageHandler>(this, c.peer_ip()); });
  for (int port : ports) {
    auto bound = server_->listen(options_.host, port);
    if (!bound) {
      server_.reset();
      return bound.status();
    }
  }
  resumer_ = std::make_unique<net::BackoffResumer>(loop_.loop());
  resumer_->watch(processor().selector().channels());
  spdlog::info("syslog tcp source {} listening on {} port(s)", name(), ports.size());
  return Status::ok();
}

void SyslogTcpSource::do_stop() {
  loop_.stop([this] {
    server_.reset();
    resumer_.reset();
  });
}

SyslogUdpSource::SyslogUdpSource(std::string name, SyslogOptions options)
    : DatagramSource(std::move(name), "syslogudp"),
      options_(std::move(options)),
      keep_(KeepFields::parse(options_.keep_fields)) {}

SyslogUdpSource::~SyslogUdpSource() {
  do_stop();
}

Status SyslogUdpSource::do_start() {
  net::UdpReceiverOptions o;
  o.host = options_.host;
  o.port = static_cast<int>(options_.port);
  o.batch_size = static_cast<size_t>(options_.batch_size);
  o.receive_buffer_bytes = static_cast<size_t>(options_.receive_buffer_bytes);
  return start_receiving(std::move(o));
}

size_t SyslogUdpSource::add(EventBatch& batch, std::string_view datagram, const sockaddr* from) {
  if (datagram.empty()) return batch.size();
  size_t i = add_syslog_event(batch, datagram, keep_);
  std::string ip = peer_ip(from);
  if (!options_.client_ip_header.empty()) batch.set_header(i, options_.client_ip_header, ip);
  if (!options_.client_hostname_header.empty())
    batch.set_header(i, options_.client_hostname_header, ip);
  return batch.size();
}

}  // namespace flumen::plugins
