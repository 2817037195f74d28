// `flumen avro-client`: Flume's `flume-ng avro-client` (-H host -p port -F file, --dirname,
// -R headerFile), sending each line of a file (or of stdin) as one event to a forward source
// (alias avro) over the forward protocol, or to an Apache Flume avro source over Flume's Avro RPC
// (--protocol flume, or auto: when the peer does not answer the forward HELLO). Like Flume's
// client it is a one-shot, blocking tool: it exits 0 once every batch was acknowledged
// (committed by the receiver's channel).
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "agent/config/properties.h"
#include "agent/net/avro_rpc.h"
#include "agent/net/forward_codec.h"
#include "cli/commands.h"

namespace flumen::cli {

namespace fwd = net::forward;

namespace {

class BlockingConnection {
 public:
  ~BlockingConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status connect(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0) return make_error(ErrorCode::kUnavailable, host + ": " + ::gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* a = res; a; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      why = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0)
      return make_error(ErrorCode::kUnavailable,
                        "cannot connect to " + host + ":" + std::to_string(port) + ": " + why);
    return Status::ok();
  }
  Status send(const std::string& bytes) {
    for (size_t off = 0; off < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorCode::kIo, std::string("send: ") + std::strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    return Status::ok();
  }
  // Closes the connection (and drops what was read) so that connect() opens a new one.
  void reconnect_later() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
    consumed_ = 0;
  }
  // Reads give up after `ms` (0: wait as long as it takes).
  void set_read_timeout(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // The next whole Avro RPC answer (a Netty frame's buffers, joined).
  Result<std::string> read_pack(uint32_t& serial) {
    buf_.erase(0, consumed_);
    consumed_ = 0;
    for (;;) {
      std::string payload;
      size_t used = 0;
      switch (net::avro_rpc::split_pack(buf_, 1 << 20, serial, payload, used)) {
        case net::avro_rpc::Split::kPack:
          consumed_ = used;
          return payload;
        case net::avro_rpc::Split::kTooLarge:
        case net::avro_rpc::Split::kMalformed:
          return make_error(ErrorCode::kCorruption, "malformed Avro RPC answer");
        case net::avro_rpc::Split::kNeedMore:
          break;
      }
      if (Status s = fill(); !s) return s.error();
    }
  }
  // The next whole frame; its payload stays valid until the next call.
  Result<fwd::Frame> read_frame(uint32_t max_frame) {
    buf_.erase(0, consumed_);
    consumed_ = 0;
    for (;;) {
      fwd::Frame frame;
      size_t used = 0;
      switch (fwd::split_frame(buf_, max_frame, frame, used)) {
        case fwd::Split::kFrame:
          consumed_ = used;
          return frame;
        case fwd::Split::kTooLarge:
        case fwd::Split::kMalformed:
          return make_error(ErrorCode::kCorruption, "malformed frame from the receiver");
        case fwd::Split::kNeedMore:
          break;
      }
      if (Status s = fill(); !s) return s.error();
    }
  }

 private:
  Status fill() {
    char chunk[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return make_error(ErrorCode::kUnavailable, "the receiver closed the connection");
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return make_error(ErrorCode::kTimeout, "no answer within 2 s");
      if (n < 0) return make_error(ErrorCode::kIo, std::string("recv: ") + std::strerror(errno));
      buf_.append(chunk, static_cast<size_t>(n));
      return Status::ok();
    }
  }
  int fd_ = -1;
  std::string buf_;
  size_t consumed_ = 0;
};

struct ClientArgs {
  std::string host;
  int port = 0;
  std::string file;
  std::string dirname;
  std::string header_file;
  std::string token;
  std::string protocol = "auto";
  std::string conf_dir;  // Flume's -c: accepted, unused
};

// Flume's -R file: Java properties, each key=value becomes a header of every event.
Result<std::vector<std::pair<std::string, std::string>>> read_headers(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (path.empty()) return out;
  config::Diagnostics diags;
  auto props = config::PropertiesFile::load(path, diags);
  if (!props || diags.has_errors()) return make_error(ErrorCode::kInvalidConfig, diags.format());
  for (const auto& e : props->entries())
    out.emplace_back(e.key, e.value);
  return out;
}

// One batch at a time to the receiver, acknowledged before the next.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual Status send(const EventBatch& batch) = 0;
  virtual size_t max_events() const = 0;
};

class ForwardSender : public Sender {
 public:
  ForwardSender(BlockingConnection& conn, const fwd::Welcome& w, uint64_t next_seq)
      : conn_(conn), welcome_(w), seq_(next_seq) {}

  // Sends the batch and waits for its ACK; a full channel (NACK) is retried with a backoff.
  Status send(const EventBatch& batch) override {
    for (int attempt = 0;; ++attempt) {
      std::string frame, scratch;
      if (Status s =
              fwd::append_batch(frame, seq_, fwd::Codec::kNone, batch, 0, batch.size(), scratch);
          !s)
        return s;
      if (Status s = conn_.send(frame); !s) return s;
      auto reply = conn_.read_frame(welcome_.max_frame);
      if (!reply) return reply.status();
      if (reply.value().type == fwd::FrameType::kAck) {
        ++seq_;
        return Status::ok();
      }
      fwd::Nack nack;
      if (reply.value().type == fwd::FrameType::kNack &&
          fwd::decode_nack(reply.value().payload, nack)) {
        if (nack.reason == fwd::NackReason::kChannelFull && attempt < 100) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(std::min(1000, 50 << std::min(attempt, 4))));
          continue;
        }
        return make_error(ErrorCode::kRejected, "the receiver refused a batch: " + nack.message);
      }
      fwd::WireErrorFrame err;
      if (reply.value().type == fwd::FrameType::kError &&
          fwd::decode_error(reply.value().payload, err))
        return make_error(ErrorCode::kRejected, "the receiver closed with: " + err.message);
      return make_error(ErrorCode::kCorruption, "unexpected frame from the receiver");
    }
  }
  size_t max_events() const override {
    return std::max<size_t>(1, std::min<size_t>(welcome_.max_events, fwd::kMaxBatchEvents));
  }

 private:
  BlockingConnection& conn_;
  fwd::Welcome welcome_;
  uint64_t seq_;
};

// Apache Flume's Avro RPC: one appendBatch per batch (100 events, Flume's avro-client batch),
// the handshake on the first; FAILED (the receiver's channel is full) is retried with a backoff.
class AvroSender : public Sender {
 public:
  explicit AvroSender(BlockingConnection& conn) : conn_(conn) {}

  Status send(const EventBatch& batch) override {
    namespace avro_rpc = net::avro_rpc;
    for (int attempt = 0;; ++attempt) {
      std::string frame;
      const size_t at = avro_rpc::begin_pack(frame, ++serial_);
      const bool handshake = !handshaken_;
      if (handshake) avro_rpc::write_handshake_request(frame, send_protocol_);
      avro_rpc::write_append_batch(frame, batch, 0, batch.size());
      avro_rpc::end_pack(frame, at);
      if (Status s = conn_.send(frame); !s) return s;
      uint32_t serial = 0;
      auto answer = conn_.read_pack(serial);
      if (!answer) return answer.status();
      net::avro::Reader r(answer.value());
      if (handshake) {
        avro_rpc::HandshakeResponse h;
        if (!avro_rpc::read_handshake_response(r, h))
          return make_error(ErrorCode::kCorruption, "malformed Avro handshake answer");
        if (h.match == avro_rpc::Match::kNone) {
          if (send_protocol_)
            return make_error(ErrorCode::kRejected,
                              "the receiver does not accept Flume's AvroSourceProtocol");
          send_protocol_ = true;
          continue;
        }
        handshaken_ = true;
      }
      avro_rpc::Status status{};
      std::string error;
      if (!avro_rpc::read_call_response(r, status, error))
        return make_error(ErrorCode::kCorruption, "malformed Avro RPC answer");
      if (status == avro_rpc::Status::kOk) return Status::ok();
      if (!error.empty()) return make_error(ErrorCode::kRejected, "the receiver: " + error);
      if (attempt >= 100)
        return make_error(ErrorCode::kRejected, "the receiver keeps answering FAILED");
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1000, 50 << std::min(attempt, 4))));
    }
  }
  size_t max_events() const override { return 100; }

 private:
  BlockingConnection& conn_;
  bool handshaken_ = false;
  bool send_protocol_ = false;
  uint32_t serial_ = 0;
};

// Sends every line of `in` (without its line end), in batches; counts what was sent.
Status send_lines(std::istream& in, const std::vector<EventBatch::Header>& headers, Sender& sender,
                  size_t& sent) {
  EventBatch batch;
  std::string line;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok();
    Status s = sender.send(batch);
    if (s) sent += batch.size();
    batch.clear();
    return s;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    batch.add(line, headers);
    if (batch.size() >= sender.max_events() || batch.body_bytes() >= fwd::kMaxBatchBytes / 2)
      if (Status s = flush(); !s) return s;
  }
  return flush();
}

// The forward protocol's HELLO: a sender for a flumen source, or why not (kRejected: a flumen
// source refused us, e.g. the token; anything else: the peer does not speak it).
Result<std::unique_ptr<Sender>> greet(BlockingConnection& conn, const ClientArgs& args) {
  fwd::Hello hello;
  hello.stream = std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
  hello.sender = "flumen avro-client";
  hello.token = args.token;
  std::string out;
  fwd::append_hello(out, hello);
  if (Status s = conn.send(out); !s) return s.error();
  // A Flume avro source either closes the connection on a HELLO or waits for more bytes.
  if (args.protocol == "auto") conn.set_read_timeout(2000);
  auto reply = conn.read_frame(fwd::kDefaultMaxFrame);
  if (!reply) return reply.error();
  fwd::WireErrorFrame err;
  if (reply.value().type == fwd::FrameType::kError && fwd::decode_error(reply.value().payload, err))
    return make_error(ErrorCode::kRejected, err.message);
  fwd::Welcome welcome;
  if (reply.value().type != fwd::FrameType::kWelcome ||
      !fwd::decode_welcome(reply.value().payload, welcome))
    return make_error(ErrorCode::kCorruption, "no WELCOME");
  return std::unique_ptr<Sender>(
      std::make_unique<ForwardSender>(conn, welcome, welcome.committed + 1));
}

int run_avro_client(const ClientArgs& args) {
  auto owned_headers = read_headers(args.header_file);
  if (!owned_headers) {
    std::cerr << "avro-client: " << owned_headers.status().message() << "\n";
    return kExitBadConfig;
  }
  std::vector<EventBatch::Header> headers;  // views of owned_headers, which outlives them
  for (const auto& [k, v] : owned_headers.value())
    headers.emplace_back(k, v);
  BlockingConnection conn;
  if (Status s = conn.connect(args.host, args.port); !s) {
    std::cerr << "avro-client: " << s.message() << "\n";
    return kExitStartFailed;
  }
  std::unique_ptr<Sender> sender = std::make_unique<AvroSender>(conn);
  if (args.protocol != "flume") {
    auto forward = greet(conn, args);
    if (!forward) {
      if (args.protocol == "flumen" || forward.status().code() == ErrorCode::kRejected) {
        std::cerr << "avro-client: handshake with " << args.host << ":" << args.port
                  << " failed: " << forward.status().message() << "\n";
        return kExitStartFailed;
      }
      // Not a forward source: speak Flume's Avro RPC on a new connection.
      conn.reconnect_later();
      if (Status s = conn.connect(args.host, args.port); !s) {
        std::cerr << "avro-client: " << s.message() << "\n";
        return kExitStartFailed;
      }
      std::cerr << "avro-client: " << args.host << ":" << args.port << " does not speak the "
                << "flumen forward protocol (" << forward.status().message()
                << "); sending with Apache Flume's Avro RPC\n";
    } else {
      sender = std::move(forward).value();
    }
  }
  conn.set_read_timeout(0);
  size_t sent = 0;
  Status status = Status::ok();
  if (!args.dirname.empty()) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(args.dirname, ec))
      if (entry.is_regular_file()) files.push_back(entry.path());
    if (ec) {
      std::cerr << "avro-client: " << args.dirname << ": " << ec.message() << "\n";
      return kExitBadConfig;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::cerr << "avro-client: cannot read " << f << "\n";
        return kExitBadConfig;
      }
      if (status = send_lines(in, headers, *sender, sent); !status) break;
    }
  } else if (!args.file.empty()) {
    std::ifstream in(args.file, std::ios::binary);
    if (!in) {
      std::cerr << "avro-client: cannot read " << args.file << "\n";
      return kExitBadConfig;
    }
    status = send_lines(in, headers, *sender, sent);
  } else {
    status = send_lines(std::cin, headers, *sender, sent);
  }
  if (!status) {
    std::cerr << "avro-client: " << status.message() << " (" << sent
              << " events were acknowledged before)\n";
    return kExitStartFailed;
  }
  std::cerr << "avro-client: sent " << sent << " events to " << args.host << ":" << args.port
            << "\n";
  return kExitOk;
}

}  // namespace

CLI::App* add_avro_client_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<ClientArgs>();
  auto* cmd = app.add_subcommand(
      "avro-client",
      "Send a file's lines as events to a forward/avro source (Flume's avro-client flags)");
  cmd->add_option("-H,--host", args->host, "Host of the forward/avro source")->required();
  cmd->add_option("-p,--port", args->port, "Port of the forward/avro source")->required();
  auto* file = cmd->add_option("-F,--filename", args->file,
                               "File to send, one event per line (default stdin)");
  cmd->add_option("--dirname", args->dirname, "Send every file of this directory, in name order")
      ->excludes(file);
  cmd->add_option("-R,--headerFile", args->header_file,
                  "Java properties file: each key=value becomes a header of every event");
  cmd->add_option("--token", args->token, "The source's token, when it requires one");
  cmd->add_option("--protocol", args->protocol,
                  "flumen (a forward source), flume (Apache Flume's Avro RPC, to a Flume avro "
                  "source), or auto: the forward protocol, else Avro RPC")
      ->check(CLI::IsMember({"auto", "flumen", "flume"}))
      ->capture_default_str();
  cmd->add_option("-c,--conf", args->conf_dir, "Flume's conf directory (accepted, not used)");
  run = [args] { return run_avro_client(*args); };
  return cmd;
}

}  // namespace flumen::cli
