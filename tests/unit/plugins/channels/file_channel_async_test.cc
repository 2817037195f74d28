// The file channel's asynchronous put commits (Transaction::commit_async): commits in flight
// share one write and one sync, their dones come once each and in order, a later commit's
// marker wins, and a failed write fails every commit it carried and, through their chain, every
// later one. Against real RocksDB in a temporary directory (and the fake full disk).
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "plugins/channels/file/file_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"
#include "tests/unit/plugins/channels/file_channel_fixture.h"

namespace flumen::plugins {
namespace {

using namespace std::chrono_literals;

struct AsyncFixture : testing::FileChannelFixture {
  // The committer waits `window` before it takes the queue: what is queued meanwhile merges.
  std::unique_ptr<FileChannel> make(std::chrono::microseconds window = 200ms,
                                    int64_t capacity = 100000) {
    FileChannelOptions o = options();
    o.capacity = capacity;
    o.group_commit_window_us = window.count();
    return FileChannelFixture::make(o);
  }
  int64_t syncs() const { return metrics->counter("SyncCount").get(); }
};

// Commits in flight, and what their dones said, in the order they were called.
struct InFlight {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<pipeline::Transaction>> txns;
  std::vector<std::pair<size_t, Status>> dones;  // (commit index, outcome)

  void commit(pipeline::Channel& ch, const EventBatch& events, const std::string& marker,
              const std::shared_ptr<pipeline::CommitChain>& chain = nullptr, bool wait = true) {
    auto txn = ch.begin();
    txn->set_wait_for_space(wait);
    REQUIRE(txn->put(events).is_ok());
    txn->set_marker("src/pos", marker);
    auto* basic = dynamic_cast<pipeline::BasicTransaction*>(txn.get());
    REQUIRE(basic != nullptr);
    basic->set_commit_chain(chain);
    pipeline::Transaction* t = txn.get();
    size_t index;
    {
      std::lock_guard lock(mu);
      index = txns.size();
      txns.push_back(std::move(txn));
    }
    t->commit_async([this, index](Status s) {
      std::lock_guard lock(mu);
      dones.emplace_back(index, std::move(s));
      cv.notify_all();
    });
  }
  // What the done of commit `index` said (a refusal at once can come before an earlier
  // commit's done from the committer).
  Status outcome(size_t index) {
    std::lock_guard lock(mu);
    for (const auto& [i, s] : dones)
      if (i == index) return s;
    FAIL("commit " << index << " has no done");
    return Status::ok();
  }
  // Every commit's done ran (a bounded wait for the committer thread, not a timing assertion).
  bool wait_all() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 30s, [&] { return dones.size() >= txns.size(); });
  }
};

TEST_CASE("file channel: async commits in flight share one sync; dones once each, in order") {
  AsyncFixture f;
  auto ch = f.make();
  const int64_t before = f.syncs();
  InFlight fl;
  for (int i = 0; i < 5; ++i)
    fl.commit(*ch, testing::numbered(i * 10, 10), "at " + std::to_string(i));
  REQUIRE(fl.wait_all());
  REQUIRE(fl.dones.size() == 5);
  for (size_t i = 0; i < fl.dones.size(); ++i) {
    CHECK(fl.dones[i].first == i);  // in the order committed, each once
    CHECK(fl.dones[i].second.is_ok());
  }
  MESSAGE("syncs for 5 commits in flight: " << f.syncs() - before);
  CHECK(f.syncs() - before < 5);  // merged (1 unless the test thread was descheduled 200 ms)
  CHECK(f.syncs() - before >= 1);
  CHECK(ch->size() == 50);
  // The later commit's marker is what the merged write left, in order in the queue.
  CHECK(ch->markers("src/").at("src/pos") == "at 4");
  fl.txns.clear();
  ch.reset();
  auto again = f.make();
  CHECK(again->markers("src/").at("src/pos") == "at 4");
  CHECK(testing::take_bodies(*again, 100) == testing::range_strings(0, 50));
}

TEST_CASE("file channel: synchronous commits from several threads merge with async ones") {
  AsyncFixture f;
  auto ch = f.make(50ms);
  const int64_t before = f.syncs();
  InFlight fl;
  fl.commit(*ch, testing::numbered(0, 10), "async");
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back(
        [&, t] { CHECK(testing::put(*ch, testing::numbered(100 + t * 10, 10)).is_ok()); });
  for (auto& t : threads)
    t.join();
  REQUIRE(fl.wait_all());
  CHECK(fl.dones.at(0).second.is_ok());
  CHECK(ch->size() == 40);
  MESSAGE("syncs for 4 commits: " << f.syncs() - before);
  CHECK(f.syncs() - before < 4);
}

TEST_CASE(
    "file channel: a failed write fails every merged commit, once each; later ones of "
    "the chain fail unwritten") {
  AsyncFixture f;
  auto ch = f.make();
  REQUIRE(testing::put(*ch, testing::numbered(0, 5)).is_ok());
  auto chain = std::make_shared<pipeline::CommitChain>();
  f.disk->set_full(true);
  InFlight fl;
  for (int i = 0; i < 4; ++i)
    fl.commit(*ch, testing::numbered(100 + i * 10, 10), "at " + std::to_string(i), chain);
  REQUIRE(fl.wait_all());
  REQUIRE(fl.dones.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(fl.dones[i].first == i);
    CHECK_FALSE(fl.dones[i].second.is_ok());
  }
  CHECK(ch->size() == 5);
  // The disk has room again and the database recovered (no restart): a commit of the broken
  // chain is still refused, unwritten, so nothing lands behind the failed ones' backs.
  f.disk->set_full(false);
  f.clock.advance(2s);
  InFlight late;
  late.commit(*ch, testing::numbered(200, 10), "late", chain);
  REQUIRE(late.wait_all());
  CHECK_FALSE(late.dones.at(0).second.is_ok());
  CHECK(late.dones.at(0).second.message().find("earlier commit") != std::string::npos);
  CHECK(ch->size() == 5);
  CHECK(ch->markers("src/").empty());
  // A new chain commits again; the refused commits released their room.
  InFlight retry;
  retry.commit(*ch, testing::numbered(100, 40), "retried",
               std::make_shared<pipeline::CommitChain>());
  REQUIRE(retry.wait_all());
  CHECK(retry.dones.at(0).second.is_ok());
  CHECK(ch->markers("src/").at("src/pos") == "retried");
  fl.txns.clear();
  late.txns.clear();
  retry.txns.clear();
  ch.reset();
  auto again = f.make();
  std::vector<std::string> want = testing::range_strings(0, 5);
  for (const auto& s : testing::range_strings(100, 40))
    want.push_back(s);
  CHECK(again->markers("src/").at("src/pos") == "retried");
  CHECK(testing::take_bodies(*again, 100) == want);
}

TEST_CASE("file channel: a chain refuses only the commits after the failed one") {
  AsyncFixture f;
  auto ch = f.make(0us);
  auto chain = std::make_shared<pipeline::CommitChain>();
  InFlight fl;
  fl.commit(*ch, testing::numbered(0, 10), "first", chain);  // ticket 0
  REQUIRE(fl.wait_all());
  chain->fail(1);  // as if the commit of ticket 1 had failed
  fl.commit(*ch, testing::numbered(10, 10), "second", chain);  // ticket 1: the failed one
  fl.commit(*ch, testing::numbered(20, 10), "third", chain);   // ticket 2: after it
  REQUIRE(fl.wait_all());
  CHECK(fl.outcome(0).is_ok());
  CHECK(fl.outcome(1).is_ok());  // not after itself
  CHECK_FALSE(fl.outcome(2).is_ok());
  CHECK(ch->size() == 20);
  CHECK(ch->markers("src/").at("src/pos") == "second");
}

TEST_CASE("file channel: a full channel fails an async commit at once, before it returns") {
  AsyncFixture f;
  auto ch = f.make(0us, 20);
  REQUIRE(testing::put(*ch, testing::numbered(0, 20)).is_ok());
  InFlight fl;
  fl.commit(*ch, testing::numbered(20, 5), "full", nullptr, false);
  {
    std::lock_guard lock(fl.mu);  // no wait: the done ran on this thread already
    REQUIRE(fl.dones.size() == 1);
    CHECK(fl.dones[0].second.code() == ErrorCode::kChannelFull);
  }
  CHECK(ch->size() == 20);
}

TEST_CASE("file channel: stop writes the async commits queued; after it they fail at once") {
  AsyncFixture f;
  auto ch = f.make(100ms);
  InFlight fl;
  fl.commit(*ch, testing::numbered(0, 10), "a");
  // Stopping while it waits in the queue: it is written before the channel closes.
  ch->stop();
  REQUIRE(fl.wait_all());
  CHECK(fl.dones.at(0).second.is_ok());
  // After stop, commits are refused at once, not queued for a committer that is gone.
  fl.commit(*ch, testing::numbered(10, 10), "b");
  REQUIRE(fl.wait_all());
  CHECK_FALSE(fl.dones.at(1).second.is_ok());
  fl.txns.clear();
  ch.reset();
  auto again = f.make();
  CHECK(testing::take_bodies(*again, 100) == testing::range_strings(0, 10));
}

}  // namespace
}  // namespace flumen::plugins

namespace flumen::plugins {
namespace {

TEST_CASE("a group commit waits for more commits only when the last sync was shared") {
  using std::chrono::microseconds;
  // Set by the conf: always that long.
  CHECK(group_commit_delay(500, true, 1, microseconds(0)) == microseconds(500));
  // Adaptive: a lone writer never waits, whatever the sync cost.
  CHECK(group_commit_delay(0, true, 1, microseconds(400)) == microseconds(0));
  CHECK(group_commit_delay(0, true, 0, microseconds(400)) == microseconds(0));
  // Several commits shared the last sync: half its time, at most 200 us.
  CHECK(group_commit_delay(0, true, 4, microseconds(300)) == microseconds(150));
  CHECK(group_commit_delay(0, true, 8, microseconds(5000)) == microseconds(200));
  // Without a sync per commit nothing is gained by waiting.
  CHECK(group_commit_delay(0, false, 8, microseconds(300)) == microseconds(0));
}

}  // namespace
}  // namespace flumen::plugins
