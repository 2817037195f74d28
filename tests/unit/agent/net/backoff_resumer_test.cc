#include "agent/net/backoff_resumer.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <thread>

namespace flumen::net {
namespace {

TEST_CASE("a resumer counts the room its channels free, and a short spin sees it come") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    BackoffResumer resumer(&loop);
    const uint64_t seen = resumer.space_events();
    CHECK_FALSE(resumer.space_soon(seen));  // nothing freed: the spin gives up
    // A sink's take commit on another thread, as a channel calls it.
    std::thread sink([&] { resumer.on_space(); });
    sink.join();
    CHECK(resumer.space_events() == seen + 1);
    CHECK(resumer.space_soon(seen));
    CHECK_FALSE(resumer.space_soon(seen + 1));
  }
  // The resumer's handles close on the loop.
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace flumen::net
