#include "agent/util/spin_wait.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

namespace flumen::util {
namespace {

TEST_CASE("spin_until sees a condition another thread makes true, and gives up after its budget") {
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag.store(true); });
  // Generous budget: the setter may not be scheduled at once on a loaded machine.
  const bool seen = spin_until([&] { return flag.load(); }, std::chrono::seconds(5));
  setter.join();
  CHECK(seen);

  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(spin_until([] { return false; }, std::chrono::microseconds(200)));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::microseconds(200));
  CHECK(spin_until([] { return true; }, std::chrono::microseconds(0)));
}

}  // namespace
}  // namespace flumen::util
