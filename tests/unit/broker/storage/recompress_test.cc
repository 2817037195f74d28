// compression.type naming a codec: the topic config is accepted and applied, and a produced
// batch is recompressed with it, keeping everything but its codec (librdkafka's 0081_admin
// creates topics with compression.type=lz4, which the broker refused with INVALID_CONFIG).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "broker/storage/batch_records.h"
#include "broker/storage/topic_config.h"
#include "tests/unit/broker/storage/keyed_batches.h"

using namespace flumen::broker;
using namespace flumen::broker::testing;

namespace {

struct Record {
  std::optional<std::string> key;
  bool has_value;
  int64_t offset_delta;
  int64_t timestamp;
  bool operator==(const Record&) const = default;
};

std::vector<Record> records_of(std::string_view batch) {
  BatchRecords r;
  REQUIRE(read_batch_records(batch, 1 << 30, r));
  std::vector<Record> out;
  for (const RecordView& v : r.records)
    out.push_back({v.has_key ? std::optional<std::string>(std::string(v.key)) : std::nullopt,
                   v.has_value, v.offset_delta, r.header.base_timestamp + v.timestamp_delta});
  return out;
}

}  // namespace

TEST_CASE(
    "topic config: compression.type is accepted and names the codec batches are stored with") {
  std::string why;
  for (const char* type : {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"})
    CHECK_MESSAGE(validate_topic_config("compression.type", type, why) == 0, type << ": " << why);
  CHECK(validate_topic_config("compression.type", "brotli", why) == 40);

  const LogConfig broker;
  CHECK(broker.compression_codec == kStoreAsProduced);
  CHECK(effective_log_config(broker, {{"compression.type", "producer"}}).compression_codec ==
        kStoreAsProduced);
  CHECK(effective_log_config(broker, {{"compression.type", "uncompressed"}}).compression_codec ==
        0);
  CHECK(effective_log_config(broker, {{"compression.type", "lz4"}}).compression_codec == 3);
  CHECK(effective_log_config(broker, {{"compression.type", "zstd"}}).compression_codec == 4);
}

TEST_CASE("recompress_batch: every codec to every other, records and producer fields kept") {
  const std::vector<KV> kvs = {
      {"car-1", "parked"}, {"car-2", std::nullopt}, {std::nullopt, "no key"}, {"car-1", "moving"}};
  for (int from = 0; from <= 4; ++from) {
    for (int to = 0; to <= 4; ++to) {
      CAPTURE(from);
      CAPTURE(to);
      BatchOptions o;
      o.codec = from;
      o.producer_id = 7;
      o.producer_epoch = 2;
      o.base_sequence = 40;
      o.transactional = true;
      const std::string original = make_keyed_batch(kvs, o);
      std::string out;
      REQUIRE(recompress_batch(original, to, 1 << 20, out));
      BatchHeader before, after;
      REQUIRE(read_batch_header(original, before));
      REQUIRE(read_batch_header(out, after));
      CHECK(batch_crc_ok(out));
      CHECK(after.total_size() == out.size());
      CHECK(after.compression() == to);
      CHECK((after.attributes & ~0x7) == (before.attributes & ~0x7));  // transactional kept
      CHECK(after.base_offset == before.base_offset);
      CHECK(after.last_offset_delta == before.last_offset_delta);
      CHECK(after.base_timestamp == before.base_timestamp);
      CHECK(after.max_timestamp == before.max_timestamp);
      CHECK(after.producer_id == 7);
      CHECK(after.producer_epoch == 2);
      CHECK(after.base_sequence == 40);
      CHECK(after.records_count == 4);
      CHECK(records_of(out) == records_of(original));
    }
  }
}

TEST_CASE("recompress_batch: a batch inflating past the limit is not expanded") {
  BatchOptions o;
  o.codec = 4;
  const std::string big = make_keyed_batch({{"k", std::string(1 << 16, 'x')}}, o);
  std::string out;
  CHECK_FALSE(recompress_batch(big, 3, 1 << 10, out));
  CHECK(recompress_batch(big, 3, 1 << 20, out));
}
