#include "agent/net/udp_receiver.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/runtime/loop_thread.h"
#include "tests/unit/support/wait_for.h"

namespace flumen::net {
namespace {

using namespace std::chrono_literals;

using testing::wait_for;

// A receiver on its own loop whose commit the test controls: `refuse` makes the channel "full".
struct Rig {
  runtime::LoopThread loop{"udp-test"};
  std::unique_ptr<UdpReceiver> receiver;
  metrics::Counter read_fail, dropped;
  std::mutex mu;
  std::vector<std::string> held;                  // the batch being built (loop thread)
  std::vector<std::vector<std::string>> batches;  // committed batches
  std::atomic<bool> refuse{false};
  std::atomic<int> refusals{0};
  std::atomic<size_t> committed{0};
  int port = 0;
  int sender = ::socket(AF_INET, SOCK_DGRAM, 0);

  explicit Rig(size_t batch_size, size_t receive_buffer = 4 << 20) {
    UdpReceiverOptions o;
    o.what = "test source";
    o.host = "127.0.0.1";
    o.batch_size = batch_size;
    o.receive_buffer_bytes = receive_buffer;
    Status s = loop.start([&] {
      receiver = std::make_unique<UdpReceiver>(
          loop.loop(), o,
          [this](std::string_view body, const sockaddr*) {
            held.emplace_back(body);
            return held.size();
          },
          [this] {
            if (held.empty()) return true;
            if (refuse) {
              ++refusals;
              return false;
            }
            std::lock_guard<std::mutex> l(mu);
            committed += held.size();
            batches.push_back(std::move(held));
            held.clear();
            return true;
          },
          &read_fail, &dropped);
      Status started = receiver->start({});
      port = receiver->bound_port();
      return started;
    });
    REQUIRE(s.is_ok());
  }
  ~Rig() {
    loop.stop([this] { receiver.reset(); });
    ::close(sender);
  }
  void send(const std::string& body) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(sender, body.data(), body.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  size_t batch_count() {
    std::lock_guard<std::mutex> l(mu);
    return batches.size();
  }
};

TEST_CASE("datagrams that arrive together share a transaction, at most batchSize") {
  Rig rig(4);
  rig.refuse = true;  // hold them until all ten wait in the socket
  rig.send("d0");
  REQUIRE(wait_for([&] { return rig.refusals > 0; }));
  for (int i = 1; i < 10; ++i)
    rig.send("d" + std::to_string(i));
  rig.refuse = false;
  rig.receiver->on_space();
  REQUIRE(wait_for([&] { return rig.committed == 10; }));
  std::lock_guard<std::mutex> l(rig.mu);
  for (const auto& b : rig.batches)
    CHECK(b.size() <= 4);
  // The refused batch goes in as it was; then what waited in the socket, four at a time.
  REQUIRE(rig.batches.size() == 4);
  CHECK(rig.batches[0] == std::vector<std::string>{"d0"});
  CHECK(rig.batches[1] == std::vector<std::string>{"d1", "d2", "d3", "d4"});
  CHECK(rig.batches[3] == std::vector<std::string>{"d9"});
  CHECK(rig.dropped.get() == 0);
}

TEST_CASE("a refused batch is retried when the channel frees room, not after the backoff") {
  Rig rig(100);
  rig.refuse = true;
  rig.send("x");
  // Refusals double the fallback backoff up to 1 s: wait until it is long.
  REQUIRE(wait_for([&] { return rig.refusals >= 7; }));  // 10+20+...+640 ms
  rig.refuse = false;
  const auto woken = std::chrono::steady_clock::now();
  rig.receiver->on_space();  // what a take commit in a watched channel calls
  REQUIRE(wait_for([&] { return rig.committed == 1; }));
  CHECK(std::chrono::steady_clock::now() - woken < 500ms);
}

TEST_CASE("while the batch is refused reading stops; what the kernel then drops is counted") {
  Rig rig(10, 4096);  // the kernel's smallest buffers: a few datagrams
  CHECK(rig.receiver->receive_buffer_bytes() < 64 * 1024);
  rig.refuse = true;
  rig.send("first");
  REQUIRE(wait_for([&] { return rig.refusals > 0; }));
  const std::string body(200, 'b');
  for (int i = 0; i < 300; ++i)
    rig.send(body);
  rig.refuse = false;
  rig.receiver->on_space();
  // Every datagram is either delivered or counted as dropped by the kernel.
  REQUIRE(wait_for([&] {
    return rig.committed + static_cast<size_t>(rig.dropped.get()) == 301 && rig.committed > 1;
  }));
  CHECK(rig.dropped.get() > 200);
  CHECK(rig.read_fail.get() == 0);
}

}  // namespace
}  // namespace flumen::net
