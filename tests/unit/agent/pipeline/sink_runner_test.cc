#include "agent/pipeline/sink_runner.h"

#include <doctest/doctest.h>

#include <thread>

#include "agent/pipeline/retry_backoff.h"
#include "agent/util/clock.h"
#include "tests/unit/agent/pipeline/pipeline_fixtures.h"

namespace flumen::pipeline {
namespace {

using namespace std::chrono_literals;
using testing_fixtures::memory;
using testing_fixtures::ScriptedSink;
using testing_fixtures::slot;
using Kind = SinkRunner::Step::Kind;

TEST_CASE("RetryBackoff doubles from the initial wait up to the cap, with jitter in [d/2, d]") {
  util::ManualClock clock;
  RetryBackoff b(100ms, 5000ms, 7);
  CHECK(b.ceiling(1) == 100ms);
  CHECK(b.ceiling(2) == 200ms);
  CHECK(b.ceiling(6) == 3200ms);
  CHECK(b.ceiling(7) == 5000ms);
  CHECK(b.ceiling(1000) == 5000ms);
  for (int n = 1; n <= 12; ++n) {
    const auto now = clock.now();
    const auto wait = b.failed(now) - now;
    CHECK(wait >= b.ceiling(n) / 2);
    CHECK(wait <= b.ceiling(n));
    CHECK(b.waiting(now));
    CHECK_FALSE(b.waiting(now + b.ceiling(n)));
  }
  b.reset();
  CHECK(b.failures() == 0);
  CHECK_FALSE(b.waiting(clock.now()));
}

struct RunnerFixture {
  util::ManualClock clock;
  std::unique_ptr<plugins::MemoryChannel> ch = memory("c1");
  ScriptedSink sink{"k1", 10};
  SinkRunner runner;
  explicit RunnerFixture(std::chrono::milliseconds max_backoff = 1600ms)
      : runner("k1", std::make_unique<DefaultSinkProcessor>(slot(&sink, ch.get())),
               SinkRunnerOptions{100ms, max_backoff, &clock}) {}
};

TEST_CASE("a failing sink backs off: no retry before its time, whatever the channel signals") {
  RunnerFixture f;
  REQUIRE(testing::put(*f.ch, testing::numbered(0, 1)).is_ok());
  f.sink.fail_all = true;
  auto s = f.runner.step();
  REQUIRE(s.kind == Kind::kSleepUntil);
  CHECK(f.sink.calls == 1);
  CHECK(f.ch->size() == 1);  // rolled back (and the rollback notified the channel's readers)
  CHECK(s.until > f.clock.now());
  CHECK(s.until - f.clock.now() <= 100ms);
  // Until that time, steps do not call the sink: the back-off holds.
  for (int i = 0; i < 50; ++i)
    CHECK(f.runner.step().kind == Kind::kSleepUntil);
  CHECK(f.sink.calls == 1);
  CHECK(f.runner.state().find("backoff (1 failures") == 0);
  CHECK(f.runner.next_try_in_ms() > 0);
  // Each further failure waits up to twice as long, capped.
  std::vector<util::Clock::duration> waits;
  for (int i = 0; i < 8; ++i) {
    f.clock.advance(s.until - f.clock.now());
    s = f.runner.step();
    REQUIRE(s.kind == Kind::kSleepUntil);
    waits.push_back(s.until - f.clock.now());
  }
  CHECK(f.sink.calls == 9);
  CHECK(waits[0] >= 100ms);  // second failure: [100, 200] ms
  CHECK(waits[0] <= 200ms);
  CHECK(waits[7] >= 800ms);  // capped at 1600 ms: [800, 1600] ms
  CHECK(waits[7] <= 1600ms);
  CHECK(f.runner.consecutive_failures() == 9);
  // Recovery: the next delivery succeeds and the back-off is forgotten.
  f.sink.fail_all = false;
  f.clock.advance(s.until - f.clock.now());
  CHECK(f.runner.step().kind == Kind::kAgain);
  CHECK(f.sink.got.size() == 1);
  CHECK(f.runner.consecutive_failures() == 0);
  CHECK(f.runner.state() == "delivering");
  CHECK(f.runner.step().kind == Kind::kWaitForData);
  CHECK(f.runner.state() == "idle");
}

TEST_CASE("a stop keeps retrying a failing sink with back-off until its deadline") {
  RunnerFixture f;
  REQUIRE(testing::put(*f.ch, testing::numbered(0, 5)).is_ok());
  f.sink.fail_all = true;
  const auto deadline = f.clock.now() + 1000ms;
  f.runner.begin_stop(deadline);
  int tries = 0;
  for (;;) {
    auto s = f.runner.step();
    if (s.kind == Kind::kExit) break;
    REQUIRE(s.kind == Kind::kSleepUntil);
    CHECK(s.until <= deadline);
    f.clock.advance(s.until - f.clock.now());
    REQUIRE(++tries < 100);
  }
  CHECK(f.sink.calls >= 3);  // 0 ms, ~100, ~300, ~700 ms: retried, not given up at once
  CHECK(f.sink.calls <= 6);
  CHECK(f.ch->size() == 5);
  // A sink that comes back before the deadline drains the channel.
  RunnerFixture g;
  REQUIRE(testing::put(*g.ch, testing::numbered(0, 5)).is_ok());
  g.sink.fail_all = true;
  g.runner.begin_stop(g.clock.now() + 10s);
  auto s = g.runner.step();
  g.sink.fail_all = false;
  g.clock.advance(s.until - g.clock.now());
  CHECK(g.runner.step().kind == Kind::kAgain);
  CHECK(g.runner.step().kind == Kind::kExit);  // empty while stopping: drained
  CHECK(g.ch->size() == 0);
}

TEST_CASE("an open window commits before the sinks tick and before the thread exits") {
  RunnerFixture f;
  f.sink.groups = f.sink.overlaps = true;
  f.sink.window_limit = 2;
  CHECK(f.runner.step().kind == Kind::kWaitForData);  // the first tick, on an empty channel
  REQUIRE(testing::put(*f.ch, testing::numbered(0, 20)).is_ok());
  auto drained = [&] { return f.sink.counters().event_drain_success->get(); };
  CHECK(f.runner.step().kind == Kind::kAgain);  // 0..19 delivered, left open
  CHECK(drained() == 0);
  REQUIRE(testing::put(*f.ch, testing::numbered(20, 20)).is_ok());
  f.clock.advance(1500ms);                      // a tick is due
  CHECK(f.runner.step().kind == Kind::kAgain);  // 20..39 delivered, 0..19 and then they commit
  CHECK(drained() == 40);
  REQUIRE(testing::put(*f.ch, testing::numbered(40, 20)).is_ok());
  CHECK(f.runner.step().kind == Kind::kAgain);  // 40..59 open
  f.runner.begin_stop(f.clock.now());           // the deadline is now
  CHECK(f.runner.step().kind == Kind::kExit);
  CHECK(drained() == 60);
  CHECK(f.sink.got == testing::range_strings(0, 60));
}

TEST_CASE("a failover group sleeps until its first penalty ends") {
  util::ManualClock clock;
  auto ch = memory("c1");
  ScriptedSink a("k1"), b("k2");
  a.fail_all = true;
  b.fail_all = true;
  std::vector<FailoverSinkProcessor::Member> m;
  m.push_back({slot(&a, ch.get()), 2});
  m.push_back({slot(&b, ch.get()), 1});
  SinkRunner runner("g1", std::make_unique<FailoverSinkProcessor>(std::move(m), 30000ms, clock),
                    SinkRunnerOptions{100ms, 5000ms, &clock});
  REQUIRE(testing::put(*ch, testing::numbered(0, 5)).is_ok());
  auto s = runner.step();
  REQUIRE(s.kind == Kind::kSleepUntil);
  CHECK(s.until - clock.now() == 1000ms);  // both penalised for 1 s: nothing is due before
  CHECK(a.calls == 1);
  CHECK(b.calls == 1);
  clock.advance(1000ms);
  s = runner.step();
  CHECK(s.until - clock.now() == 2000ms);  // second failures: 2 s
  CHECK(a.calls == 2);
}

TEST_CASE("load_balance with backoff and every sink down is not drained") {
  util::ManualClock clock;
  auto ch = memory("c1");
  ScriptedSink a("k1"), b("k2");
  a.fail_all = true;
  b.fail_all = true;
  std::vector<std::unique_ptr<SinkSlot>> slots;
  slots.push_back(slot(&a, ch.get()));
  slots.push_back(slot(&b, ch.get()));
  LoadBalancingSinkProcessor p(std::move(slots), LoadBalancingSinkProcessor::Policy::kRoundRobin,
                               true, 30000ms, clock);
  REQUIRE(testing::put(*ch, testing::numbered(0, 5)).is_ok());
  CHECK(p.process() == ProcessOutcome::kFailed);
  // Both are blocked now: skipping them must not look like an empty channel.
  CHECK(p.process() == ProcessOutcome::kFailed);
  CHECK(a.calls == 1);
  CHECK(b.calls == 1);
  REQUIRE(p.retry_at().has_value());
  CHECK(*p.retry_at() - clock.now() == 1000ms);
}

TEST_CASE("the runner thread does not retry a failing sink in a tight loop") {
  // The rollback of each failed batch notifies the channel's readers; before the back-off
  // ignored those notifications this made ~100,000 attempts a second.
  auto ch = memory("c1");
  ScriptedSink sink("k1");
  sink.fail_all = true;
  SinkRunner runner("k1", std::make_unique<DefaultSinkProcessor>(slot(&sink, ch.get())),
                    SinkRunnerOptions{200ms, 200ms, &util::Clock::steady()});
  REQUIRE(runner.start().is_ok());
  REQUIRE(testing::put(*ch, testing::numbered(0, 1)).is_ok());
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until && sink.calls < 1000)
    std::this_thread::sleep_for(10ms);
  CHECK(runner.stop(0ms) == false);
  CHECK(sink.calls >= 1);
  CHECK(sink.calls <= 10);  // one try per 100-200 ms
  CHECK(ch->size() == 1);
}

TEST_CASE("stop interrupts a delivery still running at the deadline") {
  class StuckSink : public ScriptedSink {
   public:
    using ScriptedSink::ScriptedSink;
    DeliveryResult deliver(const EventBatch&) override {
      calls++;
      while (!interrupted.load())
        std::this_thread::sleep_for(5ms);
      return DeliveryResult::retry("interrupted");
    }
  };
  auto ch = memory("c1");
  StuckSink sink("k1");
  SinkRunner runner("k1", std::make_unique<DefaultSinkProcessor>(slot(&sink, ch.get())));
  REQUIRE(runner.start().is_ok());
  REQUIRE(testing::put(*ch, testing::numbered(0, 3)).is_ok());
  while (sink.calls == 0)
    std::this_thread::sleep_for(5ms);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(runner.stop(200ms) == false);
  CHECK(sink.interrupted.load());
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(ch->size() == 3);  // rolled back, not lost
}

TEST_CASE("rejected events go to the dead-letter channel with the reason; none are lost") {
  auto ch = memory("c1");
  auto dlq = memory("dlq");
  ScriptedSink sink("k1", 10);
  auto s = slot(&sink, ch.get());
  s->dead_letter = dlq.get();
  SUBCASE("a poison event among good ones") {
    sink.reject_bodies = {"3"};
    REQUIRE(testing::put(*ch, testing::numbered(0, 6)).is_ok());
    CHECK(drain_once(*s) == ProcessOutcome::kReady);
    CHECK(ch->size() == 0);
    CHECK(sink.counters().event_rejected->get() == 1);
    CHECK(sink.counters().event_drain_success->get() == 5);
    CHECK(sink.metrics().counter("EventDeadLetteredCount").get() == 1);
    TransactionGuard t(dlq->begin());
    EventBatch out;
    REQUIRE(t->take(10, out).is_ok());
    REQUIRE(out.size() == 1);
    CHECK(out.body(0) == "3");
    CHECK(out.header(0, kDeadLetterReasonHeader) == "scripted: poison");
    CHECK(out.header(0, kDeadLetterSinkHeader) == "k1");
    REQUIRE(t.commit().is_ok());
  }
  SUBCASE("a batch rejected whole") {
    sink.script = {Delivery::kRejected};
    REQUIRE(testing::put(*ch, testing::numbered(0, 4)).is_ok());
    CHECK(drain_once(*s) == ProcessOutcome::kReady);
    CHECK(dlq->size() == 4);
    CHECK(ch->size() == 0);
  }
  SUBCASE("a full dead-letter channel keeps the events where they were") {
    plugins::MemoryChannelOptions o;
    o.capacity = 1;
    o.transaction_capacity = 1;
    o.keep_alive_seconds = 0;
    plugins::MemoryChannel tiny("tiny", o,
                                std::make_shared<metrics::ComponentMetrics>("CHANNEL", "tiny"));
    s->dead_letter = &tiny;
    sink.script = {Delivery::kRejected};
    REQUIRE(testing::put(*ch, testing::numbered(0, 4)).is_ok());
    CHECK(drain_once(*s) == ProcessOutcome::kFailed);
    CHECK(ch->size() == 4);
  }
}

}  // namespace
}  // namespace flumen::pipeline
