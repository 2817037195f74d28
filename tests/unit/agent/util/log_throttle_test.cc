#include "agent/util/log_throttle.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "agent/util/clock.h"

namespace flumen::util {
namespace {

using namespace std::chrono_literals;

// Captures what spdlog writes while alive.
struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
  int lines() const {
    std::string s = out.str();
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }
};

TEST_CASE("LogThrottle writes the first message, holds back repeats, then summarises") {
  CapturedLog log;
  ManualClock clock;
  LogThrottle t(30s, clock);
  CHECK(t.warn("sink {}: down", "k1"));
  for (int i = 0; i < 1000; ++i) {
    clock.advance(10ms);
    CHECK_FALSE(t.warn("sink {}: down", "k1"));
  }
  CHECK(log.lines() == 1);
  clock.advance(21s);  // 31 s after the first line
  CHECK(t.warn("sink {}: down", "k1"));
  CHECK(log.lines() == 2);
  CHECK(log.out.str().find("sink k1: down (and 1000 more like it in the last 31 s)") !=
        std::string::npos);
  CHECK(t.seen() == 1002);
}

TEST_CASE("LogThrottle::clear rearms it so the next failure is written at once") {
  CapturedLog log;
  ManualClock clock;
  LogThrottle t(30s, clock);
  CHECK(t.warn("x"));
  CHECK_FALSE(t.warn("x"));
  CHECK(t.clear() == 2);
  CHECK(t.clear() == 0);
  CHECK(t.warn("x"));
  CHECK(log.lines() == 2);
}

TEST_CASE("LogThrottle::describe") {
  CHECK(LogThrottle::describe(250ms) == "250 ms");
  CHECK(LogThrottle::describe(30s) == "30 s");
  CHECK(LogThrottle::describe(10min) == "10 min");
  CHECK(LogThrottle::describe(5h) == "5 h");
}

}  // namespace
}  // namespace flumen::util
