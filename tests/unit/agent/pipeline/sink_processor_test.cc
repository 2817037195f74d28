#include "agent/pipeline/sink_processor.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

#include "agent/pipeline/channel_processor.h"
#include "tests/unit/agent/pipeline/pipeline_fixtures.h"

namespace flumen::pipeline {
namespace {

using testing_fixtures::memory;
using testing_fixtures::ScriptedSink;
using testing_fixtures::slot;

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

TEST_CASE("a sink that groups its syncs delivers a window of takes, syncs once, commits them") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  const int window = static_cast<int>(kSyncWindow);
  const int total = window * 10 + 45;
  for (int i = 0; i < total; i += 10)
    REQUIRE(testing::put(*ch, testing::numbered(i, std::min(10, total - i))).is_ok());
  auto s = slot(&sink, ch.get());
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // a window of full batches, one sync
  CHECK(sink.calls == window);
  CHECK(sink.syncs == 1);
  CHECK(sink.windows_committed == 1);
  CHECK(ch->size() == 45);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // four and a short fifth end the window
  CHECK(sink.calls == window + 5);
  CHECK(sink.syncs == 2);
  CHECK(ch->size() == 0);
  CHECK(sink.got == testing::range_strings(0, total));
  CHECK(sink.counters().event_drain_success->get() == total);
  CHECK(drain_once(*s) == ProcessOutcome::kBackoff);
  CHECK(sink.syncs == 2);  // nothing delivered, nothing to sync
}

TEST_CASE("a sink can hold its window to fewer takes") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  sink.window_limit = 3;
  REQUIRE(testing::put(*ch, testing::numbered(0, 100)).is_ok());
  auto s = slot(&sink, ch.get());
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.calls == 3);
  CHECK(sink.syncs == 1);
  sink.window_limit = 0;  // taken as one
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.calls == 4);
  CHECK(sink.syncs == 2);
  CHECK(ch->size() == 60);
}

TEST_CASE("a window whose takes were full waits for the next batch before it syncs") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  Notifier wake;
  ch->add_waiter(&wake);
  REQUIRE(testing::put(*ch, testing::numbered(0, 10)).is_ok());
  auto s = slot(&sink, ch.get());
  s->wake = &wake;
  s->linger = std::chrono::seconds(30);  // ends at the short take below, not by time
  // The next batch is put once the first was delivered: before the window's next take, or
  // while it lingers on the empty channel.
  bool put_ok = false;
  std::thread source([&] {
    while (sink.calls.load() < 1)
      std::this_thread::yield();
    put_ok = testing::put(*ch, testing::numbered(10, 5)).is_ok();
  });
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  source.join();
  REQUIRE(put_ok);
  CHECK(sink.syncs == 1);
  CHECK(sink.got == testing::range_strings(0, 15));
  ch->remove_waiter(&wake);
}

TEST_CASE("a failed sync of a window gives every take of it back, in order, newest first") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  sink.fail_sync = true;
  REQUIRE(testing::put(*ch, testing::numbered(0, 30)).is_ok());
  auto s = slot(&sink, ch.get());
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);
  CHECK(sink.not_committed == 3);
  CHECK(sink.windows_committed == 0);
  CHECK(ch->size() == 30);
  sink.fail_sync = false;
  sink.got.clear();
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.got == testing::range_strings(0, 30));  // the same events, in their order
}

TEST_CASE(
    "overlapping windows: each commits once the next one is delivered, the last when "
    "the channel is empty") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = sink.overlaps = true;
  sink.window_limit = 2;
  REQUIRE(testing::put(*ch, testing::numbered(0, 45)).is_ok());
  auto s = slot(&sink, ch.get());
  s->overlap_syncs = true;  // alone in its processor
  auto drained = [&] { return sink.counters().event_drain_success->get(); };
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 0..19 delivered, left open
  CHECK(sink.begun == std::vector<size_t>{2});
  CHECK(sink.syncs == 0);
  CHECK(drained() == 0);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 20..39 delivered, then 0..19 commit
  CHECK(sink.begun == std::vector<size_t>{2, 2});
  CHECK(sink.syncs == 1);
  CHECK(sink.windows_committed == 1);
  CHECK(drained() == 20);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // 40..44, a short window; 20..39 commit
  CHECK(drained() == 40);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);  // nothing to take: 40..44 commit
  CHECK(drained() == 45);
  CHECK(sink.syncs == 3);
  CHECK(drain_once(*s) == ProcessOutcome::kBackoff);
  CHECK(sink.got == testing::range_strings(0, 45));
  CHECK(ch->size() == 0);
  // Their room was free while they were open: a bounded channel kept taking puts.
  CHECK(finish_open(*s) == ProcessOutcome::kBackoff);
}

TEST_CASE("a failed sync of an open window gives the next window back too, newest first") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = sink.overlaps = true;
  sink.window_limit = 2;
  REQUIRE(testing::put(*ch, testing::numbered(0, 50)).is_ok());
  auto s = slot(&sink, ch.get());
  s->overlap_syncs = true;
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  sink.fail_sync = true;
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);  // 20..39 delivered; 0..19 fail to sync
  CHECK(sink.not_committed == 4);
  CHECK(sink.windows_committed == 0);
  CHECK(sink.counters().event_write_fail->get() == 40);  // both windows counted as failed
  CHECK(ch->size() == 50);
  CHECK(finish_open(*s) == ProcessOutcome::kBackoff);  // nothing stays open
  sink.fail_sync = false;
  sink.got.clear();
  while (drain_once(*s) != ProcessOutcome::kBackoff) {
  }
  CHECK(sink.got == testing::range_strings(0, 50));  // the same events, in their order
  CHECK(sink.counters().event_drain_success->get() == 50);
}

TEST_CASE("a sink in a group does not overlap its windows") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = sink.overlaps = true;
  sink.window_limit = 2;
  REQUIRE(testing::put(*ch, testing::numbered(0, 40)).is_ok());
  auto s = slot(&sink, ch.get());  // overlap_syncs stays false, as for a group's member
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.begun.empty());
  CHECK(sink.windows_committed == 1);
  CHECK(sink.counters().event_drain_success->get() == 20);
}

TEST_CASE("a window's takes hear after the sync what their destination refused, in order") {
  auto ch = memory("c1");
  auto dead = memory("dlq");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  sink.synced_reject_bodies = {"12", "13"};
  REQUIRE(testing::put(*ch, testing::numbered(0, 30)).is_ok());
  auto s = slot(&sink, ch.get());
  s->dead_letter = dead.get();
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.synced == std::vector<std::string>{"0", "10", "20"});
  CHECK(ch->size() == 0);
  CHECK(testing::take_bodies(*dead, 10) == std::vector<std::string>{"12", "13"});
  CHECK(sink.counters().event_rejected->get() == 2);
  CHECK(sink.counters().event_drain_success->get() == 28);

  // A failed sync tells nothing: every take goes back.
  sink.synced.clear();
  sink.fail_sync = true;
  REQUIRE(testing::put(*ch, testing::numbered(30, 20)).is_ok());
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);
  CHECK(sink.synced.empty());
  CHECK(ch->size() == 20);
}

TEST_CASE("a delivery failing inside a window commits the batches before it, and retries it") {
  auto ch = memory("c1");
  ScriptedSink sink("k1", 10);
  sink.groups = true;
  sink.script = {Delivery::kDelivered, Delivery::kDelivered, Delivery::kRetry};
  REQUIRE(testing::put(*ch, testing::numbered(0, 40)).is_ok());
  auto s = slot(&sink, ch.get());
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);  // the sink failed: back off
  CHECK(sink.syncs == 1);
  CHECK(ch->size() == 20);
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  CHECK(sink.got == testing::range_strings(0, 40));
}

TEST_CASE("a window's takes free a small memory channel's room for its source meanwhile") {
  plugins::MemoryChannelOptions o;
  o.capacity = 10;
  o.transaction_capacity = 10;
  o.keep_alive_seconds = 0;
  plugins::MemoryChannel ch("c1", o, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(testing::put(ch, testing::numbered(0, 10)).is_ok());
  // A take held for its sync gives its room back: a put fits while it is open.
  auto take = ch.begin();
  EventBatch b;
  REQUIRE(take->take(10, b).is_ok());
  CHECK(testing::put(ch, testing::numbered(10, 1)).is_ok() == false);  // full until then
  take->hold_for_sync();
  REQUIRE(testing::put(ch, testing::numbered(10, 10)).is_ok());
  // Rolled back, the events return ahead of the new ones, over the capacity for a while.
  take->rollback();
  CHECK(ch.size() == 20);
  CHECK(testing::take_bodies(ch, 10) == testing::range_strings(0, 10));
  CHECK(testing::take_bodies(ch, 10) == testing::range_strings(10, 10));
  // Room for ten again, no more: the slots the rollback took back are released by the commit.
  CHECK(testing::put(ch, testing::numbered(0, 10)).is_ok());
  CHECK(testing::put(ch, testing::numbered(0, 1)).is_ok() == false);
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

TEST_CASE("a sink group gives its first take to the member resuming a take sent before a kill") {
  // Round robin would start with k1; k2 holds the newer record of a take in flight.
  auto ch = memory("c1");
  ScriptedSink a("k1"), b("k2");
  a.resume_at = 1000;  // an older, stale record: the events at the head are k2's
  b.resume_at = 2000;
  std::vector<std::unique_ptr<SinkSlot>> slots;
  slots.push_back(slot(&a, ch.get()));
  slots.push_back(slot(&b, ch.get()));
  LoadBalancingSinkProcessor lb(std::move(slots), LoadBalancingSinkProcessor::Policy::kRoundRobin,
                                false, std::chrono::milliseconds(30000));
  REQUIRE(testing::put(*ch, testing::numbered(0, 40)).is_ok());
  CHECK(lb.process() == ProcessOutcome::kReady);
  CHECK(b.got == testing::range_strings(0, 10));
  CHECK(a.got.empty());
  b.resume_at = 0;
  a.resume_at = 0;
  CHECK(lb.process() == ProcessOutcome::kReady);  // then round robin again
  CHECK(a.got.size() + b.got.size() == 20);

  // Failover: the backup was the active member when the agent died.
  auto ch2 = memory("c2");
  ScriptedSink primary("p"), backup("b");
  backup.resume_at = 5;
  std::vector<FailoverSinkProcessor::Member> m;
  m.push_back({slot(&primary, ch2.get()), 10});
  m.push_back({slot(&backup, ch2.get()), 5});
  FailoverSinkProcessor fo(std::move(m), std::chrono::milliseconds(30000));
  REQUIRE(testing::put(*ch2, testing::numbered(0, 20)).is_ok());
  CHECK(fo.process() == ProcessOutcome::kReady);
  CHECK(backup.got == testing::range_strings(0, 10));
  backup.resume_at = 0;
  CHECK(fo.process() == ProcessOutcome::kReady);
  CHECK(primary.got == testing::range_strings(10, 10));
}

TEST_CASE("drain_once stores the sink's markers with the take commit, not with a rollback") {
  // A memory channel keeps no markers; what drain_once hands the transaction is what a durable
  // channel stores (file_channel_test checks the storing).
  struct Recording : Channel {
    std::unique_ptr<Channel> inner = memory("c1");
    std::vector<std::pair<std::string, std::string>>* log;
    explicit Recording(std::vector<std::pair<std::string, std::string>>* l)
        : Channel("rec"), log(l) {}
    struct Txn : Transaction {
      std::unique_ptr<Transaction> t;
      std::vector<std::pair<std::string, std::string>> staged, *log;
      Status put(const EventBatch& e) override { return t->put(e); }
      Status take(size_t max, EventBatch& out) override { return t->take(max, out); }
      Status commit() override {
        Status s = t->commit();
        if (s) log->insert(log->end(), staged.begin(), staged.end());
        return s;
      }
      void rollback() override { t->rollback(); }
      void set_marker(std::string_view k, std::string_view v) override {
        staged.emplace_back(std::string(k), std::string(v));
      }
    };
    std::unique_ptr<Transaction> begin() override {
      auto t = std::make_unique<Txn>();
      t->t = inner->begin();
      t->log = log;
      return t;
    }
    size_t size() const override { return inner->size(); }
    size_t capacity() const override { return inner->capacity(); }
    size_t transaction_capacity() const override { return inner->transaction_capacity(); }
    bool durable() const override { return true; }
  };
  std::vector<std::pair<std::string, std::string>> stored;
  Recording ch(&stored);
  REQUIRE(testing::put(*ch.inner, testing::numbered(0, 20)).is_ok());
  ScriptedSink sink("k1");
  sink.markers = {{"out/k1", "file 120"}};
  auto s = slot(&sink, &ch);
  sink.script = {Delivery::kRetry, Delivery::kDelivered};
  CHECK(drain_once(*s) == ProcessOutcome::kFailed);
  CHECK(stored.empty());
  CHECK(drain_once(*s) == ProcessOutcome::kReady);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].second == "file 120");
}

}  // namespace
}  // namespace flumen::pipeline
