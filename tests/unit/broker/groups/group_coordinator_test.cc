#include "broker/groups/group_coordinator.h"

#include <doctest/doctest.h>

#include <memory>

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

}  // namespace

TEST_CASE("group coordinator: a static member restarting takes its place without a rebalance") {
  GroupCoordinator groups;
  groups.initial_rebalance_delay_ms = 0;
  int64_t now = 1000;
  // First start: a static member joins at once (no MEMBER_ID_REQUIRED round), leads, syncs.
  Captured join;
  groups.join(join_request("", "car-1"), now, join.handle());
  REQUIRE(join.done());
  REQUIRE(join.answer->error == 0);
  const std::string first_id = join.answer->member_id;
  CHECK(join.answer->leader == first_id);
  const int32_t generation = join.answer->generation;
  Captured sync;
  groups.sync("fleet", generation, first_id, {{first_id, "assignment-1"}}, now, sync.handle());
  REQUIRE(sync.done());
  CHECK(sync.answer->assignment == "assignment-1");
  CHECK(groups.describe("fleet")->state == GroupState::kStable);

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
