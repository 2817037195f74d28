#include "broker/storage/legacy_message_set.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <optional>
#include <string>
#include <vector>

#include "agent/util/byte_order.h"
#include "broker/protocol/wire.h"
#include "broker/storage/batch_codec.h"
#include "broker/storage/batch_records.h"
#include "tests/unit/broker/storage/keyed_batches.h"

namespace flumen::broker {
namespace {

using testing::BatchOptions;
using testing::KV;
using testing::make_keyed_batch;

using Bytes = std::optional<std::string>;

uint32_t zlib_crc(std::string_view b) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
}

// One message as a producer of the old format writes it: offset, size, crc, magic, ...
std::string message(int magic, int attributes, int64_t offset, int64_t ts, const Bytes& key,
                    const Bytes& value) {
  std::string body;
  WireWriter w(body);
  w.i8(static_cast<int8_t>(magic));
  w.i8(static_cast<int8_t>(attributes));
  if (magic == 1) w.i64(ts);
  w.i32(key ? static_cast<int32_t>(key->size()) : -1);
  if (key) w.raw(*key);
  w.i32(value ? static_cast<int32_t>(value->size()) : -1);
  if (value) w.raw(*value);
  std::string out;
  WireWriter o(out);
  o.i64(offset);
  o.i32(static_cast<int32_t>(body.size() + 4));
  o.i32(static_cast<int32_t>(zlib_crc(body)));
  o.raw(body);
  return out;
}

std::string wrapper(int magic, int codec, int64_t offset, const std::string& inner_set,
                    std::string_view like = "") {
  std::string packed;
  REQUIRE(compress_records(codec, inner_set, like, packed));
  return message(magic, codec, offset, 5000, std::nullopt, packed);
}

struct Seen {
  int64_t offset;
  int magic;
  int attributes;
  int64_t timestamp;
  Bytes key;
  Bytes value;
};

// An independent reader of a message set: every message, CRC checked, wrappers listed as such.
std::vector<Seen> read_set(std::string_view set) {
  std::vector<Seen> out;
  while (!set.empty()) {
    REQUIRE(set.size() >= 12);
    const int64_t offset = util::load_be<int64_t>(set.data());
    const int32_t size = util::load_be<int32_t>(set.data() + 8);
    REQUIRE(static_cast<size_t>(size) <= set.size() - 12);
    std::string_view m = set.substr(12, static_cast<size_t>(size));
    CHECK(util::load_be<uint32_t>(m.data()) == zlib_crc(m.substr(4)));
    WireReader r(m.substr(4));
    Seen s{offset, r.i8(), r.i8(), -1, std::nullopt, std::nullopt};
    if (s.magic == 1) s.timestamp = r.i64();
    if (auto k = r.nullable_bytes()) s.key = std::string(*k);
    if (auto v = r.nullable_bytes()) s.value = std::string(*v);
    REQUIRE_FALSE(r.failed());
    CHECK(r.remaining() == 0);
    out.push_back(s);
    set.remove_prefix(12 + static_cast<size_t>(size));
  }
  return out;
}

struct Converted {
  BatchRecords records;
  std::string batch;
};

Converted to_batch(const std::string& set) {
  Converted c;
  std::string why;
  REQUIRE(legacy_set_to_batch(set, 1 << 20, c.batch, why) == BatchVerdict::kOk);
  BatchHeader h;
  std::string check_why;
  CHECK(check_produced_batch(c.batch, 3, 1 << 20, h, check_why) == BatchVerdict::kOk);
  REQUIRE(read_batch_records(c.batch, 1 << 20, c.records));
  return c;
}

BatchVerdict refusal(const std::string& set, std::string& why, size_t max_inflated = 1 << 20) {
  std::string batch;
  return legacy_set_to_batch(set, max_inflated, batch, why);
}

TEST_CASE("legacy produce: plain magic-1 messages become one v2 batch with their timestamps") {
  const std::string set = message(1, 0, 0, 1000, "k0", "v0") +
                          message(1, 0, 1, 2000, std::nullopt, "v1") +
                          message(1, 0, 2, 1500, "k2", std::nullopt);
  Converted c = to_batch(set);
  const BatchHeader& h = c.records.header;
  CHECK(h.base_offset == 0);
  CHECK(h.records_count == 3);
  CHECK(h.last_offset_delta == 2);
  CHECK(h.compression() == 0);
  CHECK(h.base_timestamp == 1000);
  CHECK(h.max_timestamp == 2000);
  CHECK(h.producer_id == -1);
  REQUIRE(c.records.records.size() == 3);
  const auto& r = c.records.records;
  CHECK(r[0].key == "k0");
  CHECK(r[0].value == "v0");
  CHECK_FALSE(r[1].has_key);
  CHECK(r[1].value == "v1");
  CHECK(h.base_timestamp + r[1].timestamp_delta == 2000);
  CHECK(r[2].key == "k2");
  CHECK_FALSE(r[2].has_value);  // a tombstone stays one
  CHECK(r[2].offset_delta == 2);
}

TEST_CASE("legacy produce: a gzip magic-0 wrapper keeps its codec, records have no timestamp") {
  const std::string inner = message(0, 0, 0, -1, "a", "one") + message(0, 0, 1, -1, "b", "two");
  Converted c = to_batch(wrapper(0, 1, 1, inner));
  CHECK(c.records.header.compression() == 1);
  CHECK(c.records.header.base_timestamp == -1);
  REQUIRE(c.records.records.size() == 2);
  CHECK(c.records.records[1].key == "b");
  CHECK(c.records.records[1].value == "two");
}

TEST_CASE("legacy produce: several wrappers and plain messages in one set make one batch") {
  const std::string first = message(1, 0, 0, 10, "a", "1") + message(1, 0, 1, 11, "b", "2");
  const std::string second = message(1, 0, 0, 12, "c", "3");
  const std::string like("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);  // the Java client's framing
  Converted c = to_batch(wrapper(1, 2, 1, first, like) + wrapper(1, 2, 0, second, like) +
                         message(1, 0, 0, 13, "d", "4"));
  CHECK(c.records.header.compression() == 2);
  CHECK(c.records.header.records_count == 4);
  CHECK(c.records.header.max_timestamp == 13);
  std::string payload(batch_payload(c.batch));
  CHECK(payload.compare(0, 8, like.substr(0, 8)) == 0);  // xerial framing kept
  std::vector<std::string> values;
  for (const RecordView& v : c.records.records)
    values.emplace_back(v.value);
  CHECK(values == std::vector<std::string>{"1", "2", "3", "4"});
}

TEST_CASE("legacy produce: many wrappers in one set keep every record's bytes") {
  std::string set;
  for (int i = 0; i < 40; ++i)  // more wrappers than any small buffer reserved for them
    set += wrapper(1, 1, 0, message(1, 0, 0, i, "k" + std::to_string(i), "v" + std::to_string(i)));
  Converted c = to_batch(set);
  REQUIRE(c.records.records.size() == 40);
  for (int i = 0; i < 40; ++i) {
    CHECK(c.records.records[static_cast<size_t>(i)].key == "k" + std::to_string(i));
    CHECK(c.records.records[static_cast<size_t>(i)].value == "v" + std::to_string(i));
  }
}

TEST_CASE("legacy produce: LZ4 at magic 1 is read; at magic 0 it is refused with the reason") {
  const std::string inner = message(1, 0, 0, 7, "k", "lz");
  Converted c = to_batch(wrapper(1, 3, 0, inner));
  CHECK(c.records.header.compression() == 3);
  std::string why;
  CHECK(refusal(wrapper(0, 3, 0, message(0, 0, 0, -1, "k", "lz")), why) == BatchVerdict::kCorrupt);
  CHECK(why.find("LZ4") != std::string::npos);
}

TEST_CASE("legacy produce: malformed sets are refused, never expanded past the limit") {
  std::string why;
  SUBCASE("a wrong CRC") {
    std::string set = message(1, 0, 0, 1, "k", "v");
    set.back() ^= 1;
    CHECK(refusal(set, why) == BatchVerdict::kCorrupt);
    CHECK(why.find("CRC") != std::string::npos);
  }
  SUBCASE("an announced size past the set's end") {
    std::string set = message(1, 0, 0, 1, "k", "v");
    util::store_be<int32_t>(set.data() + 8, 0x7fffffff);
    CHECK(refusal(set, why) == BatchVerdict::kCorrupt);
  }
  SUBCASE("a key length past the message's end") {
    std::string body;
    WireWriter w(body);
    w.i8(1);
    w.i8(0);
    w.i64(1);
    w.i32(1 << 30);  // key length
    std::string set;
    WireWriter o(set);
    o.i64(0);
    o.i32(static_cast<int32_t>(body.size() + 8));
    o.i32(static_cast<int32_t>(zlib_crc(body + std::string(4, '\0'))));
    o.raw(body + std::string(4, '\0'));
    CHECK(refusal(set, why) == BatchVerdict::kCorrupt);
  }
  SUBCASE("a set cut inside a message") {
    std::string set = message(1, 0, 0, 1, "k", "v") + message(1, 0, 1, 1, "k", "v");
    set.resize(set.size() - 3);
    CHECK(refusal(set, why) == BatchVerdict::kCorrupt);
  }
  SUBCASE("a wrapper inside a wrapper") {
    const std::string inner = wrapper(1, 1, 0, message(1, 0, 0, 1, "k", "v"));
    CHECK(refusal(wrapper(1, 1, 0, inner), why) == BatchVerdict::kCorrupt);
    CHECK(why.find("inside") != std::string::npos);
  }
  SUBCASE("a codec the format does not have") {
    CHECK(refusal(message(1, 4, 0, 1, std::nullopt, "zstd?"), why) ==
          BatchVerdict::kUnsupportedCompression);
  }
  SUBCASE("a decompression bomb") {
    const std::string big = message(1, 0, 0, 1, "k", std::string(4 << 20, 'x'));
    CHECK(refusal(wrapper(1, 1, 0, big), why, 1 << 20) == BatchVerdict::kCorrupt);
  }
  SUBCASE("an empty set") {
    CHECK(refusal("", why) == BatchVerdict::kCorrupt);
  }
  SUBCASE("a message of magic 2") {
    std::string set = message(1, 0, 0, 1, "k", "v");
    set[16] = 2;
    util::store_be<uint32_t>(set.data() + 12, zlib_crc(std::string_view(set).substr(16)));
    CHECK(refusal(set, why) == BatchVerdict::kCorrupt);
  }
}

std::string stored(std::vector<KV> kvs, int64_t base_offset, const BatchOptions& o = {}) {
  std::string b = make_keyed_batch(kvs, o);
  set_base_offset(b.data(), base_offset);
  return b;
}

TEST_CASE("legacy fetch: plain batches become one message per record at absolute offsets") {
  const std::string batches =
      stored({{"k0", "v0"}, {std::nullopt, "v1"}}, 100) + stored({{"k2", std::nullopt}}, 102);
  for (int magic : {0, 1}) {
    CAPTURE(magic);
    std::string set;
    REQUIRE(batches_to_legacy_set(batches, magic, 1 << 20, set));
    std::vector<Seen> m = read_set(set);
    REQUIRE(m.size() == 3);
    CHECK(m[0].offset == 100);
    CHECK(m[0].magic == magic);
    CHECK(m[0].key == "k0");
    CHECK(m[0].value == "v0");
    CHECK(m[1].offset == 101);
    CHECK_FALSE(m[1].key);
    CHECK(m[2].offset == 102);
    CHECK_FALSE(m[2].value);
    // make_keyed_batch stamps record i at timestamp + i.
    CHECK(m[1].timestamp == (magic == 1 ? 1001 : -1));
  }
}

TEST_CASE("legacy fetch: a compressed batch is one wrapper of its codec") {
  const std::string batch =
      stored({{"a", "1"}, {"b", "2"}, {"c", "3"}}, 40, BatchOptions{.timestamp = 9000, .codec = 1});
  SUBCASE("magic 1: the wrapper at the last offset, inner offsets relative") {
    std::string set;
    REQUIRE(batches_to_legacy_set(batch, 1, 1 << 20, set));
    std::vector<Seen> w = read_set(set);
    REQUIRE(w.size() == 1);
    CHECK(w[0].offset == 42);
    CHECK((w[0].attributes & 7) == 1);
    CHECK(w[0].timestamp == 9002);
    std::string inner;
    REQUIRE(decompress_records(1, *w[0].value, 1 << 20, inner));
    std::vector<Seen> m = read_set(inner);
    REQUIRE(m.size() == 3);
    CHECK(m[0].offset == 0);
    CHECK(m[2].offset == 2);
    CHECK(m[2].value == "3");
  }
  SUBCASE("magic 0: inner offsets absolute") {
    std::string set;
    REQUIRE(batches_to_legacy_set(batch, 0, 1 << 20, set));
    std::vector<Seen> w = read_set(set);
    REQUIRE(w.size() == 1);
    CHECK(w[0].offset == 42);
    std::string inner;
    REQUIRE(decompress_records(1, *w[0].value, 1 << 20, inner));
    std::vector<Seen> m = read_set(inner);
    REQUIRE(m.size() == 3);
    CHECK(m[0].offset == 40);
    CHECK(m[2].offset == 42);
  }
}

TEST_CASE("legacy fetch: zstd and magic-0 LZ4 are served plain; control batches left out") {
  std::string control = stored({{"ctl", "marker"}}, 5);
  // attributes bit 5: a control batch (a transaction marker); CRC recomputed.
  util::store_be<int16_t>(control.data() + 21, 0x20);
  util::store_be<uint32_t>(control.data() + 17, crc32c(std::string_view(control).substr(21)));
  const std::string batches = stored({{"z", "zstd"}}, 3, BatchOptions{.codec = 4}) +
                              stored({{"l", "lz4"}}, 4, BatchOptions{.codec = 3}) + control +
                              stored({{"p", "plain"}}, 6);
  std::string set;
  REQUIRE(batches_to_legacy_set(batches, 0, 1 << 20, set));
  std::vector<Seen> m = read_set(set);
  REQUIRE(m.size() == 3);
  CHECK(m[0].value == "zstd");
  CHECK(m[0].attributes == 0);
  CHECK(m[1].value == "lz4");
  CHECK(m[1].attributes == 0);
  CHECK(m[2].offset == 6);
}

TEST_CASE("legacy round trip: what an old producer sent is what an old consumer reads") {
  std::string inner;
  for (int i = 0; i < 50; ++i)
    inner += message(1, 0, i, 100 + i, "key" + std::to_string(i), "value" + std::to_string(i));
  std::string batch;
  std::string why;
  REQUIRE(legacy_set_to_batch(wrapper(1, 1, 49, inner), 1 << 20, batch, why) == BatchVerdict::kOk);
  set_base_offset(batch.data(), 1000);
  std::string set;
  REQUIRE(batches_to_legacy_set(batch, 1, 1 << 20, set));
  std::vector<Seen> w = read_set(set);
  REQUIRE(w.size() == 1);
  CHECK(w[0].offset == 1049);
  std::string back;
  REQUIRE(decompress_records(1, *w[0].value, 1 << 20, back));
  std::vector<Seen> m = read_set(back);
  REQUIRE(m.size() == 50);
  for (int i = 0; i < 50; ++i) {
    CHECK(m[static_cast<size_t>(i)].key == "key" + std::to_string(i));
    CHECK(m[static_cast<size_t>(i)].value == "value" + std::to_string(i));
    CHECK(m[static_cast<size_t>(i)].timestamp == 100 + i);
  }
}

}  // namespace
}  // namespace flumen::broker
