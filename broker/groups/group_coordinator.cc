#include "broker/groups/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "broker/protocol/wire.h"

namespace flumen::broker {

namespace {

constexpr int16_t kIllegalGeneration = 22;
constexpr int16_t kInconsistentGroupProtocol = 23;
constexpr int16_t kInvalidGroupId = 24;
constexpr int16_t kUnknownMemberId = 25;
constexpr int16_t kInvalidSessionTimeout = 26;
constexpr int16_t kRebalanceInProgress = 27;
constexpr int16_t kMemberIdRequired = 79;
constexpr int16_t kFencedInstanceId = 82;

std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  char b[40];
  std::snprintf(b, sizeof b, "%08llx-%08llx", static_cast<unsigned long long>(rng() >> 32),
                static_cast<unsigned long long>(rng() >> 32));
  return b;
}

}  // namespace

const char* group_state_name(GroupState s) {
  switch (s) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
  }
  return "Dead";
}

GroupAnswer GroupCoordinator::join_answer(int16_t error, int32_t generation, const Group* g,
                                          const std::string& member_id,
                                          const std::vector<const Member*>& members) {
  GroupAnswer a;
  a.error = error;
  a.generation = generation;
  a.member_id = member_id;
  if (g && error == 0) {
    a.protocol_type = g->protocol_type;
    a.protocol = g->protocol;
    a.leader = g->leader;
  }
  for (const Member* m : members) {
    GroupAnswer::Member am{m->id, m->instance_id, {}};
    for (const auto& [name, data] : m->protocols)
      if (name == a.protocol) am.metadata = data;
    a.members.push_back(std::move(am));
  }
  return a;
}

GroupAnswer GroupCoordinator::sync_answer(int16_t error, const Group* g,
                                          const std::string& assignment) {
  GroupAnswer a;
  a.error = error;
  a.assignment = assignment;
  if (g && error == 0) {
    a.protocol_type = g->protocol_type;
    a.protocol = g->protocol;
  }
  return a;
}

void GroupCoordinator::join(const JoinRequest& req, int64_t now, ReplyHandle reply) {
  auto fail = [&](int16_t error, const std::string& member_id) {
    reply->complete(join_answer(error, -1, nullptr, member_id, {}));
  };
  if (req.group_id.empty()) return fail(kInvalidGroupId, req.member_id);
  if (req.session_timeout_ms < min_session_timeout_ms ||
      req.session_timeout_ms > max_session_timeout_ms)
    return fail(kInvalidSessionTimeout, req.member_id);
  Group& g = groups_[req.group_id];
  g.id = req.group_id;
  if (!g.members.empty()) {
    // Same protocol type, and at least one assignor every member (this one included) knows.
    if (req.protocol_type != g.protocol_type)
      return fail(kInconsistentGroupProtocol, req.member_id);
    bool shared = false;
    for (const auto& protocol : req.protocols) {
      const std::string& name = protocol.first;
      bool everyone = true;
      for (const auto& [id, m] : g.members) {
        if (id == req.member_id) continue;
        bool has = std::any_of(m.protocols.begin(), m.protocols.end(),
                               [&](const auto& p) { return p.first == name; });
        everyone = everyone && has;
      }
      shared = shared || everyone;
    }
    if (!shared) return fail(kInconsistentGroupProtocol, req.member_id);
  }
  if (req.instance_id && !g.members.count(req.member_id)) {
    auto old = std::find_if(g.members.begin(), g.members.end(), [&](const auto& kv) {
      return kv.second.instance_id == req.instance_id;
    });
    if (old != g.members.end()) {
      if (!req.member_id.empty()) return fail(kFencedInstanceId, req.member_id);
      return rejoin_static(g, old->first, req, now, std::move(reply));
    }
  }
  std::string id = req.member_id;
  if (id.empty()) {
    id = (req.client_id.empty() ? std::string("member") : req.client_id) + "-" + random_suffix();
    // KIP-345: a static member is let in without the member-id round trip, as Kafka does.
    if (req.version >= 4 && !req.instance_id) {
      // KIP-394: hand out the id and let the client come back with it.
      g.pending[id] = now + req.session_timeout_ms;
      reply->complete(join_answer(kMemberIdRequired, -1, nullptr, id, {}));
      return;
    }
  } else if (!g.members.count(id)) {
    if (!g.pending.erase(id)) return fail(kUnknownMemberId, id);
  }
  Member& m = g.members[id];
  m.id = id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.protocol_type = req.protocol_type;
  m.protocols = req.protocols;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms =
      req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  m.last_seen = now;
  m.instance_id = req.instance_id;
  if (m.join_reply) m.join_reply->complete(join_answer(kRebalanceInProgress, -1, nullptr, id, {}));
  m.join_reply = reply;
  g.protocol_type = req.protocol_type;
  if (g.state != GroupState::kPreparingRebalance) prepare_rebalance(g, now);
  maybe_complete_join(g, now, false);
}

void GroupCoordinator::rejoin_static(Group& g, const std::string& old_id, const JoinRequest& req,
                                     int64_t now, ReplyHandle reply) {
  // KIP-345: a static member (group.instance.id) coming back under a new member id takes the
  // place of its old id, which is fenced: what the old id had parked is answered
  // FENCED_INSTANCE_ID. In a Stable group whose assignor the member still offers, the answer
  // comes at once with the current generation and the member keeps its assignment (its
  // SyncGroup gets it back); the answer names the old leader id, so that a returning leader
  // does not recompute an assignment a Stable group would not pass on. Otherwise the group
  // rebalances with the member's new id, as Kafka does.
  auto node = g.members.extract(old_id);
  Member& m = node.mapped();
  if (m.join_reply) m.join_reply->complete(join_answer(kFencedInstanceId, -1, nullptr, old_id, {}));
  if (m.sync_reply) m.sync_reply->complete(sync_answer(kFencedInstanceId, nullptr, ""));
  m.join_reply.reset();
  m.sync_reply.reset();
  const std::string new_id =
      (req.client_id.empty() ? std::string("member") : req.client_id) + "-" + random_suffix();
  const std::string answer_leader = g.leader;
  if (g.leader == old_id) g.leader = new_id;
  node.key() = new_id;
  m.id = new_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.protocols = req.protocols;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms =
      req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  m.last_seen = now;
  const bool keeps_protocol = std::any_of(m.protocols.begin(), m.protocols.end(),
                                          [&](const auto& p) { return p.first == g.protocol; });
  g.members.insert(std::move(node));
  spdlog::info("broker: group {}: static member {} back as {}", g.id, *req.instance_id, new_id);
  if (g.state == GroupState::kStable && keeps_protocol) {
    GroupAnswer a = join_answer(0, g.generation, &g, new_id, {});
    a.leader = answer_leader;
    reply->complete(a);
    return;
  }
  g.members[new_id].join_reply = std::move(reply);
  if (g.state != GroupState::kPreparingRebalance) prepare_rebalance(g, now);
  maybe_complete_join(g, now, false);
}

void GroupCoordinator::prepare_rebalance(Group& g, int64_t now) {
  if (g.state == GroupState::kCompletingRebalance) {
    // A new round started before the leader's SyncGroup: the waiting syncs must rejoin.
    for (auto& [id, m] : g.members) {
      if (m.sync_reply) {
        m.sync_reply->complete(sync_answer(kRebalanceInProgress, nullptr, ""));
        m.sync_reply.reset();
      }
    }
  }
  const bool was_empty = g.state == GroupState::kEmpty;
  g.state = GroupState::kPreparingRebalance;
  int32_t wait = 0;
  for (const auto& [id, m] : g.members)
    wait = std::max(wait, m.rebalance_timeout_ms);
  // A group forming from nothing waits a moment for the other members starting with it.
  g.join_deadline = now + (was_empty ? std::min(wait, initial_rebalance_delay_ms) : wait);
  g.new_group = was_empty;
}

void GroupCoordinator::maybe_complete_join(Group& g, int64_t now, bool deadline_passed) {
  if (g.state != GroupState::kPreparingRebalance) return;
  if (g.new_group && now < g.join_deadline && !deadline_passed) return;
  bool all = std::all_of(g.members.begin(), g.members.end(),
                         [](const auto& kv) { return kv.second.join_reply != nullptr; });
  if (!all && !deadline_passed) return;
  // Members that did not rejoin in time are out.
  for (auto it = g.members.begin(); it != g.members.end();) {
    if (!it->second.join_reply) {
      spdlog::info("broker: group {}: member {} did not rejoin; removed", g.id, it->first);
      if (it->second.sync_reply)
        it->second.sync_reply->complete(sync_answer(kRebalanceInProgress, nullptr, ""));
      it = g.members.erase(it);
    } else {
      ++it;
    }
  }
  if (g.members.empty()) {
    g.state = GroupState::kEmpty;
    return;
  }
  complete_join(g);
}

void GroupCoordinator::complete_join(Group& g) {
  ++g.generation;
  // The assignor: among those every member supports, the one most members prefer most.
  std::map<std::string, int> votes;
  std::vector<std::string> order;
  const Member& first = g.members.begin()->second;
  for (const auto& protocol : first.protocols) {
    const std::string& name = protocol.first;
    bool everyone = std::all_of(g.members.begin(), g.members.end(), [&](const auto& kv) {
      return std::any_of(kv.second.protocols.begin(), kv.second.protocols.end(),
                         [&](const auto& p) { return p.first == name; });
    });
    if (everyone) {
      votes[name] = 0;
      order.push_back(name);
    }
  }
  for (const auto& [id, m] : g.members) {
    for (const auto& [name, meta] : m.protocols) {
      if (votes.count(name)) {
        ++votes[name];
        break;
      }
    }
  }
  g.protocol = order.empty() ? "" : order.front();
  for (const std::string& name : order)
    if (votes[name] > votes[g.protocol]) g.protocol = name;
  if (!g.members.count(g.leader)) g.leader = g.members.begin()->first;
  std::vector<const Member*> all;
  for (const auto& [id, m] : g.members)
    all.push_back(&m);
  g.state = GroupState::kCompletingRebalance;
  g.new_group = false;
  spdlog::info("broker: group {} generation {}: {} member(s), leader {}, assignor {}", g.id,
               g.generation, g.members.size(), g.leader, g.protocol);
  for (auto& [id, m] : g.members) {
    m.assignment.clear();
    ReplyHandle r = std::move(m.join_reply);
    m.join_reply.reset();
    r->complete(
        join_answer(0, g.generation, &g, id, id == g.leader ? all : std::vector<const Member*>{}));
  }
}

bool GroupCoordinator::fenced(const std::string& group_id, const std::string& member_id,
                              const std::optional<std::string>& instance_id) const {
  if (!instance_id) return false;
  auto git = groups_.find(group_id);
  if (git == groups_.end()) return false;
  return std::any_of(git->second.members.begin(), git->second.members.end(), [&](const auto& kv) {
    return kv.second.instance_id == instance_id && kv.first != member_id;
  });
}

void GroupCoordinator::sync(const std::string& group_id, int32_t generation,
                            const std::string& member_id,
                            std::vector<std::pair<std::string, std::string>> assignments,
                            int64_t now, ReplyHandle reply,
                            const std::optional<std::string>& instance_id) {
  if (fenced(group_id, member_id, instance_id))
    return reply->complete(sync_answer(kFencedInstanceId, nullptr, ""));
  auto git = groups_.find(group_id);
  if (git == groups_.end() || !git->second.members.count(member_id))
    return reply->complete(sync_answer(kUnknownMemberId, nullptr, ""));
  Group& g = git->second;
  Member& m = g.members[member_id];
  m.last_seen = now;
  if (generation != g.generation)
    return reply->complete(sync_answer(kIllegalGeneration, nullptr, ""));
  if (g.state == GroupState::kPreparingRebalance)
    return reply->complete(sync_answer(kRebalanceInProgress, nullptr, ""));
  if (g.state == GroupState::kStable) return reply->complete(sync_answer(0, &g, m.assignment));
  m.sync_reply = reply;
  if (member_id != g.leader) return;  // followers wait for the leader's assignments
  for (auto& [id, a] : assignments) {
    auto it = g.members.find(id);
    if (it != g.members.end()) it->second.assignment = std::move(a);
  }
  g.state = GroupState::kStable;
  for (auto& [id, mem] : g.members) {
    if (mem.sync_reply) {
      ReplyHandle r = std::move(mem.sync_reply);
      mem.sync_reply.reset();
      r->complete(sync_answer(0, &g, mem.assignment));
    }
  }
}

int16_t GroupCoordinator::heartbeat(const std::string& group_id, int32_t generation,
                                    const std::string& member_id, int64_t now,
                                    const std::optional<std::string>& instance_id) {
  if (fenced(group_id, member_id, instance_id)) return kFencedInstanceId;
  auto git = groups_.find(group_id);
  if (git == groups_.end() || !git->second.members.count(member_id)) return kUnknownMemberId;
  Group& g = git->second;
  g.members[member_id].last_seen = now;
  if (generation != g.generation) return kIllegalGeneration;
  // As Kafka: members learn of a new round from this; between JoinGroup and SyncGroup the
  // heartbeat is a plain one.
  if (g.state == GroupState::kPreparingRebalance) return kRebalanceInProgress;
  return 0;
}

int16_t GroupCoordinator::leave(const std::string& group_id, const std::string& member_id,
                                int64_t now, const std::optional<std::string>& instance_id) {
  auto git = groups_.find(group_id);
  if (git == groups_.end()) return kUnknownMemberId;
  std::string id = member_id;
  if (id.empty() && instance_id) {  // KIP-345: a static member leaving by its instance id
    for (const auto& [mid, m] : git->second.members)
      if (m.instance_id == instance_id) id = mid;
  } else if (fenced(group_id, member_id, instance_id)) {
    return kFencedInstanceId;
  }
  if (!git->second.members.count(id)) return kUnknownMemberId;
  remove_member(git->second, id, now);
  return 0;
}

void GroupCoordinator::remove_member(Group& g, const std::string& id, int64_t now) {
  auto it = g.members.find(id);
  if (it == g.members.end()) return;
  if (it->second.join_reply)
    it->second.join_reply->complete(join_answer(kUnknownMemberId, -1, nullptr, id, {}));
  if (it->second.sync_reply)
    it->second.sync_reply->complete(sync_answer(kUnknownMemberId, nullptr, ""));
  g.members.erase(it);
  if (g.members.empty()) {
    g.state = GroupState::kEmpty;
    return;
  }
  if (g.state != GroupState::kPreparingRebalance) prepare_rebalance(g, now);
  maybe_complete_join(g, now, false);
}

int16_t GroupCoordinator::check_commit(const std::string& group_id, int32_t generation,
                                       const std::string& member_id, int64_t now,
                                       const std::optional<std::string>& instance_id) {
  if (fenced(group_id, member_id, instance_id)) return kFencedInstanceId;
  auto git = groups_.find(group_id);
  if (generation < 0 && member_id.empty())
    return git == groups_.end() || git->second.members.empty() ? 0 : kUnknownMemberId;
  if (git == groups_.end() || !git->second.members.count(member_id)) return kUnknownMemberId;
  Group& g = git->second;
  g.members[member_id].last_seen = now;
  if (generation != g.generation) return kIllegalGeneration;
  // As Kafka: a member of the current generation may still commit while a new round is being
  // prepared (it commits what it had before giving its partitions up); not between JoinGroup
  // and SyncGroup.
  if (g.state == GroupState::kCompletingRebalance) return kRebalanceInProgress;
  return 0;
}

void GroupCoordinator::tick(int64_t now) {
  for (auto& [gid, g] : groups_) {
    for (auto it = g.pending.begin(); it != g.pending.end();)
      it = it->second < now ? g.pending.erase(it) : std::next(it);
    std::vector<std::string> expired;
    for (const auto& [id, m] : g.members)
      if (!m.join_reply && now - m.last_seen >= m.session_timeout_ms) expired.push_back(id);
    for (const std::string& id : expired) {
      spdlog::info("broker: group {}: member {} session expired", gid, id);
      remove_member(g, id, now);
    }
    if (g.state == GroupState::kPreparingRebalance && now >= g.join_deadline)
      maybe_complete_join(g, now, true);
  }
}

std::optional<GroupCoordinator::GroupInfo> GroupCoordinator::describe(
    const std::string& group_id) const {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return std::nullopt;
  const Group& g = it->second;
  GroupInfo info{g.id, g.state, g.protocol_type, g.protocol, {}};
  for (const auto& [id, m] : g.members) {
    std::string meta;
    for (const auto& [name, data] : m.protocols)
      if (name == g.protocol) meta = data;
    info.members.push_back({id, m.client_id, m.client_host, meta, m.assignment, m.instance_id});
  }
  return info;
}

std::vector<GroupCoordinator::GroupInfo> GroupCoordinator::list() const {
  std::vector<GroupInfo> out;
  for (const auto& [id, g] : groups_)
    out.push_back({id, g.state, g.protocol_type, g.protocol, {}});
  return out;
}

int16_t GroupCoordinator::remove(const std::string& group_id) {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return 0;           // offsets only (or nothing): the caller decides
  if (!it->second.members.empty()) return 68;  // NON_EMPTY_GROUP
  groups_.erase(it);
  return 0;
}

}  // namespace flumen::broker
