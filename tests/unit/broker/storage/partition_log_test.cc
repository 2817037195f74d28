#include "broker/storage/partition_log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "broker/protocol/record_batch.h"
#include "tests/unit/broker/batch_builder.h"
#include "tests/unit/broker/storage/keyed_batches.h"
#include "tests/unit/broker/storage/temp_dir.h"

using namespace flumen;
using namespace flumen::broker;
using flumen::broker::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Offsets of the batches in `bytes`.
std::vector<int64_t> batch_offsets(const std::string& bytes) {
  std::vector<int64_t> out;
  size_t pos = 0;
  BatchHeader h;
  while (read_batch_header(std::string_view(bytes).substr(pos), h)) {
    out.push_back(h.base_offset);
    pos += h.total_size();
  }
  return out;
}

}  // namespace

TEST_CASE("appends get consecutive offsets; reads start at the batch holding the offset") {
  TempDir dir;
  LogConfig cfg;
  cfg.index_interval_bytes = 100;
  auto log = PartitionLog::open(dir.path.string(), cfg).value();
  for (int i = 0; i < 50; ++i)
    CHECK(log->append(testing::make_batch({"a", "b", "c"}, 1000 + i)).value() == i * 3);
  CHECK(log->log_end_offset() == 150);
  std::string out;
  REQUIRE(log->read(31, 1 << 20, true, out).is_ok());
  auto offsets = batch_offsets(out);
  REQUIRE(!offsets.empty());
  CHECK(offsets.front() == 30);
  CHECK(offsets.back() == 147);
  // A byte limit smaller than one batch still returns the first batch whole (KIP-74).
  out.clear();
  REQUIRE(log->read(0, 10, true, out).is_ok());
  CHECK(batch_offsets(out) == std::vector<int64_t>{0});
  int64_t ts = 0;
  CHECK(log->offset_for_timestamp(1020, ts) == 60);
  CHECK(ts == 1020);
  CHECK(log->offset_for_timestamp(999999, ts) == -1);
}

TEST_CASE("offsets for times find the record inside a batch, not the batch's base offset") {
  TempDir dir;
  auto log = PartitionLog::open(dir.path.string(), LogConfig{}).value();
  REQUIRE(log->append(testing::make_batch({"x"}, 500)).is_ok());
  // One batch, CreateTime 1000, 2000, 3000, 4000: offsets 1..4.
  REQUIRE(log->append(testing::make_batch({"a", "b", "c", "d"}, 1000, {}, 1000)).is_ok());
  int64_t ts = 0;
  CHECK(log->offset_for_timestamp(2000, ts) == 2);
  CHECK(ts == 2000);
  CHECK(log->offset_for_timestamp(2500, ts) == 3);
  CHECK(ts == 3000);
  CHECK(log->offset_for_timestamp(1000, ts) == 1);
  CHECK(log->offset_for_timestamp(600, ts) == 1);
  CHECK(log->offset_for_timestamp(4001, ts) == -1);
  CHECK(log->offset_of_max_timestamp(ts) == 4);
  CHECK(ts == 4000);
}

TEST_CASE("offsets for times find the record inside a compressed batch too") {
  // Producers compress by default (librdkafka lz4/zstd, the Java client's batches): answering
  // the batch's base offset made `kcat -o s@ts` and offsetsForTimes replay up to a batch early.
  for (int codec : {1, 2, 3, 4}) {  // gzip, snappy, lz4, zstd
    CAPTURE(codec);
    TempDir dir;
    auto log = PartitionLog::open(dir.path.string(), LogConfig{}).value();
    REQUIRE(log->append(testing::make_batch({"x"}, 500)).is_ok());
    testing::BatchOptions o;
    o.codec = codec;
    o.timestamp = 1000;  // records at 1000, 1001, 1002, 1003: offsets 1..4
    REQUIRE(
        log->append(testing::make_keyed_batch({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}, o))
            .is_ok());
    int64_t ts = 0;
    CHECK(log->offset_for_timestamp(1002, ts) == 3);
    CHECK(ts == 1002);
    CHECK(log->offset_for_timestamp(1000, ts) == 1);
    CHECK(ts == 1000);
    CHECK(log->offset_for_timestamp(1004, ts) == -1);
    CHECK(log->offset_of_max_timestamp(ts) == 4);
    CHECK(ts == 1003);
  }
}

TEST_CASE("segments roll by size, survive a reopen, and retention drops the oldest") {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 1000;
  cfg.retention_bytes = 3000;
  {
    auto log = PartitionLog::open(dir.path.string(), cfg).value();
    for (int i = 0; i < 100; ++i)
      REQUIRE(log->append(testing::make_batch({std::string(50, 'x')})).is_ok());
    CHECK(log->segment_count() > 5);
  }
  auto log = PartitionLog::open(dir.path.string(), cfg).value();
  CHECK(log->log_end_offset() == 100);
  CHECK(log->recovered_truncation() == 0);
  std::string out;
  REQUIRE(log->read(0, 1 << 20, true, out).is_ok());
  CHECK(batch_offsets(out).size() == 100);
  CHECK(log->enforce_retention(0) > 0);
  CHECK(log->log_start_offset() > 0);
  // As Kafka: whole segments go while the rest still holds retention.bytes.
  CHECK(log->size_bytes() < 3000 + 1000);
  CHECK(log->size_bytes() >= 3000);
}

TEST_CASE("a torn tail (crash mid-append) is cut at the last whole batch") {
  TempDir dir;
  {
    auto log = PartitionLog::open(dir.path.string(), LogConfig()).value();
    for (int i = 0; i < 10; ++i)
      REQUIRE(log->append(testing::make_batch({"payload"})).is_ok());
  }
  fs::path seg = dir.path / "00000000000000000000.log";
  auto full = fs::file_size(seg);
  fs::resize_file(seg, full - 5);  // the last batch loses its end
  auto log = PartitionLog::open(dir.path.string(), LogConfig()).value();
  CHECK(log->log_end_offset() == 9);
  CHECK(log->recovered_truncation() > 0);
  CHECK(log->append(testing::make_batch({"next"})).value() == 9);
}

TEST_CASE("a sync round takes each dirty log once; a failed round leaves it to the next") {
  TempDir dir;
  auto log = PartitionLog::open(dir.path.string(), LogConfig{}).value();
  CHECK(log->take_dirty_fd() == -1);  // nothing appended yet
  REQUIRE(log->append(testing::make_batch({"x"})).is_ok());
  int fd = log->take_dirty_fd();
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(log->take_dirty_fd() == -1);  // taken by the round in flight
  log->mark_dirty();                  // ... which failed
  fd = log->take_dirty_fd();
  CHECK(fd >= 0);
  if (fd >= 0) ::close(fd);
}

TEST_CASE(
    "DeleteRecords' start offset hides what is below, drops whole segments, survives a "
    "reopen") {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 1000;
  {
    auto log = PartitionLog::open(dir.path.string(), cfg).value();
    for (int i = 0; i < 100; ++i)
      REQUIRE(log->append(testing::make_batch({std::string(50, 'x')})).is_ok());
    const size_t segments = log->segment_count();
    CHECK(log->advance_start(45).value() == 45);
    CHECK(log->log_start_offset() == 45);
    CHECK(log->segment_count() < segments);       // the segments wholly below 45 are gone
    CHECK(log->advance_start(10).value() == 45);  // lower: nothing changes
  }
  auto log = PartitionLog::open(dir.path.string(), cfg).value();
  CHECK(log->log_start_offset() == 45);
  CHECK(log->log_end_offset() == 100);
  // Everything: the active segment is rolled so that it can go too; appends go on at 100.
  CHECK(log->advance_start(100).value() == 100);
  CHECK(log->segment_count() == 1);
  CHECK(log->append(testing::make_batch({"after"})).value() == 100);
  std::string out;
  REQUIRE(log->read(100, 1 << 20, true, out).is_ok());
  CHECK(batch_offsets(out) == std::vector<int64_t>{100});
  // Never beyond the log end.
  CHECK(log->advance_start(5000).value() == 101);
}

TEST_CASE("a stray file named like a segment is not taken for one when the log is reopened") {
  TempDir dir;
  {
    auto log = PartitionLog::open(dir.path.string(), LogConfig{}).value();
    REQUIRE(log->append(testing::make_batch({"a", "b"}, 1000)).is_ok());
  }
  // 24 characters ending in .log, as a segment's name, but not a base offset (an editor's or a
  // copy tool's leftover): reopening used to throw from std::stoll and take the broker down.
  std::ofstream(dir.path / "not-a-base-offset-xy.log") << "junk";
  auto reopened = PartitionLog::open(dir.path.string(), LogConfig{});
  REQUIRE(reopened.is_ok());
  CHECK(reopened.value()->log_end_offset() == 2);
  CHECK(reopened.value()->segment_count() == 1);
}
