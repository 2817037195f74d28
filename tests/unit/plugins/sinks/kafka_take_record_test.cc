#include "plugins/sinks/kafka/take_record.h"

#include <doctest/doctest.h>

namespace flumen::plugins {
namespace {

TEST_CASE("kafka sink record: round trip with and without a take in flight") {
  KafkaSinkRecord r;
  r.transactional_id = "flumen-host-k1#0-9f2c";
  r.next_take = 18;
  r.offsets_from = 4711;
  CHECK(r.encode() == "1 flumen-host-k1#0-9f2c 18 4711");
  auto back = KafkaSinkRecord::decode(r.encode());
  REQUIRE(back);
  CHECK(back->transactional_id == r.transactional_id);
  CHECK(back->next_take == 18);
  CHECK(back->offsets_from == 4711);
  CHECK_FALSE(back->in_flight);

  r.in_flight = KafkaTake{17, 500, 0x0123456789abcdefULL};
  CHECK(r.encode() == "1 flumen-host-k1#0-9f2c 18 4711 17 500 123456789abcdef");
  back = KafkaSinkRecord::decode(r.encode());
  REQUIRE(back);
  REQUIRE(back->in_flight);
  CHECK(*back->in_flight == *r.in_flight);
}

TEST_CASE("kafka sink record: a value this version cannot read is refused") {
  CHECK_FALSE(KafkaSinkRecord::decode(""));
  CHECK_FALSE(KafkaSinkRecord::decode("2 id 3 0"));          // unknown version
  CHECK_FALSE(KafkaSinkRecord::decode("1 id 0 0"));          // take numbers start at 1
  CHECK_FALSE(KafkaSinkRecord::decode("1 id 3 -1"));         // no offset below 0
  CHECK_FALSE(KafkaSinkRecord::decode("1 id 3 0 2 10"));     // a take without its identity
  CHECK_FALSE(KafkaSinkRecord::decode("1 id 3 0 0 10 ff"));  // take 0
  CHECK_FALSE(KafkaSinkRecord::decode("1 id 3 0 x 10 ff"));
}

TEST_CASE("kafka offsets-topic value: round trip, and junk is not a take") {
  const KafkaTake t{9, 1000, 0xfeedULL};
  CHECK(encode_offsets_value(t) == "1 9 1000 feed");
  auto back = decode_offsets_value(encode_offsets_value(t));
  REQUIRE(back);
  CHECK(*back == t);
  CHECK_FALSE(decode_offsets_value(""));
  CHECK_FALSE(decode_offsets_value("1 9 1000"));
  CHECK_FALSE(decode_offsets_value("{\"offset\": 9}"));  // another writer's record
}

TEST_CASE("kafka sink: a new transactional.id is one word naming the sink, different each time") {
  const std::string a = new_transactional_id("k1#1");
  const std::string b = new_transactional_id("k1#1");
  CHECK(a.rfind("flumen-", 0) == 0);
  CHECK(a.find("-k1#1-") != std::string::npos);
  CHECK(a.find(' ') == std::string::npos);
  CHECK(a != b);
  KafkaSinkRecord r;
  r.transactional_id = a;
  auto back = KafkaSinkRecord::decode(r.encode());
  REQUIRE(back);
  CHECK(back->transactional_id == a);
}

}  // namespace
}  // namespace flumen::plugins
