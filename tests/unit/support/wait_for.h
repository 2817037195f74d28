#pragma once
// wait_for: polls a condition that another thread (a libuv loop under test) makes true, for
// tests of real sockets where no injected clock can stand in for the kernel. Returns whether it
// became true within `limit`; the limit only bounds a broken test, it never paces a passing one.
#include <chrono>
#include <functional>
#include <thread>

namespace flumen::testing {

inline bool wait_for(const std::function<bool()>& cond,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

}  // namespace flumen::testing
