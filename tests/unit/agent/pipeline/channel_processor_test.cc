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

}  // namespace
}  // namespace flumen::pipeline
