#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "broker/groups/offset_store.h"
#include "broker/storage/topic_store.h"
#include "broker/storage/txn_state.h"
#include "broker/txn/txn_coordinator.h"
#include "tests/unit/broker/batch_builder.h"

using namespace flumen::broker;
namespace fs = std::filesystem;

namespace {

// A producer's batch with the transactional bit set (CRC recomputed).
std::string txn_batch(const std::vector<std::string>& values, int64_t pid, int16_t epoch,
                      int32_t seq) {
  std::string b = testing::make_batch(values, 1000, {pid, epoch, seq});
  b[22] = static_cast<char>(b[22] | kTransactionalBit);
  const uint32_t crc = crc32c(std::string_view(b).substr(21));
  for (int i = 0; i < 4; ++i)
    b[17 + i] = static_cast<char>(crc >> (24 - 8 * i));
  return b;
}

// Appends like Produce does: the log, then the partition's transaction state.
int64_t append(Topic& t, const std::string& batch) {
  auto base = t.partitions[0]->append(batch);
  REQUIRE(base.is_ok());
  BatchHeader h;
  REQUIRE(read_batch_header(batch, h));
  h.base_offset = base.value();
  t.txns[0].on_batch(h, false);
  return base.value();
}

struct Dir {
  fs::path path;
  explicit Dir(const char* name)
      : path(fs::temp_directory_path() / (std::string(name) + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("marker batches: control and transactional bits, type in the key, valid CRC") {
  for (bool commit : {false, true}) {
    const std::string m = make_marker_batch(9, 2, commit, 5000);
    BatchHeader h;
    REQUIRE(read_batch_header(m, h));
    CHECK(h.is_control());
    CHECK((h.attributes & kTransactionalBit) != 0);
    CHECK(h.producer_id == 9);
    CHECK(h.producer_epoch == 2);
    CHECK(h.records_count == 1);
    CHECK(batch_crc_ok(m));
    CHECK(control_type(m) == (commit ? 1 : 0));
  }
  CHECK(control_type(testing::make_batch({"x"})) == -1);  // not a control batch
}

TEST_CASE("partition transactions: last stable offset and aborted ranges") {
  PartitionTxns p;
  BatchHeader h;
  h.attributes = kTransactionalBit;
  h.producer_id = 1;
  h.base_offset = 10;
  p.on_batch(h, false);
  h.base_offset = 12;
  p.on_batch(h, false);  // same transaction: the first offset stays 10
  h.producer_id = 2;
  h.base_offset = 14;
  p.on_batch(h, false);
  CHECK(p.last_stable_offset(20) == 10);
  BatchHeader marker;
  marker.attributes = kTransactionalBit | kControlBit;
  marker.producer_id = 1;
  marker.base_offset = 20;
  p.on_batch(marker, false);  // producer 1 aborts
  CHECK(p.last_stable_offset(21) == 14);
  marker.producer_id = 2;
  marker.base_offset = 21;
  p.on_batch(marker, true);  // producer 2 commits
  CHECK(p.last_stable_offset(22) == 22);
  CHECK(p.open_count() == 0);
  auto a = p.aborted_in(0, 22);
  REQUIRE(a.size() == 1);
  CHECK(a[0].producer_id == 1);
  CHECK(a[0].first_offset == 10);
  CHECK(a[0].last_offset == 20);
  CHECK(p.aborted_in(21, 30).empty());  // after the abort marker
  CHECK(p.aborted_in(0, 10).empty());   // before the transaction
}

TEST_CASE("transaction coordinator: init, produce, commit, abort, fencing, offsets") {
  Dir dir("flumen-txn-");
  LogConfig lc;
  auto store = TopicStore::open(dir.path.string(), lc).value();
  auto offsets = OffsetStore::open((dir.path / "offsets").string()).value();
  auto ids = ProducerIds::open(dir.path.string()).value();
  std::string why;
  REQUIRE(store->create("t", 1, why) == 0);
  Topic& t = *store->find("t");
  auto coord = TxnCoordinator::open(dir.path.string()).value();

  auto first = coord->init("app", 60000, -1, -1, *store, *offsets, ids, 1000, true);
  REQUIRE(first.error == 0);
  CHECK(first.epoch == 0);
  CHECK(coord->init("app", 0, -1, -1, *store, *offsets, ids, 1000, true).error ==
        txn_error::kInvalidTransactionTimeout);
  const int64_t pid = first.producer_id;

  // Not added yet: refused. Added: accepted.
  CHECK(coord->check_produce(pid, 0, "t", 0) == txn_error::kInvalidTxnState);
  CHECK(coord->add_partition("app", pid, 0, "t", 0, 1000) == 0);
  REQUIRE(coord->persist().is_ok());
  CHECK(coord->check_produce(pid, 0, "t", 0) == 0);
  CHECK(coord->check_produce(pid, 1, "t", 0) == txn_error::kInvalidProducerEpoch);
  append(t, txn_batch({"a", "b"}, pid, 0, 0));
  CHECK(t.txns[0].last_stable_offset(t.partitions[0]->log_end_offset()) == 0);

  // Offsets staged with the transaction are invisible until the commit.
  CHECK(coord->stage_offsets("app", pid, 0, "g", {{"t", 0, 5, ""}}) ==
        txn_error::kInvalidTxnState);  // AddOffsetsToTxn first
  CHECK(coord->add_group("app", pid, 0, "g", 1000) == 0);
  CHECK(coord->stage_offsets("app", pid, 0, "g", {{"t", 0, 5, "", 4}}) == 0);
  CHECK(!offsets->get("g", "t", 0).has_value());
  // The staged offsets, leader epoch included, are in the coordinator's file.
  REQUIRE(coord->persist().is_ok());
  coord = TxnCoordinator::open(dir.path.string()).value();
  CHECK(coord->end("app", pid, 0, true, *store, *offsets, 1000) == 0);
  CHECK(offsets->get("g", "t", 0).value().offset == 5);
  CHECK(offsets->get("g", "t", 0).value().leader_epoch == 4);
  CHECK(t.partitions[0]->log_end_offset() == 3);  // 2 records and the commit marker
  CHECK(t.txns[0].last_stable_offset(3) == 3);
  // A retried EndTxn gets the same answer; the other decision is refused.
  CHECK(coord->end("app", pid, 0, true, *store, *offsets, 1000) == 0);
  CHECK(coord->end("app", pid, 0, false, *store, *offsets, 1000) == txn_error::kInvalidTxnState);

  // An aborted transaction: its range is listed, its offsets dropped.
  REQUIRE(coord->add_partition("app", pid, 0, "t", 0, 1000) == 0);
  REQUIRE(coord->add_group("app", pid, 0, "g", 1000) == 0);
  REQUIRE(coord->stage_offsets("app", pid, 0, "g", {{"t", 0, 9, ""}}) == 0);
  append(t, txn_batch({"c"}, pid, 0, 2));
  CHECK(coord->end("app", pid, 0, false, *store, *offsets, 1000) == 0);
  CHECK(offsets->get("g", "t", 0).value().offset == 5);
  auto aborted = t.txns[0].aborted_in(0, 10);
  REQUIRE(aborted.size() == 1);
  CHECK(aborted[0].first_offset == 3);
  CHECK(aborted[0].last_offset == 4);

  // A second incarnation fences the first.
  REQUIRE(coord->add_partition("app", pid, 0, "t", 0, 1000) == 0);
  append(t, txn_batch({"zombie"}, pid, 0, 3));
  auto second = coord->init("app", 60000, -1, -1, *store, *offsets, ids, 1000, true);
  REQUIRE(second.error == 0);
  CHECK(second.producer_id == pid);
  CHECK(second.epoch == 1);
  CHECK(t.partitions[0]->log_end_offset() == 7);  // the zombie's transaction was aborted
  CHECK(t.txns[0].open_count() == 0);
  CHECK(coord->end("app", pid, 0, true, *store, *offsets, 1000) == txn_error::kProducerFenced);
  CHECK(coord->add_partition("app", pid, 0, "t", 0, 1000) == txn_error::kProducerFenced);
  CHECK(coord->check_produce(pid, 0, "t", 0) == txn_error::kInvalidProducerEpoch);
  CHECK(coord->end("other", pid, 1, true, *store, *offsets, 1000) ==
        txn_error::kInvalidProducerIdMapping);
  // KIP-360: the current producer may bump with its epoch; a stale one is fenced.
  CHECK(coord->init("app", 60000, pid, 1, *store, *offsets, ids, 1000, true).epoch == 2);
  CHECK(coord->init("app", 60000, pid + 1, 2, *store, *offsets, ids, 1000, true).error ==
        txn_error::kProducerFenced);
}

TEST_CASE("transactions survive a restart: an open one is aborted at re-init or timeout") {
  Dir dir("flumen-txn-restart-");
  LogConfig lc;
  int64_t pid = -1;
  {
    auto store = TopicStore::open(dir.path.string(), lc).value();
    auto offsets = OffsetStore::open((dir.path / "offsets").string()).value();
    auto ids = ProducerIds::open(dir.path.string()).value();
    std::string why;
    REQUIRE(store->create("t", 1, why) == 0);
    auto coord = TxnCoordinator::open(dir.path.string()).value();
    for (const char* id : {"a", "b"}) {
      auto r = coord->init(id, 5000, -1, -1, *store, *offsets, ids, 1000, true);
      REQUIRE(coord->add_partition(id, r.producer_id, 0, "t", 0, 1000) == 0);
      REQUIRE(coord->persist().is_ok());
      append(*store->find("t"), txn_batch({id}, r.producer_id, 0, 0));
      if (std::string(id) == "a") pid = r.producer_id;
    }
    REQUIRE(store->find("t")->partitions[0]->flush().is_ok());
  }  // the broker "crashes" with both transactions open
  auto store = TopicStore::open(dir.path.string(), lc).value();
  auto offsets = OffsetStore::open((dir.path / "offsets").string()).value();
  auto ids = ProducerIds::open(dir.path.string()).value();
  auto coord = TxnCoordinator::open(dir.path.string()).value();
  REQUIRE(coord->recover(*store, *offsets, 2000).is_ok());
  Topic& t = *store->find("t");
  CHECK(coord->open_transactions() == 2);
  CHECK(t.txns[0].open_count() == 2);  // rebuilt from the log
  CHECK(t.txns[0].last_stable_offset(2) == 0);
  // "a" initialises again: same producer id, bumped epoch, its transaction aborted.
  auto again = coord->init("a", 5000, -1, -1, *store, *offsets, ids, 2000, true);
  REQUIRE(again.error == 0);
  CHECK(again.producer_id == pid);
  CHECK(again.epoch == 1);
  CHECK(t.txns[0].last_stable_offset(t.partitions[0]->log_end_offset()) == 1);  // b's batch
  // "b" never comes back: aborted when transaction.timeout.ms (5 s from 1000) has passed.
  CHECK(coord->expire(*store, *offsets, 5000) == 0);
  CHECK(coord->expire(*store, *offsets, 6001) == 1);
  CHECK(t.txns[0].open_count() == 0);
  CHECK(t.txns[0].last_stable_offset(t.partitions[0]->log_end_offset()) ==
        t.partitions[0]->log_end_offset());
  CHECK(t.txns[0].aborted_in(0, 100).size() == 2);
  // And all of it again from disk.
  store.reset();
  auto store2 = TopicStore::open(dir.path.string(), lc);
  REQUIRE(store2.is_ok());
  CHECK(store2.value()->find("t")->txns[0].aborted_in(0, 100).size() == 2);
  auto coord2 = TxnCoordinator::open(dir.path.string()).value();
  CHECK(coord2->open_transactions() == 0);
}

TEST_CASE("a transaction the coordinator's file lost is recovered from the logs") {
  Dir dir("flumen-txn-lost-");
  LogConfig lc;
  const fs::path file = dir.path / "transactions";
  {
    auto store = TopicStore::open(dir.path.string(), lc).value();
    auto offsets = OffsetStore::open((dir.path / "offsets").string()).value();
    auto ids = ProducerIds::open(dir.path.string()).value();
    std::string why;
    REQUIRE(store->create("t", 1, why) == 0);
    auto coord = TxnCoordinator::open(dir.path.string()).value();
    auto known = coord->init("known", 60000, -1, -1, *store, *offsets, ids, 1000, true);
    auto lost = coord->init("lost", 60000, -1, -1, *store, *offsets, ids, 1000, true);
    fs::copy_file(file, dir.path / "before");  // both initialised, nothing open
    for (auto [id, r] : {std::pair{"known", known}, std::pair{"lost", lost}}) {
      REQUIRE(coord->add_partition(id, r.producer_id, 0, "t", 0, 1000) == 0);
      append(*store->find("t"), txn_batch({id}, r.producer_id, 0, 0));
    }
    REQUIRE(coord->persist().is_ok());
  }
  // The file goes back to before the transactions began, and forgets "lost" altogether.
  {
    auto c = TxnCoordinator::open(dir.path.string()).value();  // parses the current one
    CHECK(c->open_transactions() == 2);
  }
  fs::remove(file);
  fs::copy_file(dir.path / "before", file);
  {
    std::ifstream in(file);
    std::string line, kept;
    while (std::getline(in, line))
      if (line.rfind("T x6c6f7374", 0) != 0) kept += line + "\n";  // hex of "lost"
    std::ofstream(file, std::ios::trunc) << kept;
  }
  auto store = TopicStore::open(dir.path.string(), lc).value();
  auto offsets = OffsetStore::open((dir.path / "offsets").string()).value();
  auto coord = TxnCoordinator::open(dir.path.string()).value();
  Topic& t = *store->find("t");
  CHECK(t.txns[0].open_count() == 2);
  REQUIRE(coord->recover(*store, *offsets, 5000).is_ok());
  CHECK(t.txns[0].open_count() == 1);      // the orphan was aborted at once
  CHECK(coord->open_transactions() == 1);  // "known" is open again, its timeout from now
  CHECK(coord->expire(*store, *offsets, 5000 + 60000) == 0);
  CHECK(coord->expire(*store, *offsets, 5000 + 60001) == 1);
  CHECK(t.txns[0].open_count() == 0);
  CHECK(t.txns[0].aborted_in(0, 100).size() == 2);
}
