#pragma once
// GroupCoordinator: Kafka's classic consumer-group protocol for every group (a single broker
// coordinates them all). The broker only relays: the group leader (a client) computes the
// assignment from the members' opaque metadata.
//
// States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, back to
// PreparingRebalance on any membership change. JoinGroup v4+ without a member id is answered at
// once with MEMBER_ID_REQUIRED; later joins are parked until every member has rejoined (or the
// rebalance timeout drops the stragglers); followers' SyncGroup waits for the leader's;
// heartbeats during a rebalance answer REBALANCE_IN_PROGRESS so running members rejoin; a
// member silent past its session timeout is removed. A static member (group.instance.id,
// KIP-345) that restarts takes its old place under a new member id without a rebalance while
// the group is Stable. Runs on the broker's loop thread.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flumen::broker {

// What the coordinator answers to a JoinGroup (error, generation, assignor, leader, member id
// and, for the leader, every member) or a SyncGroup (error, assignment). The API file that
// parked the request encodes it for its version.
struct GroupAnswer {
  struct Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string metadata;
  };
  int16_t error = 0;
  int32_t generation = -1;
  std::string protocol_type, protocol, leader, member_id;
  std::vector<Member> members;
  std::string assignment;
};

// A response that is written later (a parked JoinGroup or SyncGroup). The API installs
// `encode`, the server `deliver`; a body produced before that is kept until it does.
struct ReplySlot {
  std::function<std::string(const GroupAnswer&)> encode;
  std::function<void(std::string)> deliver;
  std::optional<std::string> early;
  void complete(const GroupAnswer& answer) {
    std::string body = encode(answer);
    if (deliver) {
      auto d = std::move(deliver);  // answered once; `deliver` may not outlive its own call
      deliver = nullptr;
      d(std::move(body));
    } else {
      early = std::move(body);
    }
  }
};
using ReplyHandle = std::shared_ptr<ReplySlot>;

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable };
const char* group_state_name(GroupState s);

struct JoinRequest {
  int16_t version = 0;
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string member_id;
  std::optional<std::string> instance_id;  // group.instance.id (KIP-345), shown by DescribeGroups
  std::string protocol_type;
  std::vector<std::pair<std::string, std::string>> protocols;  // name, metadata
  std::string client_id;
  std::string client_host;
};

class GroupCoordinator {
 public:
  // Answers (now or later, through `reply`) with the JoinGroup body for req.version.
  void join(const JoinRequest& req, int64_t now, ReplyHandle reply);
  // `instance_id` in the calls below is the request's group.instance.id (KIP-345, null before
  // the versions that carry it): a member id that a newer instance of it replaced is answered
  // FENCED_INSTANCE_ID (82), before anything else, as Kafka does, so the replaced consumer
  // stops with a fatal error instead of rejoining.
  void sync(const std::string& group_id, int32_t generation, const std::string& member_id,
            std::vector<std::pair<std::string, std::string>> assignments, int64_t now,
            ReplyHandle reply, const std::optional<std::string>& instance_id = std::nullopt);
  int16_t heartbeat(const std::string& group_id, int32_t generation, const std::string& member_id,
                    int64_t now, const std::optional<std::string>& instance_id = std::nullopt);
  // A static member may leave by its instance id alone (an empty member id).
  int16_t leave(const std::string& group_id, const std::string& member_id, int64_t now,
                const std::optional<std::string>& instance_id = std::nullopt);
  // Whether an OffsetCommit may be stored: 0, or 22/25/27/82 (generation -1 and no member id is
  // a "simple" commit, allowed while the group has no members). Allowed during
  // PreparingRebalance for the current generation, as Kafka does.
  int16_t check_commit(const std::string& group_id, int32_t generation,
                       const std::string& member_id, int64_t now,
                       const std::optional<std::string>& instance_id = std::nullopt);
  // Session expiry (a member is gone once its session timeout has passed since it was last
  // heard from, as Kafka's), rebalance deadlines, the initial rebalance delay. Called by the
  // broker's ticker and, so that they see what is due to the millisecond, by the APIs that
  // read or delete groups.
  void tick(int64_t now);

  struct MemberInfo {
    std::string member_id, client_id, client_host, metadata, assignment;
    std::optional<std::string> instance_id;
  };
  struct GroupInfo {
    std::string group_id;
    GroupState state = GroupState::kEmpty;
    std::string protocol_type, protocol;
    std::vector<MemberInfo> members;
  };
  std::optional<GroupInfo> describe(const std::string& group_id) const;
  // Every group, without its members.
  std::vector<GroupInfo> list() const;
  // DeleteGroups: 0, GROUP_ID_NOT_FOUND (69) or NON_EMPTY_GROUP (68). The caller removes the
  // group's committed offsets.
  int16_t remove(const std::string& group_id);

  // Kafka's bounds on session timeouts, and how long a new group waits for more members.
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  int32_t initial_rebalance_delay_ms = 300;

 private:
  struct Member {
    std::string id, client_id, client_host, protocol_type;
    std::optional<std::string> instance_id;
    std::vector<std::pair<std::string, std::string>> protocols;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    int64_t last_seen = 0;
    ReplyHandle join_reply;  // parked JoinGroup
    ReplyHandle sync_reply;  // parked SyncGroup
    std::string assignment;
  };
  struct Group {
    std::string id;
    GroupState state = GroupState::kEmpty;
    int32_t generation = 0;
    std::string protocol_type, protocol, leader;
    std::map<std::string, Member> members;
    std::map<std::string, int64_t> pending;  // member ids handed out, not joined yet: expiry
    int64_t join_deadline = 0;  // when the join phase completes even without stragglers
    bool new_group = true;
  };

  // Whether the group knows `instance_id` under another member id than `member_id`.
  bool fenced(const std::string& group_id, const std::string& member_id,
              const std::optional<std::string>& instance_id) const;
  void rejoin_static(Group& g, const std::string& old_id, const JoinRequest& req, int64_t now,
                     ReplyHandle reply);
  void prepare_rebalance(Group& g, int64_t now);
  void maybe_complete_join(Group& g, int64_t now, bool deadline_passed);
  void complete_join(Group& g);
  void remove_member(Group& g, const std::string& id, int64_t now);
  static GroupAnswer join_answer(int16_t error, int32_t generation, const Group* g,
                                 const std::string& member_id,
                                 const std::vector<const Member*>& members);
  static GroupAnswer sync_answer(int16_t error, const Group* g, const std::string& assignment);

  std::map<std::string, Group> groups_;
};

}  // namespace flumen::broker
