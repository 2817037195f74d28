// ChannelProcessor::process_batch_async over synchronous (memory) channels: `done` once, with
// process_batch's outcome, and a commit chain that refuses the batches after a failed one.
#include "agent/pipeline/channel_processor.h"

#include <doctest/doctest.h>

#include "tests/unit/agent/pipeline/pipeline_fixtures.h"
#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::pipeline {
namespace {

using testing_fixtures::memory;

struct Outcomes {
  std::vector<Status> got;
  std::function<void(Status)> done() {
    return [this](Status s) { got.push_back(std::move(s)); };
  }
};

TEST_CASE("process_batch_async: every target committed, done once before it returns") {
  auto c1 = memory("c1");
  auto c2 = memory("c2");
  auto opt = memory("opt");
  auto owner = std::make_shared<metrics::ComponentMetrics>("SOURCE", "r1");
  metrics::SourceCounters counters(*owner);
  ChannelProcessor proc(std::make_unique<ReplicatingSelector>(
                            std::vector<Channel*>{c1.get(), c2.get()}, std::vector<Channel*>{}),
                        {});
  proc.set_counters(&counters);
  Outcomes o;
  ChannelProcessor::Marker m{"k", "v"};
  proc.process_batch_async(testing::numbered(0, 5), {&m, 1}, nullptr, o.done());
  REQUIRE(o.got.size() == 1);
  CHECK(o.got[0].is_ok());
  CHECK(c1->size() == 5);
  CHECK(c2->size() == 5);
  CHECK(counters.event_accepted->get() == 5);
  CHECK(counters.append_batch_accepted->get() == 1);
}

TEST_CASE(
    "process_batch_async: a full required channel fails the batch; the chain refuses the "
    "batches after it, an optional failure is only counted") {
  plugins::MemoryChannelOptions mo;
  mo.capacity = 5;
  mo.transaction_capacity = 5;
  mo.keep_alive_seconds = 0;
  plugins::MemoryChannel tiny("tiny", mo,
                              std::make_shared<metrics::ComponentMetrics>("CHANNEL", "tiny"));
  auto owner = std::make_shared<metrics::ComponentMetrics>("SOURCE", "r1");
  metrics::SourceCounters counters(*owner);
  metrics::Counter optional_failures;
  plugins::MemoryChannel small_optional(
      "so", mo, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "so"));
  ChannelProcessor proc(std::make_unique<ReplicatingSelector>(
                            std::vector<Channel*>{&tiny}, std::vector<Channel*>{&small_optional}),
                        {});
  proc.set_counters(&counters);
  proc.set_optional_failure_counter(&optional_failures);
  auto chain = std::make_shared<CommitChain>();
  Outcomes o;
  proc.process_batch_async(testing::numbered(0, 5), {}, chain, o.done());
  proc.process_batch_async(testing::numbered(5, 5), {}, chain, o.done());  // full
  REQUIRE(o.got.size() == 2);
  CHECK(o.got[0].is_ok());
  CHECK(o.got[1].code() == ErrorCode::kChannelFull);
  CHECK(counters.channel_write_fail->get() == 1);
  CHECK(optional_failures.get() == 1);  // the optional one was full too
  // Room again, but the chain broke: the next batch of it is refused, unwritten.
  CHECK(testing::take_bodies(tiny, 5) == testing::range_strings(0, 5));
  proc.process_batch_async(testing::numbered(5, 5), {}, chain, o.done());
  REQUIRE(o.got.size() == 3);
  CHECK_FALSE(o.got[2].is_ok());
  CHECK(tiny.size() == 0);
  // A new chain puts again.
  proc.process_batch_async(testing::numbered(5, 5), {}, std::make_shared<CommitChain>(), o.done());
  REQUIRE(o.got.size() == 4);
  CHECK(o.got[3].is_ok());
  CHECK(testing::take_bodies(tiny, 5) == testing::range_strings(5, 5));
}

// A channel that keeps markers and logs, into one shared log, when a transaction of it commits
// and when a marker is saved outside one: what the order of the two is.
struct OrderLoggingChannel : Channel {
  std::unique_ptr<Channel> inner;
  std::vector<std::string>* log;
  OrderLoggingChannel(const std::string& name, std::vector<std::string>* l)
      : Channel(name), inner(memory(name)), log(l) {}
  struct Txn : Transaction {
    std::unique_ptr<Transaction> t;
    OrderLoggingChannel* ch;
    Status put(const EventBatch& e) override { return t->put(e); }
    Status take(size_t max, EventBatch& out) override { return t->take(max, out); }
    Status commit() override {
      Status s = t->commit();
      if (s) ch->log->push_back("commit " + ch->name());
      return s;
    }
    void rollback() override { t->rollback(); }
  };
  std::unique_ptr<Transaction> begin() override {
    auto txn = std::make_unique<Txn>();
    txn->t = inner->begin();
    txn->ch = this;
    return txn;
  }
  size_t size() const override { return inner->size(); }
  size_t capacity() const override { return inner->capacity(); }
  size_t transaction_capacity() const override { return inner->transaction_capacity(); }
  bool durable() const override { return true; }
  Status save_marker(std::string_view key, std::string_view value) override {
    log->push_back("marker " + name() + " " + std::string(key) + "=" + std::string(value));
    return Status::ok();
  }
};

TEST_CASE(
    "a channel that gets none of a batch's events has its marker before the batch commits "
    "elsewhere") {
  // Written after the commit, a kill -9 in between left that channel with the older marker, and
  // the source's restart (the smallest marker over its channels) let the batch in again: a
  // forward source put a resent batch twice (bench/topology_kill_loop.py).
  std::vector<std::string> log;
  OrderLoggingChannel drive("drive", &log), status("status", &log);
  std::map<std::string, MultiplexingSelector::Rule> rules;
  rules["drive"].required = {&drive};
  rules["status"].required = {&status};
  ChannelProcessor proc(
      std::make_unique<MultiplexingSelector>("kind", rules, std::vector<Channel*>{&drive},
                                             std::vector<Channel*>{&drive, &status}),
      {});
  EventBatch b;
  b.add("d1", {{"kind", "drive"}});
  ChannelProcessor::Marker m{"fwd/r1/s", "7"};
  SUBCASE("process_batch") {
    REQUIRE(proc.process_batch(b, &m).is_ok());
  }
  SUBCASE("process_batch_async") {
    Outcomes o;
    proc.process_batch_async(b, {&m, 1}, nullptr, o.done());
    REQUIRE(o.got.size() == 1);
    CHECK(o.got[0].is_ok());
  }
  CHECK(log == std::vector<std::string>{"marker status fwd/r1/s=7", "commit drive"});
}

}  // namespace
}  // namespace flumen::pipeline
