#include "broker/groups/offset_store.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>

using namespace flumen;
using namespace flumen::broker;
namespace fs = std::filesystem;

TEST_CASE("offset store: OffsetDelete and DeleteGroups forget offsets, durably") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("flumen-offsets-" + std::to_string(rd()));
  {
    auto store = OffsetStore::open(dir.string()).value();
    REQUIRE(store->commit("fleet", {{"cars", 0, 10, "m"}, {"cars", 1, 20, ""}}).is_ok());
    REQUIRE(store->commit("fleet-2", {{"cars", 0, 5, ""}}).is_ok());
    REQUIRE(store->commit("a", {{"trucks", 0, 1, ""}}).is_ok());
    // "fleet" is a prefix of "fleet-2": the listing must still give both, once each.
    CHECK(store->groups() == std::vector<std::string>{"a", "fleet", "fleet-2"});
    REQUIRE(store->remove("fleet", {{"cars", 1}}).is_ok());
    auto left = store->all("fleet");
    REQUIRE(left.size() == 1);
    CHECK(left[0].partition == 0);
    CHECK(store->all("fleet-2").size() == 1);  // the other group keeps its offsets
    REQUIRE(store->remove("a", {}).is_ok());   // the whole group
  }
  auto store = OffsetStore::open(dir.string()).value();
  CHECK(store->groups() == std::vector<std::string>{"fleet", "fleet-2"});
  CHECK(store->get("fleet", "cars", 0)->offset == 10);
  CHECK_FALSE(store->get("fleet", "cars", 1).has_value());
  CHECK(store->all("a").empty());
  store.reset();
  fs::remove_all(dir);
}

TEST_CASE("offset store: the committed leader epoch is kept, durably, and -1 when not given") {
  // librdkafka 2.15's 0103_transactions compares the committed leader epoch it reads back with
  // the one it committed (KIP-320); the broker answered -1 for every commit.
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("flumen-epochs-" + std::to_string(rd()));
  {
    auto store = OffsetStore::open(dir.string()).value();
    REQUIRE(store->commit("fleet", {{"cars", 0, 10, "m", 3}, {"cars", 1, 20, ""}}).is_ok());
    CHECK(store->get("fleet", "cars", 0)->leader_epoch == 3);
    CHECK(store->get("fleet", "cars", 0)->metadata == "m");
    CHECK(store->get("fleet", "cars", 1)->leader_epoch == -1);
    // A later commit without an epoch (an older client) forgets the one before.
    REQUIRE(store->commit("fleet", {{"cars", 1, 21, "", 5}}).is_ok());
    REQUIRE(store->commit("fleet", {{"cars", 1, 22, ""}}).is_ok());
    CHECK(store->get("fleet", "cars", 1)->leader_epoch == -1);
  }
  auto store = OffsetStore::open(dir.string()).value();
  auto all = store->all("fleet");
  REQUIRE(all.size() == 2);  // the epoch keys are not partitions of their own
  CHECK(all[0].partition == 0);
  CHECK(all[0].offset == 10);
  CHECK(all[0].leader_epoch == 3);
  CHECK(all[1].offset == 22);
  CHECK(all[1].leader_epoch == -1);
  CHECK(store->groups() == std::vector<std::string>{"fleet"});
  REQUIRE(store->remove("fleet", {{"cars", 0}}).is_ok());
  REQUIRE(store->commit("fleet", {{"cars", 0, 1, ""}}).is_ok());
  CHECK(store->get("fleet", "cars", 0)->leader_epoch == -1);  // removed with its offset
  store.reset();
  fs::remove_all(dir);
}
