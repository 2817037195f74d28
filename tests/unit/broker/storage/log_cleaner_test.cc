#include "broker/storage/log_cleaner.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "broker/storage/offset_map.h"
#include "broker/storage/segment_swap.h"
#include "broker/storage/topic_store.h"
#include "broker/storage/txn_state.h"
#include "tests/unit/broker/storage/keyed_batches.h"
#include "tests/unit/broker/storage/temp_dir.h"

using namespace flumen;
using namespace flumen::broker;
using namespace flumen::broker::testing;
namespace fs = std::filesystem;

namespace {

// A broker's store with one compacted topic "cars" (one partition), a cleaner on an injected
// clock running inline.
struct Fixture {
  TempDir dir;
  int64_t now = 1'000'000;
  std::unique_ptr<TopicStore> store;
  CleanerConfig cleaner_config;
  std::unique_ptr<LogCleaner> cleaner;

  explicit Fixture(TopicConfigs configs = {}) {
    configs.emplace("cleanup.policy", "compact");
    configs.emplace("segment.bytes", "600");
    configs.emplace("min.cleanable.dirty.ratio", "0.01");
    open();
    std::string why;
    REQUIRE(store->create("cars", 1, configs, why) == 0);
  }
  void open() {
    cleaner.reset();
    store.reset();
    store = TopicStore::open(dir.path.string(), LogConfig{}).value();
    cleaner = std::make_unique<LogCleaner>(
        cleaner_config, [this] { return now; }, false);
  }
  Topic& topic() { return *store->find("cars"); }
  PartitionLog& log() { return *topic().partitions[0]; }
  // Appends as Produce does, the transaction state included.
  int64_t append(const std::string& batch) {
    const int64_t base = log().append(batch).value();
    BatchHeader h;
    REQUIRE(read_batch_header(batch, h));
    h.base_offset = base;
    topic().txns[0].on_batch(h, h.is_control() && control_type(batch) == 1);
    return base;
  }
  int64_t put(const std::string& key, std::optional<std::string> value, BatchOptions o = {}) {
    return append(make_keyed_batch({{key, std::move(value)}}, o));
  }
  // Rolls the active segment by filling it with keys nobody else uses.
  void roll() {
    const size_t before = log().segment_count();
    for (int i = 0; log().segment_count() == before; ++i)
      put("filler-" + std::to_string(log().log_end_offset()), "x");
  }
  bool clean() { return cleaner->clean_now(*store); }
};

// The records the cleaner should leave: the last per key among offsets < `cleaned_to`, every
// record from there on.
std::vector<LoggedRecord> expected_after_clean(const std::vector<LoggedRecord>& before,
                                               int64_t cleaned_to) {
  std::map<std::string, int64_t> last;
  for (const LoggedRecord& r : before)
    if (r.offset < cleaned_to && r.key) last[*r.key] = r.offset;
  std::vector<LoggedRecord> out;
  for (const LoggedRecord& r : before)
    if (r.offset >= cleaned_to || (r.key && last[*r.key] == r.offset)) out.push_back(r);
  return out;
}

// Steps 1 and 2 of the next clean, without the swap.
CleanOutcome clean_without_swap(Fixture& f) {
  auto job = f.cleaner->plan(*f.store);
  REQUIRE(job);
  CleanerStats stats;
  std::atomic<bool> stop{false};
  auto outcome = clean_log(*job, f.cleaner_config, stats, stop);
  REQUIRE(outcome.is_ok());
  return std::move(outcome).value();
}

}  // namespace

TEST_CASE("the cleaner keeps the latest record per key at its offset; the tail stays") {
  Fixture f;
  // Smart cars: 10 cars report their status 30 times each.
  for (int round = 0; round < 30; ++round)
    for (int car = 0; car < 10; ++car)
      f.put("car-" + std::to_string(car), "status-" + std::to_string(round));
  const int64_t end = f.log().log_end_offset();
  const int64_t start = f.log().log_start_offset();
  const auto before = read_log(f.log());
  const int64_t active_base = f.log().segment_infos().back().base;
  REQUIRE(f.log().segment_count() > 3);

  REQUIRE(f.clean());
  const auto after = read_log(f.log());
  CHECK(after == expected_after_clean(before, active_base));
  CHECK(f.log().log_end_offset() == end);
  CHECK(f.log().log_start_offset() == start);
  CHECK(f.log().clean_offset() == active_base);
  // Each car once below the active segment, with its latest status there.
  std::map<std::string, int> seen;
  for (const LoggedRecord& r : after)
    if (r.offset < active_base) ++seen[*r.key];
  CHECK(seen.size() == 10);
  for (const auto& [k, n] : seen)
    CHECK(n == 1);
  CHECK(f.cleaner->stats().records_removed > 0);
  CHECK(f.cleaner->stats().bytes_written < f.cleaner->stats().bytes_read);

  // Fetching from a removed offset starts at the next one that is left.
  const auto tail = read_log(f.log(), 1);
  REQUIRE(!tail.empty());
  CHECK(tail.front().offset == after[after.front().offset >= 1 ? 0 : 1].offset);
  // ListOffsets by time answers an offset that exists.
  int64_t ts = 0;
  const int64_t o = f.log().offset_for_timestamp(0, ts);
  CHECK(o == after.front().offset);

  // The same after a restart, and appends go on at the old end.
  f.open();
  CHECK(read_log(f.log()) == after);
  CHECK(f.put("car-1", "after-restart") == end);
}

TEST_CASE("a second clean removes what newer records supersede, nothing else") {
  Fixture f;
  for (int round = 0; round < 10; ++round)
    for (int car = 0; car < 5; ++car)
      f.put("car-" + std::to_string(car), "r" + std::to_string(round));
  REQUIRE(f.clean());
  for (int car = 0; car < 3; ++car)
    f.put("car-" + std::to_string(car), "new");
  f.roll();
  const auto before = read_log(f.log());
  const int64_t active_base = f.log().segment_infos().back().base;
  REQUIRE(f.clean());
  CHECK(read_log(f.log()) == expected_after_clean(before, active_base));
}

TEST_CASE("tombstones stay for delete.retention.ms after the clean that first keeps them") {
  Fixture f(TopicConfigs{{"delete.retention.ms", "5000"}});
  f.put("car-1", "parked");
  f.put("car-2", "driving");
  const int64_t tomb = f.put("car-1", std::nullopt);
  f.roll();
  REQUIRE(f.clean());  // at now: car-1's value goes, its tombstone gets a horizon of now + 5 s
  auto keys = [&] {
    std::vector<std::pair<std::string, bool>> out;
    for (const LoggedRecord& r : read_log(f.log()))
      if (!r.key->starts_with("filler")) out.emplace_back(*r.key, r.value.has_value());
    return out;
  };
  using KeyState = std::vector<std::pair<std::string, bool>>;
  CHECK(keys() == KeyState{{"car-2", true}, {"car-1", false}});
  const auto records = read_log(f.log());
  // The tombstone keeps its offset and timestamp although its batch now carries the horizon.
  bool found = false;
  for (const LoggedRecord& r : records)
    if (r.offset == tomb) {
      found = true;
      CHECK(r.timestamp == 1000);
    }
  CHECK(found);

  f.now += 4999;
  f.roll();
  REQUIRE(f.clean());
  CHECK(keys() == KeyState{{"car-2", true}, {"car-1", false}});
  f.now += 2;
  f.roll();
  REQUIRE(f.clean());
  CHECK(keys() == KeyState{{"car-2", true}});
  CHECK(f.cleaner->stats().tombstones_removed == 1);
}

TEST_CASE("compressed batches are filtered and recompressed with their codec") {
  struct Codec {
    int id;
    bool xerial;
  };
  for (Codec c :
       {Codec{1, false}, Codec{2, false}, Codec{2, true}, Codec{3, false}, Codec{4, false}}) {
    CAPTURE(c.id);
    CAPTURE(c.xerial);
    Fixture f;
    BatchOptions o;
    o.codec = c.id;
    o.xerial = c.xerial;
    const int64_t base = f.append(make_keyed_batch(
        {{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}, {"a", "5"}, {"b", std::nullopt}}, o));
    f.roll();
    REQUIRE(f.clean());
    std::vector<LoggedBatch> batches;
    const auto records = read_log(f.log(), 0, &batches);
    REQUIRE(!batches.empty());
    const BatchHeader& h = batches.front().header;
    CHECK(batches.front().crc_ok);
    CHECK(h.compression() == c.id);
    CHECK(h.base_offset == base);
    CHECK(h.last_offset_delta == 5);  // the batch still spans its offsets
    CHECK(h.records_count == 3);
    std::vector<std::pair<int64_t, std::string>> got;
    for (const LoggedRecord& r : records)
      if (r.offset <= base + 5) got.emplace_back(r.offset, *r.key);
    CHECK(got == std::vector<std::pair<int64_t, std::string>>{
                     {base + 3, "c"}, {base + 4, "a"}, {base + 5, "b"}});
    if (c.id == 2) {
      // The framing stays what the producer used.
      std::string bytes;
      REQUIRE(f.log().read(base, 1 << 20, true, bytes).is_ok());
      CHECK((bytes.substr(kBatchHeaderSize, 8) == std::string("\x82SNAPPY\0", 8)) == c.xerial);
    }
  }
}

TEST_CASE("keyless records are found in plain and compressed batches") {
  CHECK(!has_keyless_record(make_keyed_batch({{"k", "v"}}), 1 << 20));
  CHECK(has_keyless_record(make_keyed_batch({{"k", "v"}, {std::nullopt, "v"}}), 1 << 20));
  BatchOptions o;
  o.codec = 4;
  CHECK(has_keyless_record(make_keyed_batch({{std::nullopt, "v"}}, o), 1 << 20));
  CHECK(!has_keyless_record(make_keyed_batch({{"k", "v"}}, o), 1 << 20));
}

TEST_CASE("the active segment, open transactions and min.compaction.lag.ms are not cleaned") {
  SUBCASE("active segment only") {
    Fixture f;
    for (int i = 0; i < 3; ++i)
      f.put("car-1", std::to_string(i));
    CHECK(!f.clean());
    CHECK(read_log(f.log()).size() == 3);
  }
  SUBCASE("min.compaction.lag.ms") {
    Fixture f(TopicConfigs{{"min.compaction.lag.ms", "60000"}});
    BatchOptions o;
    o.timestamp = f.now - 1000;  // a second old
    for (int i = 0; i < 3; ++i)
      f.put("car-1", std::to_string(i), o);
    f.roll();
    CHECK(!f.clean());
    f.now += 60000;
    CHECK(f.clean());
  }
  SUBCASE("an open transaction holds back everything from its first batch") {
    Fixture f;
    f.put("car-1", "a");
    f.put("car-1", "b");
    f.roll();
    BatchOptions tx;
    tx.producer_id = 7;
    tx.producer_epoch = 0;
    tx.base_sequence = 0;
    tx.transactional = true;
    const int64_t open_at = f.put("car-1", "in-txn", tx);
    f.put("car-1", "c");
    f.roll();
    f.roll();
    REQUIRE(f.clean());
    const auto records = read_log(f.log());
    // Below the transaction: car-1's latest there is "b" (the others are later).
    std::vector<std::string> car1;
    for (const LoggedRecord& r : records)
      if (*r.key == "car-1") car1.push_back(*r.value);
    CHECK(car1 == std::vector<std::string>{"b", "in-txn", "c"});
    CHECK(f.log().clean_offset() > 0);
    CHECK(f.log().clean_offset() <= open_at);
  }
}

TEST_CASE("aborted transactions go; markers stay while their data does, then after the horizon") {
  Fixture f(TopicConfigs{{"delete.retention.ms", "1000"}});
  BatchOptions tx;
  tx.producer_id = 7;
  tx.producer_epoch = 0;
  tx.transactional = true;
  tx.base_sequence = 0;
  f.put("car-1", "aborted-1", tx);
  tx.base_sequence = 1;
  f.put("car-2", "aborted-2", tx);
  f.append(make_marker_batch(7, 0, false, 1000));
  tx.base_sequence = 2;
  f.put("car-1", "committed", tx);
  const int64_t commit_at = f.append(make_marker_batch(7, 0, true, 1000));
  f.roll();
  REQUIRE(f.clean());
  std::vector<LoggedBatch> batches;
  auto records = read_log(f.log(), 0, &batches);
  std::vector<std::string> values;
  for (const LoggedRecord& r : records)
    if (!r.key->starts_with("filler")) values.push_back(*r.value);
  CHECK(values == std::vector<std::string>{"committed"});
  auto markers = [&] {
    std::vector<LoggedBatch> bs;
    (void)read_log(f.log(), 0, &bs);
    std::vector<int64_t> out;
    for (const LoggedBatch& b : bs)
      if (b.header.is_control()) out.push_back(b.header.base_offset);
    return out;
  };
  // The abort marker has nothing left to end: it goes after its horizon. The commit marker ends
  // a transaction whose record is still there: it stays.
  CHECK(markers().size() == 2);
  f.now += 1001;
  f.roll();
  REQUIRE(f.clean());
  CHECK(markers() == std::vector<int64_t>{commit_at});
  CHECK(f.cleaner->stats().markers_removed == 1);
  // car-1 written again: the committed record goes, but its batch is producer 7's last, so it
  // stays empty (as Kafka keeps it, for the producer's sequence) and so does its marker.
  f.put("car-1", "later");
  f.roll();
  REQUIRE(f.clean());
  f.now += 1001;
  f.roll();
  REQUIRE(f.clean());
  CHECK(markers() == std::vector<int64_t>{commit_at});
  std::vector<LoggedBatch> left;
  (void)read_log(f.log(), 0, &left);
  for (const LoggedBatch& b : left)
    if (b.header.producer_id == 7 && !b.header.is_control()) CHECK(b.header.records_count == 0);
  // The transaction state rebuilt from the cleaned log has nothing open.
  f.open();
  CHECK(f.topic().txns[0].open_count() == 0);
}

TEST_CASE("an emptied batch that is its producer's last stays, empty, for the sequence check") {
  Fixture f;
  BatchOptions idem;
  idem.producer_id = 3;
  idem.producer_epoch = 0;
  idem.base_sequence = 0;
  f.put("car-1", "a", idem);
  idem.base_sequence = 1;
  const int64_t last = f.put("car-1", "b", idem);
  f.put("car-1", "c");  // a non-idempotent producer supersedes both
  f.roll();
  REQUIRE(f.clean());
  std::vector<LoggedBatch> batches;
  (void)read_log(f.log(), 0, &batches);
  std::vector<std::pair<int64_t, int32_t>> producer_batches;
  for (const LoggedBatch& b : batches)
    if (b.header.producer_id == 3)
      producer_batches.emplace_back(b.header.base_offset, b.header.records_count);
  CHECK(producer_batches == std::vector<std::pair<int64_t, int32_t>>{{last, 0}});
  // After a restart the producer's next sequence is still expected.
  f.open();
  CHECK(f.topic().sequences[0].check(3, 0, 1, 0).duplicate_of == last);
  CHECK(f.topic().sequences[0].check(3, 0, 2, 0).error == 0);
}

TEST_CASE("a dedupe buffer too small for the dirty part cleans it over several rounds") {
  Fixture f;
  for (int round = 0; round < 4; ++round)
    for (int car = 0; car < 400; ++car)
      f.put("car-" + std::to_string(car), "r" + std::to_string(round));
  const auto before = read_log(f.log());
  const int64_t active_base = f.log().segment_infos().back().base;
  f.cleaner_config.dedupe_buffer_bytes = 300 * OffsetMap::kSlotBytes;  // ~270 keys
  f.cleaner = std::make_unique<LogCleaner>(
      f.cleaner_config, [&f] { return f.now; }, false);
  int rounds = 0;
  while (f.clean())
    ++rounds;
  CHECK(rounds > 4);
  CHECK(f.log().clean_offset() == active_base);
  CHECK(read_log(f.log()) == expected_after_clean(before, active_base));
}

TEST_CASE("a crash at any step of a swap leaves the old log or the cleaned one") {
  TempDir scratch;
  fs::path cleaned_dir, template_dir = scratch.path / "template";
  std::vector<LoggedRecord> original, cleaned;
  int64_t base = 0, end = 0;
  {
    Fixture f(TopicConfigs{{"segment.bytes", "100000"}});
    for (int round = 0; round < 20; ++round)
      for (int car = 0; car < 5; ++car)
        f.put("car-" + std::to_string(car), "r" + std::to_string(round));
    // Many small segments, cleaned into one group.
    TopicConfigs small = f.topic().configs;
    small["segment.bytes"] = "300";
    REQUIRE(f.store->set_configs(f.topic(), small).is_ok());
    for (int car = 0; car < 30; ++car)
      f.put("car-" + std::to_string(car % 5), "late");
    TopicConfigs big = small;
    big["segment.bytes"] = "100000";
    REQUIRE(f.store->set_configs(f.topic(), big).is_ok());
    original = read_log(f.log());
    REQUIRE(f.log().segment_count() > 3);
    const CleanOutcome outcome = clean_without_swap(f);
    REQUIRE(outcome.groups.size() == 1);
    base = outcome.groups[0].base;
    end = outcome.groups[0].end;
    fs::copy(f.log().dir(), template_dir, fs::copy_options::recursive);
    cleaned = expected_after_clean(original, end);
  }
  // No cleaner-swap: the clean never happened.
  {
    const fs::path w = scratch.path / "no-commit";
    fs::copy(template_dir, w, fs::copy_options::recursive);
    auto log = PartitionLog::open(w.string(), LogConfig{}).value();
    CHECK(read_log(*log) == original);
    for (const auto& e : fs::directory_iterator(w))
      CHECK(!e.path().string().ends_with(".cleaned"));
  }
  // Committed, then killed after k file operations: recovery completes the swap.
  for (size_t k = 0;; ++k) {
    CAPTURE(k);
    const fs::path w = scratch.path / ("crash-" + std::to_string(k));
    fs::copy(template_dir, w, fs::copy_options::recursive);
    REQUIRE(commit_swap(w.string(), base, end, k).is_ok());
    const bool finished = !fs::exists(w / kSwapManifest);
    auto log = PartitionLog::open(w.string(), LogConfig{}).value();
    CHECK(read_log(*log) == cleaned);
    CHECK(!fs::exists(w / kSwapManifest));
    // The cleaned segment's index serves a read from the middle.
    const auto from_mid = read_log(*log, cleaned[cleaned.size() / 2].offset);
    CHECK(from_mid.front() == cleaned[cleaned.size() / 2]);
    if (finished) break;
    REQUIRE(k < 100);
  }
}

TEST_CASE("a clean of a log that changed meanwhile is dropped") {
  Fixture f;
  for (int round = 0; round < 10; ++round)
    for (int car = 0; car < 5; ++car)
      f.put("car-" + std::to_string(car), "r" + std::to_string(round));
  const CleanOutcome outcome = clean_without_swap(f);
  // DeleteRecords removed the first segment in the meantime.
  REQUIRE(f.log().advance_start(f.log().segment_infos()[1].base).is_ok());
  const auto before = read_log(f.log());
  const auto& g = outcome.groups.front();
  CHECK(f.log().swap_in_cleaned(g.base, g.end, g.replaced).code() == ErrorCode::kUnavailable);
  CHECK(read_log(f.log()) == before);
}

TEST_CASE("the background cleaner swaps in on poll while appends go on") {
  Fixture f;
  f.cleaner = std::make_unique<LogCleaner>(
      f.cleaner_config, [&f] { return f.now; }, true);
  for (int round = 0; round < 20; ++round)
    for (int car = 0; car < 10; ++car)
      f.put("car-" + std::to_string(car), "r" + std::to_string(round));
  const int64_t active_base = f.log().segment_infos().back().base;
  std::vector<LoggedRecord> expected = expected_after_clean(read_log(f.log()), active_base);
  f.cleaner->poll(*f.store);  // hands the job to the thread
  // Appends to the active segment while the thread cleans.
  for (int i = 0; i < 3; ++i) {
    const int64_t o = f.put("car-x", std::to_string(i));
    expected.push_back({o, "car-x", std::to_string(i), 1000});
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (f.cleaner->stats().cleans == 0 && std::chrono::steady_clock::now() < deadline) {
    f.cleaner->poll(*f.store);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(f.cleaner->stats().cleans == 1);
  CHECK(read_log(f.log()) == expected);
}
