#include "plugins/sinks/hdfs/hdfs_sink.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

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

}  // namespace
}  // namespace flumen::plugins
