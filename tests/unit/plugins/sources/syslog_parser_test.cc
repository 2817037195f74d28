#include "plugins/sources/syslog/syslog_parser.h"

#include <doctest/doctest.h>

namespace flumen::plugins {
namespace {

TEST_CASE("syslog: RFC 5424 headers and body") {
  EventBatch b;
  size_t i = add_syslog_event(
      b, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An event\n",
      KeepFields::parse("none"));
  CHECK(b.header(i, "Facility") == std::optional<std::string_view>("20"));
  CHECK(b.header(i, "Severity") == std::optional<std::string_view>("5"));
  CHECK(b.header(i, "host") == std::optional<std::string_view>("mymachine.example.com"));
  CHECK(b.header(i, "timestamp") == std::optional<std::string_view>("1065910455003"));
  CHECK(b.body(i) == "evntslog - ID47 - An event");
}

TEST_CASE("syslog: RFC 3164, keepFields and offsets") {
  EventBatch b;
  size_t i = add_syslog_event(b, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
                              KeepFields::parse("hostname"));
  CHECK(b.header(i, "Facility") == std::optional<std::string_view>("4"));
  CHECK(b.header(i, "Severity") == std::optional<std::string_view>("2"));
  CHECK(b.header(i, "timestamp").has_value());
  CHECK(b.body(i) == "mymachine su: 'su root' failed");
  size_t all = add_syslog_event(b, "<34>Oct 11 22:14:15 mymachine su: x", KeepFields::parse("all"));
  CHECK(b.body(all) == "<34>Oct 11 22:14:15 mymachine su: x");
  size_t off = add_syslog_event(b, "<14>1 2026-11-24T10:00:00+09:00 car1 app - - - m",
                                KeepFields::parse("none"));
  CHECK(b.header(off, "timestamp") == std::optional<std::string_view>("1795482000000"));
}

TEST_CASE("syslog: invalid input is kept and marked") {
  EventBatch b;
  size_t i = add_syslog_event(b, "no priority", KeepFields{});
  CHECK(b.body(i) == "no priority");
  CHECK(b.header(i, "flume.syslog.status") == std::optional<std::string_view>("Invalid"));
  size_t j = add_syslog_event(b, "<999>x", KeepFields{});
  CHECK(b.header(j, "flume.syslog.status") == std::optional<std::string_view>("Invalid"));
  size_t k = add_syslog_event(b, "<13>garbage header", KeepFields{});
  CHECK(b.header(k, "Severity") == std::optional<std::string_view>("5"));
  CHECK(b.header(k, "flume.syslog.status") == std::optional<std::string_view>("Invalid"));
}

}  // namespace
}  // namespace flumen::plugins
