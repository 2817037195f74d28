#include "plugins/kafka_common/librdkafka_support.h"

#include <doctest/doctest.h>

using namespace flumen;
using namespace flumen::plugins;

TEST_CASE("Flume's AvroFlumeEvent format round-trips, and junk is refused") {
  EventBatch in;
  in.add("20160101000000,A0001,3,0,F,N,120,B07", {{"car", "A0001"}, {"logtype", "drive"}});
  in.add("");
  std::string bytes;
  EventBatch out;
  for (size_t i = 0; i < in.size(); ++i) {
    kafka::encode_flume_event(in, i, bytes);
    size_t index = 0;
    REQUIRE(kafka::decode_flume_event(bytes, out, index));
    CHECK(index == i);
    CHECK(out.body(i) == in.body(i));
    CHECK(out.header_count(i) == in.header_count(i));
  }
  CHECK(out.header(0, "car") == std::optional<std::string_view>("A0001"));
  // The exact bytes Flume writes for {headers: {}, body: "abc"}: an empty map, then bytes.
  kafka::encode_flume_event(in, 1, bytes);
  CHECK(bytes == std::string("\x00\x00", 2));
  size_t index = 0;
  CHECK_FALSE(kafka::decode_flume_event(std::string("\x02\x06", 2), out, index));
  CHECK_FALSE(kafka::decode_flume_event(bytes + "x", out, index));
}
