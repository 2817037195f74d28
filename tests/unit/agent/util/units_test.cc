#include "agent/util/units.h"

#include <doctest/doctest.h>

using flumen::util::DurationUnit;
using flumen::util::parse_duration;
using flumen::util::parse_size;
using namespace std::chrono_literals;

TEST_SUITE("util units") {
  TEST_CASE("durations: ms is milliseconds, m minutes, bare numbers in the caller's unit") {
    CHECK(parse_duration("2ms").value() == 2ms);
    CHECK(parse_duration("2s").value() == 2000ms);
    CHECK(parse_duration("1.5s").value() == 1500ms);
    CHECK(parse_duration("2m").value() == 120'000ms);
    CHECK(parse_duration("1h").value() == 3'600'000ms);
    CHECK(parse_duration("1d").value() == 86'400'000ms);
    CHECK(parse_duration(" 10 S ").value() == 10'000ms);
    CHECK(parse_duration("10").value() == 10'000ms);
    CHECK(parse_duration("10", DurationUnit::kMilliseconds).value() == 10ms);
  }

  TEST_CASE("durations: garbage, negatives and overflow are errors naming the value") {
    for (const char* bad : {"abc", "", "-1s", "2x", "1.2.3s", "s", "1e3s", "99999999999999d"}) {
      auto r = parse_duration(bad);
      REQUIRE_MESSAGE(!r.is_ok(), bad);
      CHECK(r.error().message.find(std::string("'") + bad + "'") != std::string::npos);
    }
  }

  TEST_CASE("sizes: powers of 1024 in any case; bare numbers are bytes") {
    CHECK(parse_size("512").value() == 512);
    CHECK(parse_size("512b").value() == 512);
    CHECK(parse_size("64k").value() == 64 * 1024);
    CHECK(parse_size("64KB").value() == 64 * 1024);
    CHECK(parse_size("100MB").value() == 100LL * 1024 * 1024);
    CHECK(parse_size("1.5MiB").value() == 1536LL * 1024);
    CHECK(parse_size("1g").value() == 1024LL * 1024 * 1024);
    CHECK(parse_size("2T").value() == 2LL * 1024 * 1024 * 1024 * 1024);
  }

  TEST_CASE("sizes: garbage, negatives and overflow are errors") {
    for (const char* bad : {"lots", "-5", "10 parsecs", "", "9999999999t"})
      CHECK_MESSAGE(!parse_size(bad).is_ok(), bad);
  }
}
