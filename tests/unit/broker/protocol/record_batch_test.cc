#include "broker/protocol/record_batch.h"

#include <doctest/doctest.h>

#include "tests/unit/broker/batch_builder.h"

using namespace flumen::broker;

TEST_CASE("CRC-32C matches the standard check value") {
  CHECK(crc32c("123456789") == 0xE3069283u);
}

TEST_CASE("a producer's batch passes, and every kind of damage is named") {
  std::string b = testing::make_batch({"a", "bc", "def"});
  BatchHeader h;
  std::string why;
  REQUIRE(check_produced_batch(b, 7, 1 << 20, h, why) == BatchVerdict::kOk);
  CHECK(h.records_count == 3);
  CHECK(h.last_offset_delta == 2);

  std::string flipped = b;
  flipped.back() ^= 1;
  CHECK(check_produced_batch(flipped, 7, 1 << 20, h, why) == BatchVerdict::kCorrupt);
  CHECK(why == "CRC-32C mismatch");
  CHECK(check_produced_batch(b + b, 7, 1 << 20, h, why) == BatchVerdict::kInvalidRecord);
  CHECK(check_produced_batch(b.substr(0, b.size() - 1), 7, 1 << 20, h, why) ==
        BatchVerdict::kCorrupt);
  CHECK(check_produced_batch(b, 7, 10, h, why) == BatchVerdict::kTooLarge);
  std::string v1 = b;
  v1[16] = 1;
  CHECK(check_produced_batch(v1, 7, 1 << 20, h, why) == BatchVerdict::kInvalidRecord);
  CHECK(check_produced_batch("short", 7, 1 << 20, h, why) == BatchVerdict::kInvalidRecord);
}

TEST_CASE("rewriting the base offset keeps the CRC valid") {
  std::string b = testing::make_batch({"x"});
  set_base_offset(b.data(), 123456789);
  CHECK(batch_crc_ok(b));
  BatchHeader h;
  REQUIRE(read_batch_header(b, h));
  CHECK(h.base_offset == 123456789);
}
