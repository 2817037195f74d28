#include "agent/metrics/http_endpoint.h"
#include "agent/metrics/rates.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using flumen::Status;
using flumen::metrics::ComponentSnapshot;
using flumen::metrics::format_flume_json;
using flumen::metrics::format_prometheus;
using flumen::metrics::HttpEndpoint;
using flumen::metrics::MetricKind;

namespace {

std::vector<ComponentSnapshot> sample_snapshots() {
  ComponentSnapshot src;
  src.type = "SOURCE";
  src.name = "r1";
  src.values = {{"StartTime", MetricKind::kGauge, 1700000000123.0, true},
                {"EventReceivedCount", MetricKind::kCounter, 5, true},
                {"EventAcceptedCount", MetricKind::kCounter, 4, true}};

  ComponentSnapshot src2;
  src2.type = "SOURCE";
  src2.name = "r2";
  src2.values = {{"EventReceivedCount", MetricKind::kCounter, 7, true}};

  ComponentSnapshot ch;
  ch.type = "CHANNEL";
  ch.name = "c1";
  ch.values = {{"ChannelSize", MetricKind::kGauge, 12, true},
               {"ChannelFillPercentage", MetricKind::kGauge, 0.12, false},
               {"ChannelCapacity", MetricKind::kGauge, 10000, true}};

  ComponentSnapshot grp;
  grp.type = "SINKGROUP";
  grp.name = "g1";
  grp.values = {{"StartTime", MetricKind::kGauge, 0, true}};
  grp.labels = {{"ActiveSink", "k1"}};
  return {src, src2, ch, grp};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

size_t count_lines(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), line));
}

size_t index_of(const std::vector<std::string>& lines, const std::string& line) {
  auto it = std::find(lines.begin(), lines.end(), line);
  return static_cast<size_t>(it - lines.begin());
}

// ---- a blocking POSIX client, used from a thread other than the loop's --------------------------

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};  // a broken server fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response (body length from Content-Length; none for HEAD).
  std::optional<Reply> read_reply(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Reply r;
    std::istringstream in(buf_.substr(0, end));
    std::string status_line;
    std::getline(in, status_line);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = std::atoi(status_line.c_str() + 9);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    buf_.erase(0, end + 4);
    size_t len = 0;
    if (!head && r.headers.count("content-length")) {
      len = std::stoul(r.headers["content-length"]);
    }
    while (buf_.size() < len) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // True when the server closed the connection, orderly or by reset (not a receive timeout).
  bool gone() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  // True when the server closed the connection with nothing more to read.
  bool closed_by_peer() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0;
  }

 private:
  bool fill() {
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Runs an endpoint on a loop driven by this thread while `client` runs on another thread; when
// the client is done the endpoint is closed and destroyed and the loop must end up empty.
template <typename F>
void serve_while(F client, HttpEndpoint::SnapshotFn snap = sample_snapshots) {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto ep = std::make_unique<HttpEndpoint>(&loop, "a1", std::move(snap));
  Status st = ep->listen("127.0.0.1", 0);
  REQUIRE_MESSAGE(st.is_ok(), (st.is_ok() ? "" : st.message()));
  int port = ep->bound_port();
  REQUIRE(port > 0);

  struct Ctx {
    HttpEndpoint* ep;
    uv_async_t done;
  } ctx{ep.get(), {}};
  REQUIRE(uv_async_init(&loop, &ctx.done, [](uv_async_t* a) {
            auto* c = static_cast<Ctx*>(a->data);
            c->ep->close();
            uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
          }) == 0);
  ctx.done.data = &ctx;

  std::thread t([&] {
    try {
      client(port);
    } catch (const std::exception& e) {
      FAIL_CHECK("client threw: " << e.what());
    } catch (...) {
      // A failed REQUIRE inside the client: already recorded.
    }
    uv_async_send(&ctx.done);
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  t.join();
  ep.reset();  // destructor after close() must be harmless
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);  // every handle was closed
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

}  // namespace

TEST_SUITE("metrics http endpoint") {
  TEST_CASE("metrics json: Flume's flat format with string values") {
    std::string body = format_flume_json(sample_snapshots());
    auto j = nlohmann::ordered_json::parse(body);
    REQUIRE(j.is_object());
    CHECK(j.size() == 4);
    REQUIRE(j.contains("SOURCE.r1"));
    REQUIRE(j.contains("CHANNEL.c1"));
    REQUIRE(j.contains("SINKGROUP.g1"));

    const auto& r1 = j["SOURCE.r1"];
    CHECK(r1.begin().key() == "Type");
    CHECK(r1["Type"] == "SOURCE");
    CHECK(r1["EventReceivedCount"] == "5");
    CHECK(r1["EventAcceptedCount"] == "4");
    CHECK(r1["StartTime"] == "1700000000123");
    for (const auto& [k, v] : r1.items())
      CHECK_MESSAGE(v.is_string(), k);

    const auto& c1 = j["CHANNEL.c1"];
    CHECK(c1["Type"] == "CHANNEL");
    CHECK(c1["ChannelFillPercentage"] == "0.12");
    CHECK(c1["ChannelSize"] == "12");
    CHECK(c1["ChannelCapacity"] == "10000");

    CHECK(j["SINKGROUP.g1"]["ActiveSink"] == "k1");
    CHECK(j["SINKGROUP.g1"]["StartTime"] == "0");
    CHECK(body.find("\"EventReceivedCount\":\"5\"") != std::string::npos);

    CHECK(format_flume_json({}) == "{}");
  }

  TEST_CASE("metrics json: non-integral values print like Java's Double.toString") {
    auto one = [](double v) {
      ComponentSnapshot s;
      s.type = "CHANNEL";
      s.name = "c";
      s.values = {{"ChannelFillPercentage", MetricKind::kGauge, v, false}};
      return nlohmann::json::parse(format_flume_json({s}))["CHANNEL.c"]["ChannelFillPercentage"]
          .get<std::string>();
    };
    CHECK(one(0.0) == "0.0");
    CHECK(one(100.0) == "100.0");
    CHECK(one(0.12) == "0.12");
    CHECK(one(33.5) == "33.5");
    CHECK(one(1.0 / 3.0) == "0.3333333333333333");
    CHECK(one(12345678.0) == "1.2345678E7");
    CHECK(one(0.0001) == "1.0E-4");
  }

  TEST_CASE("metrics prometheus: names, labels and one HELP/TYPE per metric") {
    auto lines = lines_of(format_prometheus(sample_snapshots(), "a1"));

    CHECK(count_lines(lines, "# TYPE flumen_event_received_count counter") == 1);
    CHECK(count_lines(lines,
                      "# HELP flumen_event_received_count Flume metric EventReceivedCount") == 1);
    CHECK(count_lines(lines, "# TYPE flumen_start_time gauge") == 1);
    CHECK(count_lines(lines, "# TYPE flumen_channel_fill_percentage gauge") == 1);
    CHECK(count_lines(lines, "# TYPE flumen_channel_size gauge") == 1);

    const std::string r1 =
        "flumen_event_received_count{agent=\"a1\",type=\"source\",component=\"r1\"} 5";
    const std::string r2 =
        "flumen_event_received_count{agent=\"a1\",type=\"source\",component=\"r2\"} 7";
    CHECK(count_lines(lines, r1) == 1);
    CHECK(count_lines(lines, r2) == 1);
    CHECK(count_lines(lines,
                      "flumen_channel_fill_percentage{agent=\"a1\",type=\"channel\",component="
                      "\"c1\"} 0.12") == 1);
    CHECK(count_lines(
              lines,
              "flumen_start_time{agent=\"a1\",type=\"source\",component=\"r1\"} 1700000000123") ==
          1);
    CHECK(count_lines(
              lines, "flumen_start_time{agent=\"a1\",type=\"sinkgroup\",component=\"g1\"} 0") == 1);
    CHECK(count_lines(lines,
                      "flumen_component_info{agent=\"a1\",type=\"sinkgroup\",component="
                      "\"g1\",active_sink=\"k1\"} 1") == 1);
    CHECK(count_lines(lines, "# TYPE flumen_component_info gauge") == 1);

    // The samples of one metric follow its TYPE line, uninterrupted.
    size_t type_line = index_of(lines, "# TYPE flumen_event_received_count counter");
    REQUIRE(type_line + 2 < lines.size());
    CHECK(lines[type_line + 1] == r1);
    CHECK(lines[type_line + 2] == r2);
    size_t help_line = index_of(lines,
                                "# HELP flumen_event_received_count Flume metric "
                                "EventReceivedCount");
    CHECK(help_line + 1 == type_line);

    // Every non-comment line is "name{labels} value".
    for (const auto& l : lines) {
      if (l.empty() || l[0] == '#') continue;
      CHECK_MESSAGE(l.rfind("flumen_", 0) == 0, l);
      CHECK_MESSAGE(l.find("} ") != std::string::npos, l);
    }
  }

  TEST_CASE("metrics prometheus: label values are escaped") {
    ComponentSnapshot s;
    s.type = "SINK";
    s.name = "k\"1\\x\ny";
    s.values = {{"EventDrainSuccessCount", MetricKind::kCounter, 3, true}};
    s.labels = {{"Note", "a\"b"}};
    auto lines = lines_of(format_prometheus({s}, "ag"));
    CHECK(count_lines(lines,
                      "flumen_event_drain_success_count{agent=\"ag\",type=\"sink\","
                      "component=\"k\\\"1\\\\x\\ny\"} 3") == 1);
    CHECK(count_lines(lines,
                      "flumen_component_info{agent=\"ag\",type=\"sink\",component=\"k\\\"1\\\\"
                      "x\\ny\",note=\"a\\\"b\"} 1") == 1);
    CHECK(format_prometheus({}, "a1").empty());
  }

  TEST_CASE("metrics http: GET /metrics in JSON and Prometheus, /, 404") {
    serve_while([](int port) {
      Client c(port);
      REQUIRE(c.connected());

      REQUIRE(c.send(get("/metrics")));
      auto r = c.read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->headers["content-type"] == "application/json");
      CHECK(r->headers["content-length"] == std::to_string(r->body.size()));
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      REQUIRE(!j.is_discarded());
      CHECK(j["SOURCE.r1"]["EventReceivedCount"] == "5");
      CHECK(j["CHANNEL.c1"]["ChannelFillPercentage"] == "0.12");

      REQUIRE(c.send(get("/metrics?format=prometheus")));
      r = c.read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
      CHECK(r->body.find("# TYPE flumen_event_received_count counter\n") != std::string::npos);
      CHECK(r->body.find("flumen_event_received_count{agent=\"a1\",type=\"source\",component="
                         "\"r1\"} 5\n") != std::string::npos);

      REQUIRE(c.send(get("/")));
      r = c.read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->body.find("/metrics?format=prometheus") != std::string::npos);

      REQUIRE(c.send(get("/nope")));
      r = c.read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 404);

      // HEAD: the headers of a GET, no body; the connection stays usable.
      REQUIRE(c.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
      r = c.read_reply(/*head=*/true);
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(std::stoul(r->headers["content-length"]) > 0);
      REQUIRE(c.send(get("/metrics?format=json")));
      r = c.read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->body.front() == '{');
    });
  }

  TEST_CASE("metrics http: methods and bad requests") {
    serve_while([](int port) {
      {
        Client c(port);
        REQUIRE(c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 405);
        CHECK(r->headers["allow"] == "GET, HEAD");
        REQUIRE(c.send("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"));
        r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 403);
        REQUIRE(c.send("OPTIONS /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 403);
      }
      {
        Client c(port);
        REQUIRE(c.send("this is not http\r\n\r\n"));
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 400);
        CHECK(r->headers["connection"] == "close");
        CHECK(c.closed_by_peer());
      }
      {
        Client c(port);  // binary junk
        std::string junk(300, '\0');
        for (size_t i = 0; i < junk.size(); ++i)
          junk[i] = static_cast<char>(i * 37 + 11);
        REQUIRE(c.send(junk));
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 400);
        CHECK(c.closed_by_peer());
      }
      {
        Client c(port);  // headers over the cap
        std::string req =
            "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') +
            "\r\n\r\n";
        c.send(req);  // the server may close before reading it all
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 431);
        CHECK(c.closed_by_peer());
      }
      {
        Client c(port);  // a huge URL is capped too
        c.send("GET /" + std::string(20 * 1024, 'u') + " HTTP/1.1\r\n\r\n");
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 431);
      }
      {
        Client c(port);
        REQUIRE(c.send(get("/metrics?format=xml")));
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 400);
      }
      {
        // After all that abuse the server still answers.
        Client c(port);
        REQUIRE(c.send(get("/metrics")));
        auto r = c.read_reply();
        REQUIRE(r.has_value());
        CHECK(r->status == 200);
      }
    });
  }

  TEST_CASE("metrics http: pipelining, split requests, Connection: close, half-close") {
    int scrapes = 0;
    auto snap = [&scrapes] {
      ++scrapes;
      return sample_snapshots();
    };
    serve_while(
        [](int port) {
          {
            // Two pipelined requests in one write on a keep-alive connection, answered in order.
            Client c(port);
            REQUIRE(c.send(get("/metrics") + get("/metrics?format=prometheus")));
            auto a = c.read_reply();
            auto b = c.read_reply();
            REQUIRE(a.has_value());
            REQUIRE(b.has_value());
            CHECK(a->status == 200);
            CHECK(a->headers["content-type"] == "application/json");
            CHECK(a->headers["connection"] == "keep-alive");
            CHECK(b->status == 200);
            CHECK(b->headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
            // Still open for a third.
            REQUIRE(c.send(get("/nope")));
            auto d = c.read_reply();
            REQUIRE(d.has_value());
            CHECK(d->status == 404);
          }
          {
            // One request dribbled over several writes; the second pipelined one split mid-line.
            Client c(port);
            std::string req = get("/metrics") + get("/metrics?format=prometheus");
            for (size_t i = 0; i < req.size(); i += 7) {
              REQUIRE(c.send(req.substr(i, 7)));
              std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            auto a = c.read_reply();
            auto b = c.read_reply();
            REQUIRE(a.has_value());
            REQUIRE(b.has_value());
            CHECK(a->status == 200);
            CHECK(b->status == 200);
            CHECK(b->body.find("flumen_channel_fill_percentage") != std::string::npos);
          }
          {
            // Connection: close is honoured after the answer; what follows is not served.
            Client c(port);
            REQUIRE(c.send(get("/metrics", "Connection: close\r\n") + get("/metrics")));
            auto a = c.read_reply();
            REQUIRE(a.has_value());
            CHECK(a->status == 200);
            CHECK(a->headers["connection"] == "close");
            CHECK(c.closed_by_peer());
          }
          {
            // HTTP/1.0 without keep-alive closes too.
            Client c(port);
            REQUIRE(c.send("GET /metrics HTTP/1.0\r\n\r\n"));
            auto a = c.read_reply();
            REQUIRE(a.has_value());
            CHECK(a->status == 200);
            CHECK(c.closed_by_peer());
          }
          {
            // The client half-closes right after its requests: both are still answered.
            Client c(port);
            REQUIRE(c.send(get("/metrics") + get("/")));
            c.shutdown_write();
            auto a = c.read_reply();
            auto b = c.read_reply();
            REQUIRE(a.has_value());
            REQUIRE(b.has_value());
            CHECK(a->status == 200);
            CHECK(b->status == 200);
            CHECK(c.closed_by_peer());
          }
        },
        snap);
    // 2 + 2 + 1 + 1 + 1 scrapes; the request after Connection: close was not served.
    CHECK(scrapes == 7);
  }

  TEST_CASE("metrics http: a client that pipelines without reading is throttled, not dropped") {
    // ~100 KiB per answer, 200 answers queued: far more than the server buffers per connection,
    // so it has to stop reading and resume as the client catches up.
    std::vector<ComponentSnapshot> big;
    for (int i = 0; i < 1000; ++i) {
      ComponentSnapshot s;
      s.type = "SINK";
      s.name = "sink-number-" + std::to_string(i);
      s.values = {{"EventDrainSuccessCount", MetricKind::kCounter, 1.0 * i, true},
                  {"EventDrainAttemptCount", MetricKind::kCounter, 2.0 * i, true}};
      big.push_back(std::move(s));
    }
    std::vector<ComponentSnapshot> annotated = big;  // the JSON answer carries rates (all 0 here)
    flumen::metrics::RateTracker().annotate(annotated);
    size_t expected_size = format_flume_json(annotated).size();
    REQUIRE(expected_size > 50 * 1024);
    static constexpr int kRequests = 200;
    serve_while(
        [expected_size](int port) {
          Client c(port);
          std::string reqs;
          for (int i = 0; i < kRequests; ++i)
            reqs += get("/metrics");
          REQUIRE(c.send(reqs));
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          int ok = 0;
          for (int i = 0; i < kRequests; ++i) {
            auto r = c.read_reply();
            if (!r) break;
            if (r->status == 200 && r->body.size() == expected_size) ++ok;
          }
          CHECK(ok == kRequests);
        },
        [&big] { return big; });
  }

  TEST_CASE("metrics http: close() with connections open, destructor after close()") {
    std::unique_ptr<Client> held;
    std::unique_ptr<Client> partial;
    serve_while([&held, &partial](int port) {
      held = std::make_unique<Client>(port);
      REQUIRE(held->connected());
      REQUIRE(held->send(get("/metrics")));
      auto r = held->read_reply();
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      // Left open (idle keep-alive, plus a partial request on a second one) while the endpoint
      // closes.
      partial = std::make_unique<Client>(port);
      REQUIRE(partial->send(get("/")));  // make sure the server has accepted it
      r = partial->read_reply();
      REQUIRE(r.has_value());
      REQUIRE(partial->send("GET /met"));
    });
    // The server side went away.
    REQUIRE(held);
    REQUIRE(partial);
    CHECK(held->closed_by_peer());
    // Closed with unread input, so the peer may see a reset rather than an orderly FIN.
    CHECK(partial->gone());
  }

  TEST_CASE("metrics http: a throwing snapshot gives 500, not a crash") {
    serve_while(
        [](int port) {
          Client c(port);
          REQUIRE(c.send(get("/metrics")));
          auto r = c.read_reply();
          REQUIRE(r.has_value());
          CHECK(r->status == 500);
          REQUIRE(c.send(get("/")));  // the connection survives
          r = c.read_reply();
          REQUIRE(r.has_value());
          CHECK(r->status == 200);
        },
        []() -> std::vector<ComponentSnapshot> { throw std::runtime_error("boom"); });
  }

  TEST_CASE("metrics http: listen errors name host:port and the cause") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
      HttpEndpoint first(&loop, "a1", sample_snapshots);
      REQUIRE(first.listen("127.0.0.1", 0).is_ok());
      int port = first.bound_port();
      REQUIRE(port > 0);

      HttpEndpoint second(&loop, "a1", sample_snapshots);
      Status s = second.listen("127.0.0.1", port);
      REQUIRE_FALSE(s.is_ok());
      CHECK(s.message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
      CHECK(s.message().find(uv_strerror(UV_EADDRINUSE)) != std::string::npos);
      CHECK(second.bound_port() == 0);

      Status bad = second.listen("127.0.0.1", 70000);
      REQUIRE_FALSE(bad.is_ok());
      CHECK(bad.message().find("127.0.0.1:70000") != std::string::npos);

      // A second listen on a listening endpoint is refused.
      CHECK_FALSE(first.listen("127.0.0.1", 0).is_ok());

      first.close();
      first.close();
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
}
