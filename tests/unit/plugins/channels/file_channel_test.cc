#include "plugins/channels/file/file_channel.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "plugins/channels/file/event_codec.h"
#include "tests/unit/plugins/channels/channel_conformance.h"

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;

// A temporary directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("flumen-fc-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

FileChannelOptions options_for(const fs::path& dir, size_t capacity, size_t txn_capacity) {
  FileChannelOptions o;
  o.data_dirs = dir.string();
  o.capacity = static_cast<int64_t>(capacity);
  o.transaction_capacity = static_cast<int64_t>(txn_capacity);
  o.keep_alive_seconds = 0;
  o.minimum_required_space = 1 << 20;
  o.write_buffer_mb = 4;
  return o;
}

struct FileFixture {
  static constexpr bool kDurable = true;
  TempDir dir;
  std::unique_ptr<pipeline::Channel> make(size_t capacity, size_t txn_capacity) {
    auto ch =
        std::make_unique<FileChannel>("c1", options_for(dir.path, capacity, txn_capacity),
                                      std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch->start().is_ok());
    return ch;
  }
};

TEST_CASE("file channel passes the channel conformance suite") {
  testing::run_channel_conformance<FileFixture>();
}

TEST_CASE("event codec round-trips headers, binary bodies and empty events") {
  EventBatch b;
  b.add("plain");
  b.add(std::string("bi\0n\xff", 5), {{"k", "v"}, {"empty", ""}});
  b.add("");
  std::string value;
  encode_chunk(b, value);
  CHECK(chunk_count(value) == 3);
  EventBatch out;
  REQUIRE(decode_chunk(value, out));
  REQUIRE(out.size() == 3);
  CHECK(out.body(1) == std::string("bi\0n\xff", 5));
  CHECK(out.header(1, "empty") == std::optional<std::string_view>(""));
  CHECK(out.body(2).empty());
  EventBatch bad;
  CHECK_FALSE(decode_chunk(value.substr(0, value.size() - 2), bad));
}

TEST_CASE("file channel: a take that splits chunks, rollback, restart in the middle") {
  TempDir dir;
  auto make = [&] {
    auto ch =
        std::make_unique<FileChannel>("c1", options_for(dir.path, 10000, 100),
                                      std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch->start().is_ok());
    return ch;
  };
  {
    auto ch = make();
    for (int i = 0; i < 10; ++i)
      REQUIRE(testing::put(*ch, testing::numbered(i * 30, 30)).is_ok());
    CHECK(testing::take_bodies(*ch, 45) == testing::range_strings(0, 45));          // 1.5 chunks
    CHECK(testing::take_bodies(*ch, 20, false) == testing::range_strings(45, 20));  // rolled back
    CHECK(testing::take_bodies(*ch, 20) == testing::range_strings(45, 20));
  }
  auto ch = make();
  CHECK(ch->size() == 235);
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(65, 100));
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(165, 100));
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(265, 35));
  CHECK(ch->size() == 0);
}

TEST_CASE("file channel: markers are committed with their puts and survive a restart") {
  TempDir dir;
  auto make = [&] {
    auto ch =
        std::make_unique<FileChannel>("c1", options_for(dir.path, 10000, 100),
                                      std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch->start().is_ok());
    return ch;
  };
  {
    auto ch = make();
    {
      pipeline::TransactionGuard txn(ch->begin());
      REQUIRE(txn->put(testing::numbered(0, 5)).is_ok());
      txn->set_marker("fwd/r1/00000000000000aa", "7");
      REQUIRE(txn.commit().is_ok());
    }
    {
      pipeline::TransactionGuard txn(ch->begin());
      REQUIRE(txn->put(testing::numbered(5, 5)).is_ok());
      txn->set_marker("fwd/r1/00000000000000aa", "8");
      txn.rollback();  // neither the events nor the marker
    }
    {
      pipeline::TransactionGuard txn(ch->begin());
      REQUIRE(txn->put(testing::numbered(5, 5)).is_ok());
      txn->set_marker("fwd/r2/00000000000000bb", "3");
      REQUIRE(txn.commit().is_ok());
    }
  }
  auto ch = make();
  auto m = ch->markers("fwd/r1/");
  REQUIRE(m.size() == 1);
  CHECK(m["fwd/r1/00000000000000aa"] == "7");
  CHECK(ch->markers("fwd/").size() == 2);
  CHECK(ch->size() == 10);
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(0, 10));
}

TEST_CASE("file channel: a sink's markers go with its take commit, or alone, and survive") {
  TempDir dir;
  auto make = [&] {
    auto ch =
        std::make_unique<FileChannel>("c1", options_for(dir.path, 10000, 100),
                                      std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch->start().is_ok());
    return ch;
  };
  {
    auto ch = make();
    REQUIRE(testing::put(*ch, testing::numbered(0, 30)).is_ok());
    // Written before the output it describes, outside any transaction.
    REQUIRE(ch->save_marker("sink/k1", "intent 0").is_ok());
    {
      pipeline::TransactionGuard txn(ch->begin());
      EventBatch out;
      REQUIRE(txn->take(10, out).is_ok());
      txn->set_marker("sink/k1", "committed 10");
      REQUIRE(txn.commit().is_ok());
    }
    {
      // Rolled back: neither the take nor its marker.
      pipeline::TransactionGuard txn(ch->begin());
      EventBatch out;
      REQUIRE(txn->take(10, out).is_ok());
      txn->set_marker("sink/k1", "committed 20");
      txn.rollback();
    }
    {
      // Two takers: the later one commits first, so the head cannot move; its marker is
      // written all the same.
      pipeline::TransactionGuard older(ch->begin());
      pipeline::TransactionGuard newer(ch->begin());
      EventBatch a, b;
      REQUIRE(older->take(10, a).is_ok());  // the rolled back 10..19
      REQUIRE(newer->take(10, b).is_ok());  // 20..29
      REQUIRE(b.size() == 10);
      newer->set_marker("sink/k2", "committed 5");
      newer->set_marker("sink/gone", "x");
      REQUIRE(newer.commit().is_ok());
      older.rollback();
    }
    REQUIRE(ch->save_marker("sink/gone", "").is_ok());  // an empty value removes it
  }
  auto ch = make();
  auto m = ch->markers("sink/");
  CHECK(m == std::map<std::string, std::string>{{"sink/k1", "committed 10"},
                                                {"sink/k2", "committed 5"}});
  // The taker that committed above an outstanding take is redelivered after the restart (the
  // head stayed below it): 20 events from the 10th.
  CHECK(ch->size() == 20);
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(10, 20));
}

TEST_CASE("file channel: consumed history does not survive, and restart is not a replay") {
  TempDir dir;
  {
    FileChannel ch("c1", options_for(dir.path, 100000, 1000),
                   std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch.start().is_ok());
    for (int round = 0; round < 50; ++round) {
      REQUIRE(testing::put(ch, testing::numbered(round * 1000, 1000)).is_ok());
      REQUIRE(testing::take_bodies(ch, 1000).size() == 1000);
    }
    REQUIRE(testing::put(ch, testing::numbered(50000, 10)).is_ok());
  }
  FileChannel again("c1", options_for(dir.path, 100000, 1000),
                    std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(again.start().is_ok());
  CHECK(again.size() == 10);
  CHECK(testing::take_bodies(again, 100) == testing::range_strings(50000, 10));
}

TEST_CASE("file channel: two channels on one directory fail with a clear error") {
  TempDir dir;
  FileChannel a("c1", options_for(dir.path, 100, 10),
                std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(a.start().is_ok());
  FileChannel b("c2", options_for(dir.path, 100, 10),
                std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c2"));
  Status s = b.start();
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("another channel or agent is using this directory") != std::string::npos);
}

TEST_CASE("file channel: a put told not to wait fails at once when full") {
  TempDir dir;
  auto o = options_for(dir.path, 5, 5);
  o.keep_alive_seconds = 2;
  FileChannel ch("c1", o, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(ch.start().is_ok());
  REQUIRE(testing::put(ch, testing::numbered(0, 5)).is_ok());
  testing::check_put_without_waiting(ch);
}

TEST_CASE("file channel: below minimumRequiredSpace puts fail as backpressure") {
  TempDir dir;
  auto o = options_for(dir.path, 100, 10);
  o.minimum_required_space = INT64_MAX / 2;  // more than any disk has
  FileChannel ch("c1", o, std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(ch.start().is_ok());
  Status s = testing::put(ch, testing::numbered(0, 3));
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == ErrorCode::kChannelFull);
  CHECK(s.message().find("minimumRequiredSpace") != std::string::npos);
  CHECK(ch.size() == 0);
}

TEST_CASE("file channel: concurrent commits share syncs (group commit)") {
  TempDir dir;
  auto metrics = std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1");
  FileChannel ch("c1", options_for(dir.path, 1'000'000, 100), metrics);
  REQUIRE(ch.start().is_ok());
  constexpr int kThreads = 4, kCommits = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i)
        REQUIRE(testing::put(ch, testing::numbered(t * 100000 + i * 10, 10)).is_ok());
    });
  for (auto& t : threads)
    t.join();
  CHECK(ch.size() == kThreads * kCommits * 10);
  int64_t syncs = metrics->counter("SyncCount").get();
  MESSAGE("syncs for " << kThreads * kCommits << " commits: " << syncs);
  CHECK(syncs < kThreads * kCommits);  // some commits shared a sync
  CHECK(syncs > 0);
}

}  // namespace
}  // namespace flumen::plugins

namespace flumen::plugins {
namespace {

TEST_CASE("file channel: rollback after a restart returns the same events in order") {
  TempDir dir;
  {
    FileChannel ch("c1", options_for(dir.path, 1000, 100),
                   std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch.start().is_ok());
    REQUIRE(testing::put(ch, testing::numbered(0, 50)).is_ok());
  }
  FileChannel ch("c1", options_for(dir.path, 1000, 100),
                 std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(ch.start().is_ok());
  CHECK(testing::take_bodies(ch, 30, false) == testing::range_strings(0, 30));
  CHECK(ch.size() == 50);
  CHECK(testing::take_bodies(ch, 50) == testing::range_strings(0, 50));
}

TEST_CASE("file channel: a corrupt chunk is reported as corruption, naming the way out") {
  TempDir dir;
  {
    FileChannel ch("c1", options_for(dir.path, 1000, 100),
                   std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
    REQUIRE(ch.start().is_ok());
    REQUIRE(testing::put(ch, testing::numbered(0, 5)).is_ok());
  }
  {
    // Damage the stored chunk behind the channel's back.
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir.path.string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string key(9, '\0');
    key[0] = 'e';
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, std::string("\x05\x00\x00\x00\xff", 5)).ok());
  }
  FileChannel ch("c1", options_for(dir.path, 1000, 100),
                 std::make_shared<metrics::ComponentMetrics>("CHANNEL", "c1"));
  REQUIRE(ch.start().is_ok());
  pipeline::TransactionGuard t(ch.begin());
  EventBatch out;
  Status s = t->take(10, out);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == ErrorCode::kCorruption);
  CHECK(s.message().find("flumen repair-channel") != std::string::npos);
  CHECK(out.empty());
}

}  // namespace
}  // namespace flumen::plugins
