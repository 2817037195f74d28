#pragma once
// The channel conformance suite: every channel type must pass these (commit, rollback order,
// capacity, transaction capacity, RAII rollback, concurrency, and restart). A channel joins by
// providing a fixture type with:
//   static constexpr bool kDurable;
//   std::unique_ptr<pipeline::Channel> make(size_t capacity, size_t txn_capacity);
//   (re)opening the same storage on each make() call, so a second make() is a "restart".

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "agent/pipeline/channel.h"

namespace flumen::testing {

inline EventBatch numbered(int from, int count) {
  EventBatch b;
  for (int i = from; i < from + count; ++i)
    b.add(std::to_string(i), {{"n", std::to_string(i)}});
  return b;
}

inline Status put(pipeline::Channel& ch, const EventBatch& b) {
  pipeline::TransactionGuard t(ch.begin());
  if (Status s = t->put(b); !s) return s;
  return t.commit();
}

inline std::vector<std::string> take_bodies(pipeline::Channel& ch, size_t max, bool commit = true) {
  pipeline::TransactionGuard t(ch.begin());
  EventBatch out;
  REQUIRE(t->take(max, out).is_ok());
  if (commit) REQUIRE(t.commit().is_ok());
  std::vector<std::string> bodies;
  for (size_t i = 0; i < out.size(); ++i)
    bodies.emplace_back(out.body(i));
  return bodies;
}

inline std::vector<std::string> range_strings(int from, int count) {
  std::vector<std::string> v;
  for (int i = from; i < from + count; ++i)
    v.push_back(std::to_string(i));
  return v;
}

// `ch` is full and has a keep-alive of 2 s or more: a transaction told not to wait for space
// fails its commit at once, as backpressure, and leaves the channel as it was.
inline void check_put_without_waiting(pipeline::Channel& ch) {
  const size_t before = ch.size();
  pipeline::TransactionGuard t(ch.begin());
  t->set_wait_for_space(false);
  REQUIRE(t->put(numbered(1000, 1)).is_ok());
  const auto start = std::chrono::steady_clock::now();
  Status s = t.commit();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(s.code() == ErrorCode::kChannelFull);
  CHECK(took < std::chrono::milliseconds(1000));
  CHECK(ch.size() == before);
}

template <typename Fixture>
void run_channel_conformance() {
  SUBCASE("a put is visible only after commit") {
    Fixture f;
    auto ch = f.make(100, 10);
    pipeline::TransactionGuard t(ch->begin());
    REQUIRE(t->put(numbered(0, 3)).is_ok());
    CHECK(ch->size() == 0);
    CHECK(take_bodies(*ch, 10).empty());
    REQUIRE(t.commit().is_ok());
    CHECK(ch->size() == 3);
    CHECK(take_bodies(*ch, 10) == range_strings(0, 3));
    CHECK(ch->size() == 0);
  }
  SUBCASE("a rolled back put leaves nothing") {
    Fixture f;
    auto ch = f.make(100, 10);
    {
      pipeline::TransactionGuard t(ch->begin());
      REQUIRE(t->put(numbered(0, 3)).is_ok());
      t.rollback();
    }
    CHECK(ch->size() == 0);
    CHECK(take_bodies(*ch, 10).empty());
  }
  SUBCASE("a rolled back take returns events to the head in order") {
    Fixture f;
    auto ch = f.make(100, 10);
    REQUIRE(put(*ch, numbered(0, 5)).is_ok());
    REQUIRE(put(*ch, numbered(5, 5)).is_ok());
    {
      pipeline::TransactionGuard t(ch->begin());
      EventBatch out;
      REQUIRE(t->take(3, out).is_ok());
      REQUIRE(out.size() == 3);
      CHECK(out.header(0, "n") == std::optional<std::string_view>("0"));
      t.rollback();
    }
    CHECK(ch->size() == 10);
    CHECK(take_bodies(*ch, 7) == range_strings(0, 7));
    CHECK(take_bodies(*ch, 10) == range_strings(7, 3));
  }
  SUBCASE("an abandoned transaction rolls back (RAII)") {
    Fixture f;
    auto ch = f.make(100, 10);
    REQUIRE(put(*ch, numbered(0, 4)).is_ok());
    {
      pipeline::TransactionGuard t(ch->begin());
      EventBatch out;
      REQUIRE(t->take(4, out).is_ok());
      CHECK(out.size() == 4);
    }  // no commit
    CHECK(take_bodies(*ch, 10) == range_strings(0, 4));
  }
  SUBCASE("headers survive the channel") {
    Fixture f;
    auto ch = f.make(100, 10);
    EventBatch b;
    b.add("body", {{"host", "car-01"}, {"timestamp", "1700000000000"}});
    REQUIRE(put(*ch, b).is_ok());
    pipeline::TransactionGuard t(ch->begin());
    EventBatch out;
    REQUIRE(t->take(1, out).is_ok());
    REQUIRE(out.size() == 1);
    CHECK(out.header(0, "host") == std::optional<std::string_view>("car-01"));
    CHECK(out.header(0, "timestamp") == std::optional<std::string_view>("1700000000000"));
    CHECK(out.body(0) == "body");
  }
  SUBCASE("a full channel refuses the put commit with kChannelFull") {
    Fixture f;
    auto ch = f.make(10, 10);
    REQUIRE(put(*ch, numbered(0, 8)).is_ok());
    Status s = put(*ch, numbered(8, 3));
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.code() == ErrorCode::kChannelFull);
    CHECK(ch->size() == 8);
    // Taken-but-uncommitted events still hold their slots.
    pipeline::TransactionGuard t(ch->begin());
    EventBatch out;
    REQUIRE(t->take(5, out).is_ok());
    CHECK(put(*ch, numbered(8, 3)).code() == ErrorCode::kChannelFull);
    REQUIRE(t.commit().is_ok());
    CHECK(put(*ch, numbered(8, 3)).is_ok());
    CHECK(take_bodies(*ch, 10) == range_strings(5, 6));
  }
  SUBCASE("a transaction above transactionCapacity is rejected") {
    Fixture f;
    auto ch = f.make(100, 5);
    pipeline::TransactionGuard t(ch->begin());
    Status s = t->put(numbered(0, 6));
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.code() == ErrorCode::kRejected);
  }
  SUBCASE("a take never returns more than asked or than transactionCapacity") {
    Fixture f;
    auto ch = f.make(100, 5);
    for (int i = 0; i < 4; ++i)
      REQUIRE(put(*ch, numbered(i * 5, 5)).is_ok());
    CHECK(take_bodies(*ch, 3).size() == 3);
    pipeline::TransactionGuard t(ch->begin());
    EventBatch out;
    REQUIRE(t->take(5, out).is_ok());
    CHECK(out.size() == 5);
    EventBatch more;
    Status s = t->take(1, more);
    CHECK((s.is_ok() ? more.size() == 0 : s.code() == ErrorCode::kRejected));
  }
  SUBCASE("concurrent producers and consumers: every event exactly once, order per producer") {
    Fixture f;
    auto ch = f.make(1000, 50);
    constexpr int kProducers = 3, kBatches = 200, kBatch = 25;
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
      threads.emplace_back([&, p] {
        for (int b = 0; b < kBatches; ++b) {
          EventBatch batch;
          for (int i = 0; i < kBatch; ++i)
            batch.add(std::to_string(p) + ":" + std::to_string(b * kBatch + i));
          while (!put(*ch, batch).is_ok())
            std::this_thread::yield();
        }
        done++;
      });
    }
    std::vector<std::string> seen;
    std::mutex seen_mu;
    std::vector<std::thread> consumers;
    for (int c = 0; c < 2; ++c) {
      consumers.emplace_back([&, c] {
        std::map<int, int> last;  // per producer, last sequence this consumer saw
        for (;;) {
          pipeline::TransactionGuard t(ch->begin());
          EventBatch out;
          REQUIRE(t->take(40, out).is_ok());
          // Every other batch is rolled back once, to exercise returning events under load.
          static thread_local int round = 0;
          if (c == 1 && (++round % 2) == 0 && !out.empty()) {
            t.rollback();
            continue;
          }
          REQUIRE(t.commit().is_ok());
          if (out.empty()) {
            if (done.load() == kProducers && ch->size() == 0) break;
            std::this_thread::yield();
            continue;
          }
          std::lock_guard lock(seen_mu);
          for (size_t i = 0; i < out.size(); ++i)
            seen.emplace_back(out.body(i));
        }
      });
    }
    for (auto& t : threads)
      t.join();
    for (auto& t : consumers)
      t.join();
    CHECK(seen.size() == static_cast<size_t>(kProducers * kBatches * kBatch));
    std::set<std::string> unique(seen.begin(), seen.end());
    CHECK(unique.size() == seen.size());
  }
  SUBCASE("restart: committed and uncommitted-taken events survive only if durable") {
    Fixture f;
    {
      auto ch = f.make(100, 10);
      REQUIRE(put(*ch, numbered(0, 10)).is_ok());
      REQUIRE(put(*ch, numbered(10, 5)).is_ok());
      CHECK(take_bodies(*ch, 4) == range_strings(0, 4));  // committed take: gone for good
      pipeline::TransactionGuard open(ch->begin());
      EventBatch inflight;
      REQUIRE(open->take(3, inflight).is_ok());  // never committed: must come back if durable
      ch->stop();
      // destroyed here, with the take still open (like a crash mid-delivery)
    }
    auto again = f.make(100, 10);
    if (Fixture::kDurable) {
      CHECK(again->size() == 11);
      CHECK(take_bodies(*again, 10) == range_strings(4, 10));
      CHECK(take_bodies(*again, 10) == range_strings(14, 1));
    } else {
      CHECK(again->size() == 0);
      CHECK(take_bodies(*again, 10).empty());
    }
  }
}

}  // namespace flumen::testing
