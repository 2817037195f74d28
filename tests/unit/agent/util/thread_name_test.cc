#include "agent/util/thread_name.h"

#include <doctest/doctest.h>

#include <thread>

namespace flumen::util {
namespace {

TEST_CASE("thread_name: fits 15 bytes, keeping a long name's start and end") {
  CHECK(thread_name("src-", "r1") == "src-r1");
  CHECK(thread_name("sink-", "k1#2") == "sink-k1#2");
  CHECK(thread_name("src-", "taildir_app_2") == "src-taild~app_2");
  CHECK(thread_name("src-", "taildir_app_2").size() == kMaxThreadName);
  CHECK(thread_name("src-", "12345678901") == "src-12345678901");  // exactly 15
  CHECK(thread_name("a-very-long-prefix-", "x").size() <= kMaxThreadName);
}

TEST_CASE("ThreadNameScope: names the thread and what it starts, then restores") {
  std::thread([] {
    set_thread_name("caller");
    CHECK(current_thread_name() == "caller");
    CHECK(ThreadNameScope::active().empty());
    std::string child;
    {
      ThreadNameScope scope("src-r1");
      CHECK(current_thread_name() == "src-r1");
      CHECK(ThreadNameScope::active() == "src-r1");
      // Linux gives a new thread its creator's name.
      std::thread([&child] { child = current_thread_name(); }).join();
      {
        ThreadNameScope inner("sink-k1");
        CHECK(ThreadNameScope::active() == "sink-k1");
      }
      CHECK(current_thread_name() == "src-r1");
      CHECK(ThreadNameScope::active() == "src-r1");
    }
    CHECK(child == "src-r1");
    CHECK(current_thread_name() == "caller");
    CHECK(ThreadNameScope::active().empty());
    set_thread_name("a-name-longer-than-fifteen-bytes");
    CHECK(current_thread_name() == "a-name-longer-t");
  }).join();
}

}  // namespace
}  // namespace flumen::util
