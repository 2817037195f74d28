#include "agent/pipeline/notifier.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

namespace flumen::pipeline {
namespace {

TEST_CASE("a notifier's signal is consumed by one wait, and a wait without one times out") {
  Notifier n;
  n.notify();  // before anyone waits: kept for the next wait
  CHECK(n.wait_for(std::chrono::milliseconds(0)));
  CHECK_FALSE(n.wait_for(std::chrono::milliseconds(5)));
}

TEST_CASE("a notifier wakes a waiter that went to sleep past its spin") {
  Notifier n;
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = n.wait_for(std::chrono::seconds(30)); });
  // Long past the spin budget: the waiter sleeps on the condition by now (or is about to),
  // and notify() must see it and wake it.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  n.notify();
  waiter.join();
  CHECK(woke.load());
}

}  // namespace
}  // namespace flumen::pipeline
