#include "plugins/channels/memory/memory_channel.h"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>

#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::plugins {
namespace {

struct MemoryFixture {
  static constexpr bool kDurable = false;
  std::shared_ptr<metrics::MetricsRegistry> registry = std::make_shared<metrics::MetricsRegistry>();
  std::unique_ptr<pipeline::Channel> make(size_t capacity, size_t txn_capacity) {
    MemoryChannelOptions o;
    o.capacity = static_cast<int64_t>(capacity);
    o.transaction_capacity = static_cast<int64_t>(txn_capacity);
    o.keep_alive_seconds = 0;
    return std::make_unique<MemoryChannel>("c1", o, registry->create("CHANNEL", "c1"));
  }
};

TEST_CASE("memory channel passes the channel conformance suite") {
  testing::run_channel_conformance<MemoryFixture>();
}

TEST_CASE("memory channel: byteCapacity bounds body bytes") {
  MemoryChannelOptions o;
  o.capacity = 1000;
  o.transaction_capacity = 100;
  o.byte_capacity = 1000;
  o.byte_capacity_buffer_percentage = 20;  // 800 bytes of bodies
  o.keep_alive_seconds = 0;
  auto reg = std::make_shared<metrics::MetricsRegistry>();
  MemoryChannel ch("c1", o, reg->create("CHANNEL", "c1"));
  EventBatch b;
  for (int i = 0; i < 7; ++i)
    b.add(std::string(100, 'x'));
  REQUIRE(testing::put(ch, b).is_ok());  // 700 bytes
  EventBatch two;
  two.add(std::string(100, 'y'));
  two.add(std::string(100, 'y'));
  CHECK(testing::put(ch, two).code() == ErrorCode::kChannelFull);  // 900 > 800
  testing::take_bodies(ch, 1);
  CHECK(testing::put(ch, two).is_ok());  // the committed take freed 100: 600 + 200 fits
}

TEST_CASE("memory channel: a put waits up to keep-alive for space") {
  MemoryChannelOptions o;
  o.capacity = 5;
  o.transaction_capacity = 5;
  o.keep_alive_seconds = 2;
  auto reg = std::make_shared<metrics::MetricsRegistry>();
  MemoryChannel ch("c1", o, reg->create("CHANNEL", "c1"));
  REQUIRE(testing::put(ch, testing::numbered(0, 5)).is_ok());
  std::thread consumer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    testing::take_bodies(ch, 5);
  });
  auto start = std::chrono::steady_clock::now();
  CHECK(testing::put(ch, testing::numbered(5, 5)).is_ok());
  auto waited = std::chrono::steady_clock::now() - start;
  consumer.join();
  CHECK(waited >= std::chrono::milliseconds(150));
  CHECK(waited < std::chrono::milliseconds(1900));
}

TEST_CASE("memory channel: a put told not to wait fails at once when full") {
  MemoryChannelOptions o;
  o.capacity = 5;
  o.transaction_capacity = 5;
  o.keep_alive_seconds = 2;
  auto reg = std::make_shared<metrics::MetricsRegistry>();
  MemoryChannel ch("c1", o, reg->create("CHANNEL", "c1"));
  REQUIRE(testing::put(ch, testing::numbered(0, 5)).is_ok());
  testing::check_put_without_waiting(ch);
}

TEST_CASE("memory channel: counters follow Flume's names") {
  auto reg = std::make_shared<metrics::MetricsRegistry>();
  MemoryChannelOptions o;
  o.keep_alive_seconds = 0;
  MemoryChannel ch("c1", o, reg->create("CHANNEL", "c1"));
  REQUIRE(testing::put(ch, testing::numbered(0, 5)).is_ok());
  testing::take_bodies(ch, 3);
  auto snap = reg->snapshot().at(0);
  std::map<std::string, double> v;
  for (const auto& m : snap.values)
    v[m.name] = m.value;
  CHECK(v["EventPutAttemptCount"] == 5);
  CHECK(v["EventPutSuccessCount"] == 5);
  CHECK(v["EventTakeSuccessCount"] == 3);
  CHECK(v["ChannelSize"] == 2);
  CHECK(v["ChannelCapacity"] == 100);
  CHECK(v["ChannelFillPercentage"] == doctest::Approx(2.0));
}

}  // namespace
}  // namespace flumen::plugins
