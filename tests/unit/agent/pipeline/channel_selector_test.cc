#include "agent/pipeline/channel_selector.h"

#include <doctest/doctest.h>

namespace flumen::pipeline {
namespace {

// The selector never touches a channel: distinct addresses are enough to tell them apart.
Channel* fake(int i) {
  static char slots[8];
  return reinterpret_cast<Channel*>(&slots[i]);
}

TEST_CASE("load_balancing round_robin sends each event to the next channel, across batches") {
  LoadBalancingSelector sel({fake(0), fake(1), fake(2)},
                            LoadBalancingSelector::Policy::kRoundRobin);
  EventBatch b;
  for (int i = 0; i < 4; ++i)
    b.add("e" + std::to_string(i));
  std::vector<RouteTarget> out;
  sel.route(b, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].channel == fake(0));
  CHECK(out[0].events == std::vector<uint32_t>{0, 3});
  CHECK(out[1].events == std::vector<uint32_t>{1});
  CHECK(out[2].events == std::vector<uint32_t>{2});
  for (const auto& t : out)
    CHECK_FALSE(t.optional);
  // The turn goes on with the next batch (Flume keeps one counter per selector).
  EventBatch one;
  one.add("x");
  sel.route(one, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].channel == fake(1));
}

TEST_CASE("load_balancing random puts every event in exactly one channel") {
  LoadBalancingSelector sel({fake(0), fake(1)}, LoadBalancingSelector::Policy::kRandom);
  EventBatch b;
  for (int i = 0; i < 200; ++i)
    b.add("e");
  std::vector<RouteTarget> out;
  sel.route(b, out);
  size_t total = 0;
  for (const auto& t : out)
    total += t.events.size();
  CHECK(total == 200);
  CHECK(out.size() == 2);  // 200 draws: both channels get some
}

}  // namespace
}  // namespace flumen::pipeline
