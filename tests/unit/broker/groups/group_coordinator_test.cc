#include "broker/groups/group_coordinator.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

using namespace flumen::broker;

namespace {

// A reply slot that keeps the answer it gets.
struct Captured {
  std::shared_ptr<GroupAnswer> answer = std::make_shared<GroupAnswer>();
  bool done() const { return answer->generation != -2; }
  ReplyHandle handle() {
    answer->generation = -2;  // not answered yet
    auto slot = std::make_shared<ReplySlot>();
    auto keep = answer;
    slot->encode = [keep](const GroupAnswer& a) {
      *keep = a;
      return std::string();
    };
    slot->deliver = [](std::string) {};
    return slot;
  }
};

JoinRequest join_request(const std::string& member, std::optional<std::string> instance) {
  JoinRequest r;
  r.version = 7;
  r.group_id = "fleet";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.member_id = member;
  r.instance_id = std::move(instance);
  r.protocol_type = "consumer";
  r.protocols = {{"range", "meta"}};
  r.client_id = "car";
  return r;
}

// A static member (no MEMBER_ID_REQUIRED round) that joins an empty group, leads and syncs
// `assignment` for itself: its member id and the generation.
std::pair<std::string, int32_t> start_static_member(GroupCoordinator& groups,
                                                    const std::string& instance,
                                                    const std::string& assignment, int64_t now) {
  Captured join;
  groups.join(join_request("", instance), now, join.handle());
  REQUIRE(join.done());
  REQUIRE(join.answer->error == 0);
  const std::string id = join.answer->member_id;
  CHECK(join.answer->leader == id);
  Captured sync;
  groups.sync("fleet", join.answer->generation, id, {{id, assignment}}, now, sync.handle());
  REQUIRE(sync.done());
  CHECK(sync.answer->assignment == assignment);
  CHECK(groups.describe("fleet")->state == GroupState::kStable);
  return {id, join.answer->generation};
}

}  // namespace

TEST_CASE("group coordinator: a static member restarting takes its place without a rebalance") {
  GroupCoordinator groups;
  groups.initial_rebalance_delay_ms = 0;
  int64_t now = 1000;
  // First start: a static member joins at once (no MEMBER_ID_REQUIRED round), leads, syncs.
  const auto [first_id, generation] = start_static_member(groups, "car-1", "assignment-1", now);

  // The process restarts (no LeaveGroup: static members do not leave) and joins again with
  // its instance id and no member id: answered at once, same generation, a new member id, the
  // old leader id (so that it does not reassign), and its assignment back from SyncGroup.
  now += 2000;
  Captured again;
  groups.join(join_request("", "car-1"), now, again.handle());
  REQUIRE(again.done());
  CHECK(again.answer->error == 0);
  CHECK(again.answer->generation == generation);
  CHECK(again.answer->member_id != first_id);
  CHECK(again.answer->leader == first_id);
  CHECK(again.answer->members.empty());
  Captured sync2;
  groups.sync("fleet", generation, again.answer->member_id, {}, now, sync2.handle());
  REQUIRE(sync2.done());
  CHECK(sync2.answer->error == 0);
  CHECK(sync2.answer->assignment == "assignment-1");
  auto info = groups.describe("fleet");
  REQUIRE(info->members.size() == 1);
  CHECK(info->members[0].member_id == again.answer->member_id);
  CHECK(info->state == GroupState::kStable);
  // The old id is gone; a join naming some other id with the same instance id is fenced.
  CHECK(groups.heartbeat("fleet", generation, first_id, now) != 0);
  Captured fenced;
  groups.join(join_request("someone-else", "car-1"), now, fenced.handle());
  REQUIRE(fenced.done());
  CHECK(fenced.answer->error == 82);  // FENCED_INSTANCE_ID
}

TEST_CASE("group coordinator: the instance a static member replaced is fenced, not re-admitted") {
  // librdkafka's 0102_static_group_rebalance (do_test_fenced_member): a second consumer with
  // the same group.instance.id joins; the first must get FENCED_INSTANCE_ID (a fatal error),
  // as from Kafka, on its next heartbeat, sync or commit. UNKNOWN_MEMBER_ID made it rejoin and
  // fence the newer instance in turn.
  GroupCoordinator groups;
  groups.initial_rebalance_delay_ms = 0;
  int64_t now = 1000;
  const auto [old_id, generation] = start_static_member(groups, "consumer2", "a", now);
  Captured newer;
  groups.join(join_request("", "consumer2"), now, newer.handle());
  REQUIRE(newer.answer->error == 0);
  const std::string new_id = newer.answer->member_id;
  REQUIRE(new_id != old_id);

  const std::optional<std::string> instance = "consumer2";
  CHECK(groups.heartbeat("fleet", generation, old_id, now, instance) == 82);
  CHECK(groups.check_commit("fleet", generation, old_id, now, instance) == 82);
  Captured old_sync;
  groups.sync("fleet", generation, old_id, {}, now, old_sync.handle(), instance);
  REQUIRE(old_sync.done());
  CHECK(old_sync.answer->error == 82);
  CHECK(groups.leave("fleet", old_id, now, instance) == 82);
  // The newer instance is untouched by all of that, and a request without an instance id (a
  // dynamic member's) is still only an unknown member.
  CHECK(groups.heartbeat("fleet", generation, new_id, now, instance) == 0);
  CHECK(groups.heartbeat("fleet", generation, old_id, now) == 25);  // UNKNOWN_MEMBER_ID
  REQUIRE(groups.describe("fleet")->members.size() == 1);
  // KIP-345: a static member may leave by its instance id alone.
  CHECK(groups.leave("fleet", "", now, instance) == 0);
  CHECK(groups.describe("fleet")->members.empty());
}

TEST_CASE("group coordinator: a member silent for its whole session timeout is gone at once") {
  // Kafka expires a member when its session timeout has passed since it was last heard from
  // (heartbeat, sync or commit), to the millisecond. librdkafka's 0081_admin closes static
  // members (they send no LeaveGroup), sleeps exactly the session timeout and deletes the
  // groups: a member still there then is NON_EMPTY_GROUP.
  GroupCoordinator groups;
  groups.initial_rebalance_delay_ms = 0;
  const int64_t start = 1000;
  const auto [id, generation] = start_static_member(groups, "car-1", "a", start);
  const int64_t last_commit = start + 400;
  REQUIRE(groups.check_commit("fleet", generation, id, last_commit, std::string("car-1")) == 0);
  groups.tick(last_commit + 9999);
  CHECK(groups.describe("fleet")->members.size() == 1);
  groups.tick(last_commit + 10000);  // join_request's session timeout, exactly
  CHECK(groups.describe("fleet")->members.empty());
  CHECK(groups.remove("fleet") == 0);
}
