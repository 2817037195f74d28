// TLS on net::Server connections, with real sockets on loopback and a client that is plain
// OpenSSL on a blocking descriptor (not the code under test), against a CA made at test time.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "agent/net/server.h"
#include "agent/net/tls.h"
#include "agent/runtime/loop_thread.h"
#include "tests/unit/support/test_certs.h"
#include "tests/unit/support/wait_for.h"

namespace flumen::net {
namespace {

using namespace std::chrono_literals;
using testing::test_cert;

using testing::wait_for;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// A blocking OpenSSL client (SSL_set_fd): what a real TLS peer does.
class TlsClient {
 public:
  TlsClient(int port, const std::string& cert = {}, const std::string& key = {},
            const std::string& ca = test_cert("ca.pem")) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = connect_to(port);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  bool handshake() { return SSL_connect(ssl_) == 1; }
  bool send(const std::string& s) {
    size_t n = 0;
    return SSL_write_ex(ssl_, s.data(), s.size(), &n) == 1 && n == s.size();
  }
  std::string read_exactly(size_t n) {
    std::string out;
    char buf[16384];
    while (out.size() < n) {
      size_t got = 0;
      if (SSL_read_ex(ssl_, buf, std::min(sizeof buf, n - out.size()), &got) != 1) break;
      out.append(buf, got);
    }
    return out;
  }
  // After the server closed: a TLS 1.3 server's failure of a client certificate shows here.
  bool read_fails() {
    char buf[256];
    size_t got = 0;
    return SSL_read_ex(ssl_, buf, sizeof buf, &got) != 1;
  }
  int fd() const { return fd_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

struct Seen {
  std::mutex mu;
  std::string bytes;
  std::string subject;
  std::atomic<int> closes{0};
  std::atomic<bool> pause_next{false};
  std::atomic<Connection*> paused{nullptr};
  std::string all() {
    std::lock_guard<std::mutex> l(mu);
    return bytes;
  }
};

// Consumes whole lines and answers "ok:<line>\n".
class LineEcho : public ConnectionHandler {
 public:
  explicit LineEcho(Seen& seen) : seen_(seen) {}
  size_t on_data(Connection& c, std::string_view data, bool) override {
    if (seen_.pause_next.exchange(false)) {
      seen_.paused = &c;
      c.pause();
      return 0;
    }
    size_t used = 0;
    for (;;) {
      size_t nl = data.find('\n', used);
      if (nl == std::string_view::npos) break;
      std::string line(data.substr(used, nl - used));
      {
        std::lock_guard<std::mutex> l(seen_.mu);
        seen_.bytes += line + "\n";
        if (c.tls()) seen_.subject = c.tls()->peer_subject();
      }
      c.write("ok:" + line + "\n");
      used = nl + 1;
    }
    return used;
  }
  void on_close(Connection&, CloseReason) override { ++seen_.closes; }

 private:
  Seen& seen_;
};

std::shared_ptr<TlsContext> server_context(bool mutual = false) {
  TlsConfig c;
  c.cert_file = test_cert("server.pem");
  c.key_file = test_cert("server.key");
  if (mutual) {
    c.ca_file = test_cert("ca.pem");
    c.require_client_cert = true;
  }
  auto ctx = TlsContext::make(TlsRole::kServer, c);
  REQUIRE_MESSAGE(ctx.is_ok(), (ctx ? "" : ctx.error().message));
  return ctx.value();
}

struct Fixture {
  runtime::LoopThread loop{"test-tls"};
  util::ManualClock clock;
  metrics::ComponentMetrics metrics{"SOURCE", "t"};
  metrics::Counter& open = metrics.counter("OpenConnectionCount", metrics::MetricKind::kGauge);
  std::unique_ptr<Server> server;
  Seen seen;
  int port = 0;

  explicit Fixture(ListenerLimits limits, std::shared_ptr<TlsContext> tls) {
    REQUIRE(loop.start([&]() -> Status {
                  ServerCounters counters = make_server_counters(metrics, &open);
                  add_tls_counters(counters, metrics);
                  server = std::make_unique<Server>(
                      loop.loop(), "test", limits, counters,
                      [this](Connection&) { return std::make_unique<LineEcho>(seen); }, clock);
                  auto p = server->listen_tls("127.0.0.1", 0, tls);
                  if (!p) return p.status();
                  port = p.value();
                  return Status::ok();
                })
                .is_ok());
  }
  ~Fixture() {
    loop.stop([this] { server.reset(); });
  }
  void on_loop(std::function<void()> fn) {
    std::promise<void> done;
    loop.post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  int64_t count(const char* name) { return metrics.counter(name).get(); }
};

TEST_CASE("tls server: lines and answers go through TLS, across many records") {
  Fixture f({}, server_context());
  TlsClient c(f.port);
  REQUIRE(c.handshake());
  REQUIRE(c.send("one\ntw"));
  REQUIRE(c.send("o\n"));
  CHECK(c.read_exactly(14) == "ok:one\nok:two\n");
  // 2 MiB of lines in 64 KiB writes: many 16 KiB records, more than one read chunk. (One
  // SSL object must not be read and written from two threads, so each write's answers are
  // read before the next.)
  std::string big;
  for (int batch = 0; batch < 32; ++batch) {
    std::string chunk;
    size_t want = 0;
    while (chunk.size() < 64 * 1024) {
      std::string line = "line-" + std::to_string(batch) + "-" + std::string(50, 'x');
      chunk += line + "\n";
      want += 3 + line.size() + 1;
    }
    REQUIRE(c.send(chunk));
    std::string got = c.read_exactly(want);
    REQUIRE(got.size() == want);
    CHECK(got.substr(0, 8) == "ok:line-");
    big += chunk;
  }
  CHECK(f.seen.all() == "one\ntwo\n" + big);
  CHECK(f.count("TlsErrorCount") == 0);
}

TEST_CASE("tls server: a plain-text client is closed as a counted TLS error") {
  Fixture f({}, server_context());
  int fd = connect_to(f.port);
  std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(junk.size()));
  char buf[512];
  ssize_t r;
  while ((r = ::recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  CHECK(r == 0);  // closed (after an alert), not left hanging
  ::close(fd);
  CHECK(wait_for([&] { return f.count("TlsErrorCount") == 1; }));
  CHECK(f.count("ProtocolErrorCount") == 1);
  CHECK(f.seen.all().empty());
  // The listener still serves a good client.
  TlsClient c(f.port);
  REQUIRE(c.handshake());
  REQUIRE(c.send("fine\n"));
  CHECK(c.read_exactly(8) == "ok:fine\n");
}

TEST_CASE("tls server: a client that never completes the handshake is timed out") {
  ListenerLimits limits;
  limits.tls_handshake_timeout = 3s;
  Fixture f(limits, server_context());
  int fd = connect_to(f.port);
  REQUIRE(wait_for([&] { return f.count("ConnectionAcceptedCount") == 1; }));
  f.clock.advance(2s);
  f.on_loop([&] { f.server->sweep(); });
  CHECK(f.open.get() == 1);
  f.clock.advance(2s);
  f.on_loop([&] { f.server->sweep(); });
  CHECK(f.open.get() == 0);
  CHECK(f.count("ConnectionTimeoutCount") == 1);
  char buf[64];
  CHECK(::recv(fd, buf, sizeof buf, 0) <= 0);
  ::close(fd);
}

TEST_CASE("tls server: the protocol's handshake_timeout covers the TLS handshake") {
  ListenerLimits limits;
  limits.handshake_timeout = 5s;
  limits.tls_handshake_timeout = 1s;  // not used: the listener has its own
  Fixture f(limits, server_context());
  int fd = connect_to(f.port);
  REQUIRE(wait_for([&] { return f.count("ConnectionAcceptedCount") == 1; }));
  f.clock.advance(3s);
  f.on_loop([&] { f.server->sweep(); });
  CHECK(f.open.get() == 1);
  f.clock.advance(3s);
  f.on_loop([&] { f.server->sweep(); });
  CHECK(f.open.get() == 0);
  ::close(fd);
}

TEST_CASE("tls server: mutual TLS refuses clients without a certificate from the CA") {
  Fixture f({}, server_context(true));
  {
    TlsClient none(f.port);
    // TLS 1.3: the client finishes first, the server's refusal arrives with the next read.
    bool ok = none.handshake() && none.send("x\n") && !none.read_fails();
    CHECK_FALSE(ok);
  }
  CHECK(wait_for([&] { return f.count("TlsErrorCount") == 1; }));
  {
    TlsClient rogue(f.port, test_cert("rogue.pem"), test_cert("rogue.key"));
    bool ok = rogue.handshake() && rogue.send("x\n") && !rogue.read_fails();
    CHECK_FALSE(ok);
  }
  CHECK(wait_for([&] { return f.count("TlsErrorCount") == 2; }));
  CHECK(f.seen.all().empty());
  TlsClient good(f.port, test_cert("client.pem"), test_cert("client.key"));
  REQUIRE(good.handshake());
  REQUIRE(good.send("hello\n"));
  CHECK(good.read_exactly(9) == "ok:hello\n");
  std::lock_guard<std::mutex> l(f.seen.mu);
  CHECK(f.seen.subject.find("CN=flumen-test-client") != std::string::npos);
}

TEST_CASE("tls server: a paused connection keeps its plaintext and goes on after resume") {
  ListenerLimits limits;
  limits.max_buffer_bytes = 64 * 1024;
  Fixture f(limits, server_context());
  TlsClient c(f.port);
  REQUIRE(c.handshake());
  f.seen.pause_next = true;
  std::string lines;
  for (int i = 0; i < 3000; ++i)
    lines += "p" + std::to_string(i) + "\n";
  // The whole payload fits the socket buffers, so it all arrives while the handler is paused
  // and only the session and the bounded buffer can hold it.
  REQUIRE(c.send(lines));
  REQUIRE(wait_for([&] { return f.seen.paused.load() != nullptr; }));
  std::this_thread::sleep_for(50ms);
  CHECK(f.seen.all().empty());
  f.on_loop([&] { f.seen.paused.load()->resume(); });
  size_t want = 0;
  for (int i = 0; i < 3000; ++i)
    want += 3 + 1 + std::to_string(i).size() + 1;
  CHECK(c.read_exactly(want).size() == want);
  CHECK(f.seen.all() == lines);
}

TEST_CASE("tls server: close_notify from the client closes the connection") {
  Fixture f({}, server_context());
  {
    TlsClient c(f.port);
    REQUIRE(c.handshake());
    REQUIRE(c.send("bye\n"));
    CHECK(c.read_exactly(7) == "ok:bye\n");
    // ~TlsClient closes the socket; the server sees EOF (no close_notify) and closes too.
  }
  CHECK(wait_for([&] { return f.open.get() == 0; }));
  CHECK(f.seen.closes == 1);
  CHECK(f.count("TlsErrorCount") == 0);
}

// ---- contexts ----------------------------------------------------------------------------------

TEST_CASE("tls context: errors name the file; Java keystores are named as such") {
  TlsConfig c;
  c.cert_file = test_cert("server.pem");
  c.key_file = test_cert("client.key");  // another certificate's key
  auto r = TlsContext::make(TlsRole::kServer, c);
  REQUIRE_FALSE(r.is_ok());
  INFO(r.error().message);
  CHECK(r.error().message.find("does not match") != std::string::npos);

  c.key_file = test_cert("server.p12");
  c.cert_file = test_cert("server.p12");
  r = TlsContext::make(TlsRole::kServer, c);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.error().message.find("PKCS12 Java keystore, not PEM") != std::string::npos);
  CHECK(java_keystore_kind(test_cert("server.p12")) == "PKCS12");
  CHECK_FALSE(java_keystore_kind(test_cert("server.pem")).has_value());

  std::string jks = testing::test_cert_dir() + "/fake.jks";
  std::ofstream(jks, std::ios::binary) << std::string("\xFE\xED\xFE\xED\x00\x00\x00\x02", 8);
  CHECK(java_keystore_kind(jks) == "JKS");

  c.cert_file = test_cert("server.pem");
  c.key_file = test_cert("server-enc.key");
  c.key_password = "wrong";
  CHECK_FALSE(TlsContext::make(TlsRole::kServer, c).is_ok());
  c.key_password = "secret";
  CHECK(TlsContext::make(TlsRole::kServer, c).is_ok());

  c.cert_file = "/nonexistent/cert.pem";
  r = TlsContext::make(TlsRole::kServer, c);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.error().message.find("/nonexistent/cert.pem") != std::string::npos);

  TlsConfig m;
  m.cert_file = test_cert("server.pem");
  m.key_file = test_cert("server.key");
  m.require_client_cert = true;  // without a CA to verify against
  CHECK_FALSE(TlsContext::make(TlsRole::kServer, m).is_ok());
}

// Two sessions wired to each other through memory: what the forward sink's client side does.
TEST_CASE("tls session: client and server sessions talk through memory only") {
  auto server = server_context(true);
  TlsConfig cc;
  cc.ca_file = test_cert("ca.pem");
  cc.cert_file = test_cert("client.pem");
  cc.key_file = test_cert("client.key");
  cc.server_name = "localhost";
  auto client_ctx = TlsContext::make(TlsRole::kClient, cc);
  REQUIRE(client_ctx.is_ok());
  TlsSession cs(client_ctx.value()), ss(server);
  CHECK(cs.write("early"));  // held until the handshake is done
  for (int i = 0; i < 10 && !(cs.handshake_done() && ss.handshake_done()); ++i) {
    cs.handshake();
    std::string o = cs.take_output();
    ss.feed(o.data(), o.size());
    ss.handshake();
    o = ss.take_output();
    cs.feed(o.data(), o.size());
  }
  REQUIRE(cs.handshake_done());
  REQUIRE(ss.handshake_done());
  char buf[64];
  size_t got = 0;
  cs.handshake();  // flushes the held plaintext
  std::string o = cs.take_output();
  ss.feed(o.data(), o.size());
  std::string plain;
  while (ss.read(buf, sizeof buf, &got) == TlsSession::Io::kOk)
    plain.append(buf, got);
  CHECK(plain == "early");
  CHECK(ss.peer_subject().find("flumen-test-client") != std::string::npos);

  // A wrong name is refused by the client.
  cc.server_name = "not-this-host";
  auto wrong = TlsContext::make(TlsRole::kClient, cc);
  REQUIRE(wrong.is_ok());
  TlsSession ws(wrong.value()), ss2(server);
  TlsSession::Io r = TlsSession::Io::kWant;
  for (int i = 0; i < 10 && r == TlsSession::Io::kWant; ++i) {
    r = ws.handshake();
    std::string out = ws.take_output();
    ss2.feed(out.data(), out.size());
    ss2.handshake();
    out = ss2.take_output();
    ws.feed(out.data(), out.size());
  }
  CHECK(r == TlsSession::Io::kError);
  CHECK(ws.error().find("certificate verify failed") != std::string::npos);
}

}  // namespace
}  // namespace flumen::net
