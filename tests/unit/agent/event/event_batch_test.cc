#include "agent/event/event_batch.h"

#include <doctest/doctest.h>

#include <cstring>

namespace flumen {
namespace {

TEST_CASE("EventBatch stores bodies and headers together") {
  EventBatch b;
  size_t i = b.add("hello", {{"host", "a"}, {"k", "v"}});
  size_t j = b.add("world");
  CHECK(b.size() == 2);
  CHECK(b.body(i) == "hello");
  CHECK(b.body(j) == "world");
  CHECK(b.header(i, "host") == std::optional<std::string_view>("a"));
  CHECK_FALSE(b.header(j, "host").has_value());
  CHECK(b.body_bytes() == 10);
  CHECK(b[i].header_count() == 2);
}

TEST_CASE("EventBatch header edits keep other events intact") {
  EventBatch b;
  b.add("one", {{"a", "1"}});
  b.add("two", {{"b", "2"}});
  b.set_header(0, "a", "longer value");  // grows: stored anew
  b.set_header(0, "c", "3");             // new key on a run that is not last
  b.set_header(1, "b", "x");             // shrinks in place
  CHECK(b.header(0, "a") == std::optional<std::string_view>("longer value"));
  CHECK(b.header(0, "c") == std::optional<std::string_view>("3"));
  CHECK(b.header(1, "b") == std::optional<std::string_view>("x"));
  CHECK_FALSE(b.header(1, "c").has_value());
  CHECK(b.remove_header(0, "a"));
  CHECK_FALSE(b.remove_header(0, "a"));
  CHECK(b.header_count(0) == 1);
  CHECK(b.header_at(0, 0).first == "c");
}

TEST_CASE("EventBatch copies ranges, retains and drops") {
  EventBatch src;
  for (int i = 0; i < 5; ++i)
    src.add(std::to_string(i), {{"n", std::to_string(i)}});
  EventBatch all;
  all.append_all(src);
  CHECK(all.size() == 5);
  CHECK(all.header(4, "n") == std::optional<std::string_view>("4"));
  EventBatch part;
  part.add("x");
  part.append_range(src, 1, 3);
  CHECK(part.size() == 3);
  CHECK(part.body(1) == "1");
  CHECK(part.header(2, "n") == std::optional<std::string_view>("2"));
  all.retain({true, false, true, false, true});
  CHECK(all.size() == 3);
  CHECK(all.body(1) == "2");
  CHECK(all.body_bytes() == 3);
  all.drop_front(2);
  CHECK(all.size() == 1);
  CHECK(all.body(0) == "4");
}

TEST_CASE("EventBatch builds a body in pieces") {
  EventBatch b;
  b.begin_event();
  b.append_body("12");
  std::memcpy(b.append_body_space(3), "...", 3);
  size_t i = b.end_event();
  b.set_header(i, "k", "v");
  CHECK(b.body(i) == "12...");
  CHECK(b.header(i, "k") == std::optional<std::string_view>("v"));
  CHECK(b.body_bytes() == 5);
}

TEST_CASE("EventBatch set_body and binary bodies") {
  EventBatch b;
  std::string binary("a\0b\xff", 4);
  b.add(binary);
  CHECK(b.body(0) == binary);
  b.set_body(0, "replaced");
  CHECK(b.body(0) == "replaced");
  CHECK(b.body_bytes() == 8);
}

}  // namespace
}  // namespace flumen
