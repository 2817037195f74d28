#pragma once
// A file channel in a temporary directory on a disk the test can fill (disk_full_fs.h), with a
// manual clock: what the disk-full and the group-commit tests share.

#include <doctest/doctest.h>
#include <rocksdb/env.h>

#include <filesystem>
#include <memory>
#include <random>

#include "agent/util/clock.h"
#include "plugins/channels/file/file_channel.h"
#include "tests/unit/plugins/channels/disk_full_fs.h"

namespace flumen::testing {

struct FileChannelFixture {
  std::filesystem::path dir;
  std::shared_ptr<DiskFullFileSystem> disk = std::make_shared<DiskFullFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(disk);
  util::ManualClock clock;
  std::shared_ptr<metrics::ComponentMetrics> metrics =
      std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1");

  FileChannelFixture() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("flumen-fcfull-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
  }
  ~FileChannelFixture() { std::filesystem::remove_all(dir); }

  plugins::FileChannelOptions options() const {
    plugins::FileChannelOptions o;
    o.data_dirs = dir.string();
    o.capacity = 100000;
    o.transaction_capacity = 1000;
    o.keep_alive_seconds = 0;
    o.minimum_required_space = 1 << 20;
    o.write_buffer_mb = 1;
    return o;
  }
  std::unique_ptr<plugins::FileChannel> make() { return make(options()); }
  std::unique_ptr<plugins::FileChannel> make(const plugins::FileChannelOptions& o) {
    auto ch = std::make_unique<plugins::FileChannel>("c1", o, metrics,
                                                     plugins::FileChannelEnv{env.get(), &clock});
    REQUIRE(ch->start().is_ok());
    return ch;
  }
};

}  // namespace flumen::testing
