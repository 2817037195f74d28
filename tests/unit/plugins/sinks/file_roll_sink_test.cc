#include "plugins/sinks/file_roll/file_roll_sink.h"

#include <doctest/doctest.h>
#include <rocksdb/env.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "agent/pipeline/sink_processor.h"
#include "plugins/channels/file/file_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"
#include "tests/unit/plugins/channels/disk_full_fs.h"

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Fixture {
  fs::path dir;
  Fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("flumen-roll-" + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~Fixture() { fs::remove_all(dir); }
  FileRollSinkOptions options() const {
    FileRollSinkOptions o;
    o.directory = (dir / "out").string();
    o.roll_interval_s = 0;
    return o;
  }
  std::unique_ptr<FileRollSink> sink(FileRollSinkOptions o) {
    auto s = std::make_unique<FileRollSink>("k1", o);
    s->attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", "k1"));
    REQUIRE(s->start().is_ok());
    return s;
  }
  std::string output() const {
    std::string all;
    std::vector<fs::path> paths;  // in name order: the order they were written
    for (auto& e : fs::directory_iterator(dir / "out"))
      paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
    return all;
  }
};

std::string lines(int from, int count) {
  std::string out;
  for (int i = from; i < from + count; ++i)
    out += std::to_string(i) + "\n";
  return out;
}

TEST_CASE("file_roll: a batch whose take did not commit is cut out of the file") {
  Fixture f;
  auto sink = f.sink(f.options());
  REQUIRE(sink->deliver(testing::numbered(0, 10)).outcome == pipeline::Delivery::kDelivered);
  REQUIRE(sink->deliver(testing::numbered(10, 10)).outcome == pipeline::Delivery::kDelivered);
  sink->delivery_not_committed();
  CHECK(f.output() == lines(0, 10));
  // The retry writes the batch once; a second call without a delivery takes nothing back.
  REQUIRE(sink->deliver(testing::numbered(10, 10)).outcome == pipeline::Delivery::kDelivered);
  sink->tick(std::chrono::steady_clock::now());
  sink->delivery_not_committed();
  CHECK(f.output() == lines(0, 20));
}

TEST_CASE("file_roll: overlapping windows sync on the sink's thread and are cut back in order") {
  Fixture f;
  auto sink = f.sink(f.options());
  REQUIRE(sink->overlaps_syncs());  // sink.fsync, the default
  auto deliver = [&](int from) {
    REQUIRE(sink->deliver(testing::numbered(from, 10)).outcome == pipeline::Delivery::kDelivered);
  };
  deliver(0);
  deliver(10);
  sink->begin_sync(2);  // window 1: 0..19, synced in the background
  deliver(20);
  sink->begin_sync(1);                      // window 2: 20..29
  REQUIRE(sink->sync_delivered().is_ok());  // window 1's sync
  sink->deliveries_committed();
  CHECK(sink->metrics().counter("SyncCount").get() >= 1);
  deliver(30);
  sink->begin_sync(1);  // window 3: 30..39
  // Window 2 fails to commit: window 3 goes back first, then window 2.
  sink->delivery_not_committed();
  sink->delivery_not_committed();
  CHECK(f.output() == lines(0, 20));
  // Nothing is open any more: a window of the next takes is synced on its own.
  deliver(20);
  sink->begin_sync(1);
  REQUIRE(sink->sync_delivered().is_ok());
  sink->deliveries_committed();
  sink->delivery_not_committed();  // nothing open: takes nothing back
  CHECK(f.output() == lines(0, 30));
}

TEST_CASE("file_roll: a full disk under the file channel leaves every event in the output once") {
  Fixture f;
  auto disk = std::make_shared<testing::DiskFullFileSystem>();
  auto env = rocksdb::NewCompositeEnv(disk);
  util::ManualClock clock;
  FileChannelOptions co;
  co.data_dirs = (f.dir / "db").string();
  co.capacity = 10000;
  co.transaction_capacity = 100;
  co.minimum_required_space = 1 << 20;
  co.write_buffer_mb = 1;
  FileChannel channel("c1", co, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"),
                      FileChannelEnv{env.get(), &clock});
  REQUIRE(channel.start().is_ok());
  // One sync window of batches of ten, and twenty events more.
  const int window = static_cast<int>(pipeline::kSyncWindow) * 10, total = window + 20;
  for (int i = 0; i < total; i += 10)
    REQUIRE(testing::put(channel, testing::numbered(i, 10)).is_ok());
  auto o = f.options();
  o.batch_size = 10;
  auto sink = f.sink(o);
  pipeline::SinkSlot slot;
  slot.sink = sink.get();
  slot.channel = &channel;
  // One sync window: its batches of ten, one fdatasync, a take commit each.
  REQUIRE(pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady);
  CHECK(f.output() == lines(0, window));
  CHECK(sink->metrics().counter("SyncCount").get() == 1);
  // The disk fills: the sink's write succeeds (its file is elsewhere in this test), the take
  // commit fails again and again.
  disk->set_full(true);
  for (int i = 0; i < 20; ++i) {
    CHECK(pipeline::drain_once(slot) == pipeline::ProcessOutcome::kFailed);
    clock.advance(300ms);
  }
  CHECK(f.output() == lines(0, window));
  // Space returns: the channel recovers, every event is written exactly once.
  disk->set_full(false);
  clock.advance(2s);
  while (pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady) {
  }
  CHECK(f.output() == lines(0, total));
  CHECK(channel.size() == 0);
}

TEST_CASE("file_roll: a restart cuts the open file back to the length committed with the take") {
  Fixture f;
  FileChannelOptions co;
  co.data_dirs = (f.dir / "db").string();
  co.capacity = 10000;
  co.transaction_capacity = 100;
  co.minimum_required_space = 1 << 20;
  co.write_buffer_mb = 1;
  auto o = f.options();
  o.batch_size = 10;
  auto run = [&](auto body) {
    FileChannel channel("c1", co, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(channel.start().is_ok());
    auto sink = std::make_unique<FileRollSink>("k1", o);
    sink->attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", "k1"));
    sink->bind_channel(&channel, "k1");
    REQUIRE(sink->start().is_ok());
    pipeline::SinkSlot slot;
    slot.sink = sink.get();
    slot.channel = &channel;
    body(channel, *sink, slot);
    // No stop(): as after a kill -9, whatever the sink wrote stays in its file.
  };
  run([&](FileChannel& channel, FileRollSink& sink, pipeline::SinkSlot& slot) {
    REQUIRE(testing::put(channel, testing::numbered(0, 20)).is_ok());
    REQUIRE(pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady);  // two batches
    REQUIRE(testing::put(channel, testing::numbered(20, 10)).is_ok());
    // The third take is written and synced, then the agent dies before its commit.
    pipeline::TransactionGuard txn(channel.begin());
    EventBatch b;
    REQUIRE(txn->take(10, b).is_ok());
    REQUIRE(sink.deliver(b).outcome == pipeline::Delivery::kDelivered);
    CHECK(f.output() == lines(0, 30));
  });
  run([&](FileChannel&, FileRollSink&, pipeline::SinkSlot& slot) {
    CHECK(f.output() == lines(0, 20));  // cut back at start
    while (pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady) {
    }
    CHECK(f.output() == lines(0, 30));
    // Rolled to a new file that a kill leaves after its first, uncommitted batch.
  });
  size_t files = 0;
  for (auto& e : fs::directory_iterator(f.dir / "out"))
    files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 2);  // the cut file is closed for good: the next run writes a new one
  run([&](FileChannel& channel, FileRollSink& sink, pipeline::SinkSlot&) {
    REQUIRE(testing::put(channel, testing::numbered(30, 10)).is_ok());
    pipeline::TransactionGuard txn(channel.begin());
    EventBatch b;
    REQUIRE(txn->take(10, b).is_ok());
    REQUIRE(sink.deliver(b).outcome == pipeline::Delivery::kDelivered);  // a new, third file
  });
  run([&](FileChannel&, FileRollSink&, pipeline::SinkSlot& slot) {
    CHECK(f.output() == lines(0, 30));  // the file it created is gone: it held nothing committed
    while (pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady) {
    }
  });
  CHECK(f.output() == lines(0, 40));
}

TEST_CASE("file_roll: below sink.minimumFreeSpace a batch is retried, not written") {
  Fixture f;
  auto o = f.options();
  o.minimum_free_space = INT64_MAX / 2;  // more than any disk has
  auto sink = f.sink(o);
  auto r = sink->deliver(testing::numbered(0, 3));
  CHECK(r.outcome == pipeline::Delivery::kRetry);
  CHECK(r.message.find("sink.minimumFreeSpace") != std::string::npos);
  CHECK(f.output().empty());
}

TEST_CASE("file_roll: header_and_text escapes line breaks in headers, so no line is forged") {
  Fixture f;
  auto o = f.options();
  o.serializer = "header_and_text";
  auto sink = f.sink(o);
  EventBatch b;
  b.add("body", {{"host", "a\n{forged=1} evil"}, {"path", "c:\\x\r"}});
  REQUIRE(sink->deliver(b).outcome == pipeline::Delivery::kDelivered);
  CHECK(f.output() == "{host=a\\n{forged=1} evil, path=c:\\\\x\\r} body\n");
}

}  // namespace
}  // namespace flumen::plugins
