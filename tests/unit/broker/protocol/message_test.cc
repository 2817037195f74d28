#include "broker/protocol/message.h"

#include <doctest/doctest.h>

#include "broker/api/api.h"

using namespace flumen::broker;
using namespace flumen::broker::schema;

namespace {

// A message with what the specs use: a string nullable from v1, an array of int32 from v1, a
// struct array, a field gone after v1, a tagged field from v2 (the first flexible version).
const Message kTest{
    "2+",
    {
        {.name = "Name", .type = kString, .versions = "0+", .nullable = "1+"},
        {.name = "Count", .type = kInt32, .versions = "0+"},
        {.name = "Ids", .type = kArray, .element = kInt32, .versions = "1+"},
        {.name = "Items",
         .type = kArray,
         .versions = "0+",
         .fields =
             {
                 {.name = "Key", .type = kString, .versions = "0+"},
                 {.name = "Value", .type = kInt64, .versions = "0+", .default_value = "-1"},
             }},
        {.name = "OnlyOld", .type = kInt16, .versions = "0-1", .default_value = "7"},
        {.name = "Extra",
         .type = kString,
         .versions = "2+",
         .tagged = "2+",
         .tag = 0,
         .default_value = "none"},
    }};

std::string encoded(int16_t version, const Struct& s) {
  return flumen::broker::encoded(kTest, version, s);
}

Struct sample() {
  Struct s(kTest.fields);
  s.set("Name", "ab").set("Count", 5).set_ints("Ids", {1, 2});
  s.add("Items").set("Key", "k");
  s.set("OnlyOld", 3);
  return s;
}

}  // namespace

TEST_CASE("versions are read as the specs write them") {
  CHECK(Versions("3+").has(3));
  CHECK(Versions("3+").has(30000));
  CHECK_FALSE(Versions("3+").has(2));
  CHECK(Versions("0-7").has(7));
  CHECK_FALSE(Versions("0-7").has(8));
  CHECK(Versions("5").has(5));
  CHECK_FALSE(Versions("5").has(6));
  CHECK_FALSE(Versions("none").has(0));
}

TEST_CASE(
    "a classic version: int16 strings, int32 arrays, no tags, fields of other versions left out") {
  const std::string v0 = encoded(0, sample());
  const std::string want(
      "\x00\x02"
      "ab"                                // Name
      "\x00\x00\x00\x05"                  // Count
      "\x00\x00\x00\x01"                  // Items: 1
      "\x00\x01k"                         // Key
      "\xff\xff\xff\xff\xff\xff\xff\xff"  // Value: its default, -1
      "\x00\x03",                         // OnlyOld
      2 + 2 + 4 + 4 + 3 + 8 + 2);
  CHECK(v0 == want);
  WireReader in(v0);
  Struct back = decode(kTest, 0, in);
  CHECK_FALSE(in.failed());
  CHECK(in.remaining() == 0);
  CHECK(back.s("Name") == "ab");
  CHECK(back.i("Count") == 5);
  CHECK(back.ints("Ids").empty());  // not in v0
  CHECK(back.array("Items").size() == 1);
  CHECK(back.array("Items")[0].i("Value") == -1);
  CHECK(back.i("OnlyOld") == 3);
}

TEST_CASE("a flexible version: compact strings and arrays, a tag section per struct") {
  Struct s = sample();
  s.set("Extra", "x");
  const std::string v2 = encoded(2, s);
  const std::string want(
      "\x03"
      "ab"                // Name: length + 1
      "\x00\x00\x00\x05"  // Count
      "\x03"              // Ids: 2 + 1
      "\x00\x00\x00\x01\x00\x00\x00\x02"
      "\x02"                              // Items: 1 + 1
      "\x02k"                             // Key
      "\xff\xff\xff\xff\xff\xff\xff\xff"  // Value
      "\x00"                              // the item's tag section: empty
      "\x01\x00\x02\x02x",                // tags: 1, tag 0, size 2, "x"
      1 + 2 + 4 + 1 + 8 + 1 + 2 + 8 + 1 + 5);
  CHECK(v2 == want);
  WireReader in(v2);
  Struct back = decode(kTest, 2, in);
  CHECK_FALSE(in.failed());
  CHECK(in.remaining() == 0);
  CHECK(back.s("Extra") == "x");
  CHECK(back.ints("Ids") == std::vector<int64_t>{1, 2});
  CHECK(back.i("OnlyOld") == 7);  // not in v2: the default
}

TEST_CASE("an unset tagged field is not written; an unknown tag is skipped") {
  const std::string v2 = encoded(2, sample());
  CHECK(v2.back() == '\0');  // empty top-level tag section
  std::string with_unknown = v2.substr(0, v2.size() - 1) + std::string("\x01\x09\x03xyz", 6);
  WireReader in(with_unknown);
  Struct back = decode(kTest, 2, in);
  CHECK_FALSE(in.failed());
  CHECK(back.s("Extra") == "none");
}

TEST_CASE("nulls: written where the version allows them, read as empty where it does not") {
  Struct s = sample();
  s.set_null("Name");
  const std::string v1 = encoded(1, s);
  CHECK(v1.substr(0, 2) == std::string("\xff\xff", 2));
  WireReader in(v1);
  CHECK(decode(kTest, 1, in).is_null("Name"));
  const std::string v2 = encoded(2, s);
  CHECK(v2[0] == '\0');  // compact null
  // v0 does not allow null: a client sending one anyway is read as an empty string.
  std::string v0 = encoded(0, sample());
  v0[0] = '\xff';
  v0[1] = '\xff';
  v0.erase(2, 2);
  WireReader in0(v0);
  Struct back = decode(kTest, 0, in0);
  CHECK_FALSE(in0.failed());
  CHECK(back.s("Name").empty());
}

TEST_CASE("short or impossible input fails the read instead of reading past it") {
  const std::string v2 = encoded(2, sample());
  for (size_t cut = 0; cut < v2.size(); ++cut) {
    WireReader in(std::string_view(v2).substr(0, cut));
    (void)decode(kTest, 2, in);
    CHECK(in.failed());
  }
  // An array count far beyond the bytes left: refused, nothing allocated for it.
  std::string huge(
      "\x03"
      "ab\x00\x00\x00\x05\xff\xff\xff\x7f",
      11);
  WireReader in(huge);
  (void)decode(kTest, 2, in);
  CHECK(in.failed());
}

TEST_CASE("the API table: Kafka 3.x/4.x ranges, flexible versions from the specs") {
  // OffsetDelete (47) is never flexible: its first flexible version lies above its range.
  struct Want {
    int16_t key, min, max, flexible;
  };
  for (Want w : {Want{0, 0, 9, 9},  Want{1, 0, 16, 12}, Want{2, 0, 7, 6},  Want{3, 0, 12, 9},
                 Want{8, 0, 8, 8},  Want{9, 0, 8, 6},   Want{10, 0, 4, 3}, Want{11, 0, 7, 6},
                 Want{12, 0, 4, 4}, Want{13, 0, 4, 4},  Want{14, 0, 5, 4}, Want{15, 0, 6, 5},
                 Want{16, 0, 4, 3}, Want{18, 0, 3, 3},  Want{19, 0, 7, 5}, Want{20, 0, 6, 4},
                 Want{22, 0, 4, 2}, Want{32, 0, 4, 4},  Want{33, 0, 2, 2}, Want{37, 0, 3, 2},
                 Want{44, 0, 1, 1}, Want{21, 0, 2, 2},  Want{42, 0, 2, 2}, Want{47, 0, 0, 1}}) {
    const ApiInfo* api = find_api(w.key);
    REQUIRE(api);
    CAPTURE(api->name);
    CHECK(api->min_version == w.min);
    CHECK(api->max_version == w.max);
    CHECK(api->first_flexible == w.flexible);
  }
}
