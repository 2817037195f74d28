#include "plugins/sinks/hdfs/hdfs_sink.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "agent/pipeline/sink_processor.h"
#include "plugins/channels/file/file_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Fixture {
  fs::path dir;
  Clock::time_point now = Clock::now();
  Fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("flumen-hdfs-" + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~Fixture() { fs::remove_all(dir); }
  std::unique_ptr<HdfsSink> sink(HdfsSinkOptions o) {
    o.path = (dir / "%{kind}").string();
    o.use_local_time_stamp = true;
    auto s = std::make_unique<HdfsSink>("k1", o);
    s->attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", "k1"));
    s->set_clock([this] { return now; });
    REQUIRE(s->start().is_ok());
    return s;
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  static EventBatch events(int n, const std::string& kind = "a") {
    EventBatch b;
    for (int i = 0; i < n; ++i)
      b.add(std::string(10, 'x'), {{"kind", kind}});
    return b;
  }
};

bool in_use(const std::string& name) {
  return name.size() > 4 && name.ends_with(".tmp");
}

TEST_CASE("hdfs sink rolls by interval on its clock") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_interval_s = 30;
  o.roll_size = 0;
  o.roll_count = 0;
  auto s = f.sink(o);
  CHECK(s->deliver(Fixture::events(3)).outcome == pipeline::Delivery::kDelivered);
  REQUIRE(f.names().size() == 1);
  CHECK(in_use(f.names()[0]));
  f.now += std::chrono::seconds(29);
  s->tick(f.now);
  CHECK(in_use(f.names()[0]));
  f.now += std::chrono::seconds(2);
  s->tick(f.now);
  REQUIRE(f.names().size() == 1);
  CHECK_FALSE(in_use(f.names()[0]));  // closed and renamed
  CHECK(s->deliver(Fixture::events(1)).outcome == pipeline::Delivery::kDelivered);
  CHECK(f.names().size() == 2);  // a new file for the next event
}

TEST_CASE("hdfs sink rolls by size and by idle time, per bucket") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_interval_s = 0;
  o.roll_size = 55;  // five 11-byte lines
  o.roll_count = 0;
  o.idle_timeout_s = 10;
  auto s = f.sink(o);
  CHECK(s->deliver(Fixture::events(12, "a")).outcome == pipeline::Delivery::kDelivered);
  s->deliveries_committed();  // as its processor says after the take commits
  CHECK(s->deliver(Fixture::events(1, "b")).outcome == pipeline::Delivery::kDelivered);
  auto names = f.names();
  CHECK(std::count_if(names.begin(), names.end(), in_use) == 2);  // a's third file, b's first
  CHECK(names.size() == 4);
  f.now += std::chrono::seconds(11);
  s->tick(f.now);
  names = f.names();
  CHECK(std::count_if(names.begin(), names.end(), in_use) == 0);
  s->stop();
}

// Events "<from>".."<from+n-1>" in the bucket `kind` (no header if kind is empty).
EventBatch numbered(int from, int n, const std::string& kind) {
  EventBatch b;
  for (int i = from; i < from + n; ++i) {
    if (kind.empty())
      b.add(std::to_string(i));
    else
      b.add(std::to_string(i), {{"kind", kind}});
  }
  return b;
}

// Every line under the directory, sorted, and the files' names relative to it.
std::vector<std::string> all_lines(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted_numbers(int from, int n) {
  std::vector<std::string> out;
  for (int i = from; i < from + n; ++i)
    out.push_back(std::to_string(i));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("hdfs sink: a take that did not commit is cut out of every bucket, rolled files too") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_interval_s = 0;
  o.roll_size = 0;
  o.roll_count = 5;
  auto s = f.sink(o);
  REQUIRE(s->deliver(numbered(0, 3, "a")).outcome == pipeline::Delivery::kDelivered);
  EventBatch second = numbered(3, 4, "a");
  second.append_all(numbered(7, 2, "b"));
  // a's first file fills (3 + 2) and rolls within the batch, a second one starts, b starts.
  REQUIRE(s->deliver(second).outcome == pipeline::Delivery::kDelivered);
  s->delivery_not_committed();
  CHECK(all_lines(f.dir) == sorted_numbers(0, 3));
  REQUIRE(f.names().size() == 1);
  CHECK(in_use(f.names()[0]));  // a's first file is open again, not renamed
  // The retry lands as if the first attempt never happened; the rolled file closes after it.
  REQUIRE(s->deliver(second).outcome == pipeline::Delivery::kDelivered);
  s->tick(f.now);
  CHECK(all_lines(f.dir) == sorted_numbers(0, 9));
  auto names = f.names();
  CHECK(names.size() == 3);
  CHECK(std::count_if(names.begin(), names.end(), in_use) == 2);
  s->stop();
  CHECK(all_lines(f.dir) == sorted_numbers(0, 9));
}

TEST_CASE("hdfs sink: a restart cuts every in-use file back to the length its take committed") {
  Fixture f;
  FileChannelOptions co;
  co.data_dirs = (f.dir / "db").string();
  co.capacity = 10000;
  co.transaction_capacity = 100;
  co.minimum_required_space = 1 << 20;
  co.write_buffer_mb = 1;
  const fs::path out = f.dir / "out";
  HdfsSinkOptions o;
  o.roll_interval_s = 0;
  o.roll_size = 0;
  o.roll_count = 5;
  o.batch_size = 3;
  o.path = (out / "%{kind}").string();
  o.use_local_time_stamp = true;
  auto run = [&](auto body) {
    FileChannel channel("c1", co, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(channel.start().is_ok());
    auto sink = std::make_unique<HdfsSink>("k1", o);
    sink->attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", "k1"));
    sink->bind_channel(&channel, "k1");
    REQUIRE(sink->start().is_ok());
    pipeline::SinkSlot slot;
    slot.sink = sink.get();
    slot.channel = &channel;
    body(channel, *sink, slot);
    // As after a kill -9: the files stay as they are, in use. (The sink's destructor would
    // close and rename them, so the disk as it was is put back after it ran.)
    const fs::path snap = f.dir / "snap";
    fs::copy(out, snap, fs::copy_options::recursive);
    sink.reset();
    fs::remove_all(out);
    fs::rename(snap, out);
  };
  run([&](FileChannel& channel, HdfsSink& sink, pipeline::SinkSlot& slot) {
    REQUIRE(testing::put(channel, numbered(0, 3, "a")).is_ok());
    REQUIRE(pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady);  // 0..2 into a
    EventBatch second = numbered(3, 4, "a");
    second.append_all(numbered(7, 2, "b"));
    REQUIRE(testing::put(channel, second).is_ok());
    // The second take (a rolls within it, b starts) is written, then the agent dies.
    pipeline::TransactionGuard txn(channel.begin());
    EventBatch b;
    REQUIRE(txn->take(100, b).is_ok());
    REQUIRE(b.size() == 6);
    REQUIRE(sink.deliver(b).outcome == pipeline::Delivery::kDelivered);
    CHECK(all_lines(out) == sorted_numbers(0, 9));
  });
  run([&](FileChannel&, HdfsSink&, pipeline::SinkSlot& slot) {
    CHECK(all_lines(out) == sorted_numbers(0, 3));  // cut back at start, created files gone
    while (pipeline::drain_once(slot) == pipeline::ProcessOutcome::kReady) {
    }
  });
  CHECK(all_lines(out) == sorted_numbers(0, 9));
}

TEST_CASE("hdfs sink: the batches of a sync window are taken back one by one, newest first") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_interval_s = 0;
  o.roll_size = 55;  // five 11-byte lines
  o.roll_count = 0;
  auto s = f.sink(o);
  REQUIRE(s->groups_syncs());  // hdfs.fsync, the default
  auto bytes = [&] {
    uintmax_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(f.dir))
      if (e.is_regular_file()) n += e.file_size();
    return n;
  };
  // 1: three lines into a's first file; 2: it rolls at five lines, four go into a's second;
  // 3: b starts, and a's second gets its fifth line and rolls too.
  REQUIRE(s->deliver(Fixture::events(3, "a")).outcome == pipeline::Delivery::kDelivered);
  REQUIRE(s->deliver(Fixture::events(6, "a")).outcome == pipeline::Delivery::kDelivered);
  EventBatch third = Fixture::events(2, "b");
  third.append_all(Fixture::events(1, "a"));
  REQUIRE(s->deliver(third).outcome == pipeline::Delivery::kDelivered);
  CHECK(bytes() == 12 * 11);
  CHECK(f.names().size() == 3);  // a's two (rolled, not closed before the commit), b's
  REQUIRE(s->sync_delivered().is_ok());
  s->delivery_not_committed();  // the third: b's file goes, a's second is cut back, open
  CHECK(bytes() == 9 * 11);
  CHECK(f.names().size() == 2);
  s->delivery_not_committed();  // the second: a's second file goes, its first is open again
  CHECK(bytes() == 3 * 11);
  REQUIRE(f.names().size() == 1);
  CHECK(in_use(f.names()[0]));
  s->deliveries_committed();  // the first committed
  // Delivered again, the events land once, and the roll happens again.
  REQUIRE(s->deliver(Fixture::events(6, "a")).outcome == pipeline::Delivery::kDelivered);
  REQUIRE(s->deliver(third).outcome == pipeline::Delivery::kDelivered);
  REQUIRE(s->sync_delivered().is_ok());
  s->deliveries_committed();
  CHECK(bytes() == 12 * 11);
  auto names = f.names();
  CHECK(names.size() == 3);
  // a's two files each reached five lines and closed (renamed) with the commit; b's is open.
  CHECK(std::count_if(names.begin(), names.end(), in_use) == 1);
  CHECK(s->metrics().counter("SyncCount").get() == 2);
  s->stop();
}

TEST_CASE("hdfs sink: an event whose bucket can never be opened is rejected alone") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_count = 0;
  auto s = f.sink(o);
  { std::ofstream(f.dir / "blocker") << "a file where a bucket directory would go"; }
  EventBatch b = numbered(0, 2, "a");
  b.append_all(numbered(2, 1, "blocker"));              // a file is in the way
  b.append_all(numbered(3, 1, std::string(300, 'n')));  // a name too long
  b.append_all(numbered(4, 2, "b"));
  auto r = s->deliver(b);
  REQUIRE(r.outcome == pipeline::Delivery::kDelivered);
  CHECK(r.rejected_events == std::vector<uint32_t>{2, 3});
  CHECK(r.message.find("blocker") != std::string::npos);
  s->stop();
  auto lines = all_lines(f.dir);
  lines.erase(std::remove(lines.begin(), lines.end(), "a file where a bucket directory would go"),
              lines.end());
  CHECK(lines == std::vector<std::string>{"0", "1", "4", "5"});
}

TEST_CASE("hdfs sink: a full disk is a retry, not a rejection") {
  Fixture f;
  HdfsSinkOptions o;
  o.minimum_free_space = INT64_MAX / 2;  // more than any disk has
  auto s = f.sink(o);
  auto r = s->deliver(numbered(0, 3, "a"));
  CHECK(r.outcome == pipeline::Delivery::kRetry);
  CHECK(r.message.find("hdfs.minimumFreeSpace") != std::string::npos);
  CHECK(f.names().empty());
}

TEST_CASE("hdfs sink: header values stay inside hdfs.path; a missing one is an empty segment") {
  Fixture f;
  HdfsSinkOptions o;
  o.roll_count = 0;
  auto s = f.sink(o);
  EventBatch b = numbered(0, 1, "../../pwned");
  b.append_all(numbered(1, 1, ".."));
  b.append_all(numbered(2, 1, ""));  // no kind header: Flume writes it to "<dir>/"
  REQUIRE(s->deliver(b).outcome == pipeline::Delivery::kDelivered);
  s->stop();
  CHECK(fs::is_directory(f.dir / ".._.._pwned"));
  CHECK(fs::is_directory(f.dir / "__"));
  CHECK_FALSE(fs::exists(f.dir.parent_path().parent_path() / "pwned"));
  int top_level_files = 0;
  for (auto& e : fs::directory_iterator(f.dir))
    top_level_files += e.is_regular_file();
  CHECK(top_level_files == 1);
  CHECK(all_lines(f.dir) == sorted_numbers(0, 3));
}

}  // namespace
}  // namespace flumen::plugins
