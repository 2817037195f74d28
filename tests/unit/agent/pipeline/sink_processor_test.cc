#include "agent/pipeline/sink_processor.h"

#include <doctest/doctest.h>

#include <deque>

#include "agent/pipeline/channel_processor.h"
#include "plugins/channels/memory/memory_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::pipeline {
namespace {

// A sink whose answers the test scripts; it records what it was given.
class ScriptedSink : public Sink {
 public:
  explicit ScriptedSink(std::string name, size_t batch = 10)
      : Sink(std::move(name)), batch_(batch) {
    attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", this->name()));
  }
  size_t batch_size() const override { return batch_; }
  DeliveryResult deliver(const EventBatch& b) override {
    Delivery next = script.empty() ? Delivery::kDelivered : script.front();
    if (!script.empty()) script.pop_front();
    if (next == Delivery::kDelivered)
      for (size_t i = 0; i < b.size(); ++i)
        got.emplace_back(b.body(i));
    calls++;
    return {next, "scripted", {}};
  }
  std::deque<Delivery> script;
  std::vector<std::string> got;
  int calls = 0;

 private:
  size_t batch_;
};

std::unique_ptr<plugins::MemoryChannel> memory(const std::string& name) {
  plugins::MemoryChannelOptions o;
  o.capacity = 10000;
  o.transaction_capacity = 100;
  o.keep_alive_seconds = 0;
  return std::make_unique<plugins::MemoryChannel>(
      name, o, std::make_shared<metrics::ComponentMetrics>("CHANNEL", name));
}

std::unique_ptr<SinkSlot> slot(Sink* s, Channel* c) {
  auto sl = std::make_unique<SinkSlot>();
  sl->sink = s;
  sl->channel = c;
  return sl;
}

TEST_CASE("drain_once commits on delivered, rolls back on retry, drops on rejected") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 3);
  REQUIRE(testing::put(*ch, testing::numbered(0, 7)).is_ok());
  auto s = slot(&sink, ch.get());
  sink.script = {Delivery::kRetry, Delivery::kDelivered, Delivery::kRejected, Delivery::kDelivered};
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);  // 0,1,2 back to the head
  CHECK(ch->size() == 7);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 0,1,2 delivered
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 3,4,5 rejected: gone, counted
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 6 (underflow)
  CHECK(drain_once(*s) == ProcessOutcome::kBackoff);
  CHECK(sink.got == std::vector<std::string>{"0", "1", "2", "6"});
  CHECK(sink.counters().event_rejected->get() == 3);
  CHECK(sink.counters().batch_complete->get() == 3);
  CHECK(sink.counters().batch_underflow->get() == 1);
  CHECK(sink.counters().batch_empty->get() == 1);
  CHECK(sink.counters().event_drain_success->get() == 4);
}

TEST_CASE("failover uses the highest priority, fails over within the call, and penalises") {
  auto ch = memory("c1");
  ScriptedSink primary("k1"), backup("k2");
  std::vector<FailoverSinkProcessor::Member> m;
  m.push_back({slot(&backup, ch.get()), 5});
  m.push_back({slot(&primary, ch.get()), 10});
  FailoverSinkProcessor p(std::move(m), std::chrono::milliseconds(30000));
  REQUIRE(testing::put(*ch, testing::numbered(0, 30)).is_ok());
  CHECK(p.process() == ProcessOutcome::kReady);
  CHECK(primary.got.size() == 10);
  CHECK(p.active_sink() == "k1");
  primary.script = {Delivery::kRetry};
  CHECK(p.process() == ProcessOutcome::kReady);  // k1 fails, k2 takes the same events
  CHECK(backup.got == testing::range_strings(10, 10));
  CHECK(p.active_sink() == "k2");
  CHECK(p.process() == ProcessOutcome::kReady);  // k1 is penalised: k2 again
  CHECK(primary.calls == 2);
  CHECK(backup.got.size() == 20);
  CHECK(p.state().find("penalised:k1") != std::string::npos);
}

TEST_CASE("failover with every sink failing reports kFailed and keeps the events") {
  auto ch = memory("c1");
  ScriptedSink a("k1"), b("k2");
  a.script = {Delivery::kRetry};
  b.script = {Delivery::kRetry};
  std::vector<FailoverSinkProcessor::Member> m;
  m.push_back({slot(&a, ch.get()), 2});
  m.push_back({slot(&b, ch.get()), 1});
  FailoverSinkProcessor p(std::move(m), std::chrono::milliseconds(30000));
  REQUIRE(testing::put(*ch, testing::numbered(0, 5)).is_ok());
  CHECK(p.process() == ProcessOutcome::kFailed);
  CHECK(ch->size() == 5);
}

TEST_CASE("load balancing round robin alternates and skips a failed sink") {
  auto ch = memory("c1");
  ScriptedSink a("k1"), b("k2");
  std::vector<std::unique_ptr<SinkSlot>> slots;
  slots.push_back(slot(&a, ch.get()));
  slots.push_back(slot(&b, ch.get()));
  LoadBalancingSinkProcessor p(std::move(slots), LoadBalancingSinkProcessor::Policy::kRoundRobin,
                               true, std::chrono::milliseconds(30000));
  REQUIRE(testing::put(*ch, testing::numbered(0, 100)).is_ok());
  for (int i = 0; i < 4; ++i)
    CHECK(p.process() == ProcessOutcome::kReady);
  CHECK(a.got.size() == 20);
  CHECK(b.got.size() == 20);
  a.script = {Delivery::kRetry};
  CHECK(p.process() == ProcessOutcome::kReady);  // a fails, b delivers
  CHECK(p.process() == ProcessOutcome::kReady);  // a is backed off: b again
  CHECK(b.got.size() == 40);
  CHECK(a.got.size() == 20);
  CHECK(p.state().find("backoff:k1") != std::string::npos);
}

TEST_CASE("replicating and multiplexing selectors route as Flume does") {
  auto c1 = memory("c1");
  auto c2 = memory("c2");
  auto c3 = memory("c3");
  auto counters_owner = std::make_shared<metrics::ComponentMetrics>("SOURCE", "r1");
  metrics::SourceCounters counters(*counters_owner);
  SUBCASE("replicating copies to every channel; an optional failure is only counted") {
    ChannelProcessor proc(std::make_unique<ReplicatingSelector>(
                              std::vector<Channel*>{c1.get(), c2.get()}, std::vector<Channel*>{}),
                          {});
    proc.set_counters(&counters);
    REQUIRE(proc.process_batch(testing::numbered(0, 5)).is_ok());
    CHECK(c1->size() == 5);
    CHECK(c2->size() == 5);
    CHECK(counters.event_accepted->get() == 5);
  }
  SUBCASE("multiplexing by header with default and optional channels") {
    std::map<std::string, MultiplexingSelector::Rule> rules;
    rules["status"].required = {c1.get()};
    rules["status"].optional = {c3.get()};
    rules["drive"].required = {c2.get()};
    ChannelProcessor proc(
        std::make_unique<MultiplexingSelector>("kind", rules, std::vector<Channel*>{c3.get()},
                                               std::vector<Channel*>{c1.get(), c2.get(), c3.get()}),
        {});
    EventBatch b;
    b.add("s1", {{"kind", "status"}});
    b.add("d1", {{"kind", "drive"}});
    b.add("x1", {{"kind", "other"}});
    b.add("n1");
    b.add("s2", {{"kind", "status"}});
    REQUIRE(proc.process_batch(b).is_ok());
    CHECK(testing::take_bodies(*c1, 10) == std::vector<std::string>{"s1", "s2"});
    CHECK(testing::take_bodies(*c2, 10) == std::vector<std::string>{"d1"});
    // Required puts go first, then optional ones (Flume's order), so c3 gets its default
    // events before the optional copies of the status events.
    CHECK(testing::take_bodies(*c3, 10) == std::vector<std::string>{"x1", "n1", "s1", "s2"});
  }
  SUBCASE("a full required channel fails the put") {
    plugins::MemoryChannelOptions o;
    o.capacity = 3;
    o.transaction_capacity = 3;
    o.keep_alive_seconds = 0;
    plugins::MemoryChannel tiny("tiny", o,
                                std::make_shared<metrics::ComponentMetrics>("CHANNEL", "tiny"));
    ChannelProcessor proc(std::make_unique<ReplicatingSelector>(std::vector<Channel*>{&tiny},
                                                                std::vector<Channel*>{c2.get()}),
                          {});
    proc.set_counters(&counters);
    REQUIRE(proc.process_batch(testing::numbered(0, 3)).is_ok());
    Status s = proc.process_batch(testing::numbered(3, 3));
    CHECK(s.code() == ErrorCode::kChannelFull);
    CHECK(counters.channel_write_fail->get() == 1);
  }
}

}  // namespace
}  // namespace flumen::pipeline
