#include "broker/txn/txn_coordinator.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "agent/util/atomic_file.h"
#include "broker/storage/txn_state.h"

namespace flumen::broker {

namespace {

enum State : int { kEmpty = 0, kOngoing = 1, kPrepareCommit = 2, kPrepareAbort = 3 };

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2 + 1);
  out.push_back('x');  // never empty, so a line always splits into the same fields
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

bool unhex(std::string_view s, std::string& out) {
  if (s.empty() || s[0] != 'x' || s.size() % 2 == 0) return false;
  out.clear();
  auto val = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (size_t i = 1; i < s.size(); i += 2) {
    const int hi = val(s[i]), lo = val(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<TxnCoordinator>> TxnCoordinator::open(const std::string& data_dir) {
  auto c = std::make_unique<TxnCoordinator>();
  c->path_ = data_dir + "/transactions";
  std::ifstream in(c->path_);
  std::string line;
  Txn* cur = nullptr;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream f(line);
    std::string kind, a, b;
    f >> kind;
    bool ok = true;
    if (kind == "T") {
      std::string id;
      Txn t;
      int state = 0, epoch = 0, last_epoch = 0;
      ok = static_cast<bool>(f >> a >> t.producer_id >> epoch >> last_epoch >> t.timeout_ms >>
                             state >> t.start_wall_ms) &&
           unhex(a, id);
      if (ok) {
        t.epoch = static_cast<int16_t>(epoch);
        t.last_epoch = static_cast<int16_t>(last_epoch);
        t.state = state;
        c->by_producer_[t.producer_id] = id;
        cur = &(c->txns_[id] = std::move(t));
      }
    } else if (kind == "P" && cur) {
      std::string topic;
      int32_t p = 0;
      ok = static_cast<bool>(f >> a >> p) && unhex(a, topic);
      if (ok) cur->partitions.emplace(topic, p);
    } else if (kind == "G" && cur) {
      std::string group;
      ok = static_cast<bool>(f >> a) && unhex(a, group);
      if (ok) cur->groups.insert(group);
    } else if (kind == "O" && cur) {
      std::string group;
      OffsetStore::Entry e;
      std::string m;
      ok = static_cast<bool>(f >> a >> b >> e.partition >> e.offset >> m) && unhex(a, group) &&
           unhex(b, e.topic) && unhex(m, e.metadata);
      // The leader epoch is a later, optional last field (files written before it have none).
      if (ok && !(f >> e.leader_epoch)) e.leader_epoch = -1;
      if (ok) cur->offsets[group].push_back(std::move(e));
    } else if (!kind.empty()) {
      ok = false;
    }
    if (!ok)
      return make_error(ErrorCode::kCorruption,
                        c->path_ + ": malformed line " + std::to_string(lineno));
  }
  return c;
}

Status TxnCoordinator::persist(bool sync) {
  std::string text;
  for (const auto& [id, t] : txns_) {
    text += "T " + hex(id) + " " + std::to_string(t.producer_id) + " " + std::to_string(t.epoch) +
            " " + std::to_string(t.last_epoch) + " " + std::to_string(t.timeout_ms) + " " +
            std::to_string(t.state) + " " + std::to_string(t.start_wall_ms) + "\n";
    if (t.state == kEmpty) continue;
    for (const auto& [topic, p] : t.partitions)
      text += "P " + hex(topic) + " " + std::to_string(p) + "\n";
    for (const std::string& g : t.groups)
      text += "G " + hex(g) + "\n";
    for (const auto& [g, entries] : t.offsets)
      for (const OffsetStore::Entry& e : entries)
        text += "O " + hex(g) + " " + hex(e.topic) + " " + std::to_string(e.partition) + " " +
                std::to_string(e.offset) + " " + hex(e.metadata) + " " +
                std::to_string(e.leader_epoch) + "\n";
  }
  return write_file_atomically(path_, text, sync);
}

Status TxnCoordinator::recover(TopicStore& store, OffsetStore& offsets, int64_t wall_ms) {
  bool changed = false;
  for (auto& [id, t] : txns_) {
    if (t.state != kPrepareCommit && t.state != kPrepareAbort) continue;
    // EndTxn was accepted (the decision is durable) but its markers may not all be written.
    spdlog::info("broker: completing the {} of transaction {} interrupted by a restart",
                 t.state == kPrepareCommit ? "commit" : "abort", id);
    if (Status s = finish(t, t.state == kPrepareCommit, store, offsets, wall_ms); !s) return s;
    changed = true;
  }
  for (const auto& [name, topic] : store.topics())
    for (size_t i = 0; i < topic->partitions.size(); ++i)
      for (int64_t pid : topic->txns[i].open_producers()) {
        auto owner = by_producer_.find(pid);
        Txn* t = owner == by_producer_.end() ? nullptr : find(owner->second);
        const std::pair<std::string, int32_t> tp{name, static_cast<int32_t>(i)};
        if (t && t->state == kOngoing && t->partitions.count(tp)) continue;
        changed = true;
        if (t && (t->state == kOngoing || t->state == kEmpty)) {
          spdlog::info("broker: transaction {} is open in {}-{}: it joins it again", owner->second,
                       name, i);
          begin(*t, wall_ms);  // its timeout runs from now
          t->partitions.insert(tp);
          continue;
        }
        spdlog::warn("broker: aborting an orphaned transaction of producer {} in {}-{}", pid, name,
                     i);
        Txn orphan;
        orphan.producer_id = pid;
        orphan.epoch = 32767;  // above any epoch the producer had
        orphan.state = kPrepareAbort;
        orphan.partitions.insert(tp);
        if (Status s = finish(orphan, false, store, offsets, wall_ms); !s) return s;
      }
  return changed ? persist() : Status::ok();
}

TxnCoordinator::Txn* TxnCoordinator::find(const std::string& txn_id) {
  auto it = txns_.find(txn_id);
  return it == txns_.end() ? nullptr : &it->second;
}

int16_t TxnCoordinator::validate(const Txn* t, int64_t producer_id, int16_t epoch) const {
  if (!t || t->producer_id != producer_id) return txn_error::kInvalidProducerIdMapping;
  if (epoch != t->epoch) return txn_error::kProducerFenced;
  if (t->state == kPrepareCommit || t->state == kPrepareAbort)
    return txn_error::kConcurrentTransactions;
  return 0;
}

TxnCoordinator::InitResult TxnCoordinator::init(const std::string& txn_id, int32_t timeout_ms,
                                                int64_t producer_id, int16_t epoch,
                                                TopicStore& store, OffsetStore& offsets,
                                                ProducerIds& ids, int64_t wall_ms,
                                                bool new_fencing_error) {
  InitResult r;
  if (timeout_ms <= 0 || timeout_ms > kMaxTimeoutMs) {
    r.error = txn_error::kInvalidTransactionTimeout;
    return r;
  }
  Txn* t = find(txn_id);
  if (t && producer_id >= 0 &&
      (producer_id != t->producer_id || (epoch != t->epoch && epoch != t->last_epoch))) {
    // KIP-360: a producer asking to bump an epoch that is not (or no longer) its own.
    r.error = new_fencing_error ? txn_error::kProducerFenced : txn_error::kInvalidProducerEpoch;
    return r;
  }
  if (!t) {
    auto id = ids.next();
    if (!id) {
      r.error = 56;  // KAFKA_STORAGE_ERROR
      return r;
    }
    t = &txns_[txn_id];
    t->producer_id = id.value();
    t->epoch = 0;
  } else {
    const bool rotate = t->epoch >= 32766;  // the epoch is about to run out: a new producer id
    const int16_t next_epoch = rotate ? 0 : static_cast<int16_t>(t->epoch + 1);
    const int16_t old_epoch = t->epoch;
    if (t->state != kEmpty) {
      // The previous incarnation left a transaction open (or a decision half written): it is
      // finished under the bumped epoch, so the old producer's late batches are fenced.
      const bool commit = t->state == kPrepareCommit;
      if (!rotate) t->epoch = next_epoch;
      if (Status s = finish(*t, commit, store, offsets, wall_ms); !s) {
        spdlog::error("broker: cannot abort transaction {}: {}", txn_id, s.message());
        r.error = 56;
        return r;
      }
    }
    t->last_epoch = old_epoch;
    if (rotate) {
      auto id = ids.next();
      if (!id) {
        r.error = 56;
        return r;
      }
      by_producer_.erase(t->producer_id);
      t->producer_id = id.value();
      t->epoch = 0;
    } else {
      t->epoch = next_epoch;
    }
  }
  t->timeout_ms = timeout_ms;
  by_producer_[t->producer_id] = txn_id;
  if (Status s = persist(); !s) {
    r.error = 56;
    return r;
  }
  r.producer_id = t->producer_id;
  r.epoch = t->epoch;
  return r;
}

int16_t TxnCoordinator::check(const std::string& txn_id, int64_t producer_id, int16_t epoch) const {
  auto it = txns_.find(txn_id);
  return validate(it == txns_.end() ? nullptr : &it->second, producer_id, epoch);
}

void TxnCoordinator::begin(Txn& t, int64_t wall_ms) {
  if (t.state != kEmpty) return;
  t.state = kOngoing;
  t.start_wall_ms = wall_ms;
  t.partitions.clear();
  t.groups.clear();
  t.offsets.clear();
}

int16_t TxnCoordinator::add_partition(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                                      const std::string& topic, int32_t partition,
                                      int64_t wall_ms) {
  Txn* t = find(txn_id);
  if (int16_t e = validate(t, producer_id, epoch); e != 0) return e;
  begin(*t, wall_ms);
  t->partitions.emplace(topic, partition);
  return 0;
}

int16_t TxnCoordinator::add_group(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                                  const std::string& group, int64_t wall_ms) {
  Txn* t = find(txn_id);
  if (int16_t e = validate(t, producer_id, epoch); e != 0) return e;
  begin(*t, wall_ms);
  t->groups.insert(group);
  return 0;
}

int16_t TxnCoordinator::stage_offsets(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                                      const std::string& group,
                                      std::vector<OffsetStore::Entry> entries) {
  Txn* t = find(txn_id);
  if (int16_t e = validate(t, producer_id, epoch); e != 0) return e;
  if (t->state != kOngoing || t->groups.count(group) == 0) return txn_error::kInvalidTxnState;
  auto& staged = t->offsets[group];
  for (OffsetStore::Entry& e : entries) {
    bool replaced = false;
    for (OffsetStore::Entry& s : staged)
      if (s.topic == e.topic && s.partition == e.partition) {
        s = e;
        replaced = true;
      }
    if (!replaced) staged.push_back(std::move(e));
  }
  return 0;
}

Status TxnCoordinator::finish(Txn& t, bool commit, TopicStore& store, OffsetStore& offsets,
                              int64_t wall_ms) {
  const std::string marker = make_marker_batch(t.producer_id, t.epoch, commit, wall_ms);
  for (const auto& [name, index] : t.partitions) {
    Topic* topic = store.find(name);
    if (!topic || index < 0 || index >= static_cast<int32_t>(topic->partitions.size()))
      continue;  // deleted since: nothing left to mark
    PartitionLog& log = *topic->partitions[static_cast<size_t>(index)];
    auto base = log.append(marker);
    if (!base) return base.status();
    // The marker is synced before the decision is dropped from the coordinator's file: a
    // power loss must not leave data whose transaction nobody will ever close.
    if (Status s = log.flush(); !s) return s;
    BatchHeader h;
    read_batch_header(marker, h);
    h.base_offset = base.value();
    topic->txns[static_cast<size_t>(index)].on_batch(h, commit);
  }
  if (commit)
    for (const auto& [group, entries] : t.offsets)
      if (Status s = offsets.commit(group, entries); !s) return s;
  t.state = kEmpty;
  t.last_result = commit ? 1 : 2;
  t.partitions.clear();
  t.groups.clear();
  t.offsets.clear();
  return Status::ok();
}

int16_t TxnCoordinator::end(const std::string& txn_id, int64_t producer_id, int16_t epoch,
                            bool commit, TopicStore& store, OffsetStore& offsets, int64_t wall_ms) {
  Txn* t = find(txn_id);
  if (int16_t e = validate(t, producer_id, epoch); e != 0) return e;
  if (t->state == kEmpty) {
    // A retried EndTxn whose first answer was lost gets the same answer.
    return t->last_result == (commit ? 1 : 2) ? 0 : txn_error::kInvalidTxnState;
  }
  // The decision is durable before any marker is written: a crash in between completes it.
  t->state = commit ? kPrepareCommit : kPrepareAbort;
  if (Status s = persist(); !s) {
    t->state = kOngoing;
    return 56;
  }
  if (Status s = finish(*t, commit, store, offsets, wall_ms); !s) {
    spdlog::error("broker: transaction {}: {}", txn_id, s.message());
    return 56;  // state stays prepared: recovered at the next start or re-init
  }
  // Not synced: should it be lost, the prepared state above comes back and the markers are
  // written again, which changes nothing (a marker without an open transaction is ignored).
  if (Status s = persist(false); !s) return 56;
  return 0;
}

int16_t TxnCoordinator::check_produce(int64_t producer_id, int16_t epoch, const std::string& topic,
                                      int32_t partition) const {
  auto it = by_producer_.find(producer_id);
  if (it == by_producer_.end()) return txn_error::kInvalidProducerIdMapping;
  const Txn& t = txns_.at(it->second);
  if (epoch != t.epoch) return txn_error::kInvalidProducerEpoch;
  if (t.state != kOngoing || t.partitions.count({topic, partition}) == 0)
    return txn_error::kInvalidTxnState;
  return 0;
}

int TxnCoordinator::expire(TopicStore& store, OffsetStore& offsets, int64_t wall_ms) {
  int n = 0;
  for (auto& [id, t] : txns_) {
    if (t.state != kOngoing || wall_ms - t.start_wall_ms <= t.timeout_ms) continue;
    spdlog::info("broker: aborting transaction {} (open {} ms, transaction.timeout.ms {})", id,
                 wall_ms - t.start_wall_ms, t.timeout_ms);
    // The epoch is bumped, as Kafka does: the producer that let it time out is fenced and must
    // initialise again (KIP-360 lets it bump from the epoch it had).
    t.last_epoch = t.epoch;
    if (t.epoch < 32766) ++t.epoch;
    t.state = kPrepareAbort;
    if (Status s = finish(t, false, store, offsets, wall_ms); !s) {
      spdlog::error("broker: cannot abort transaction {}: {}", id, s.message());
      continue;
    }
    ++n;
  }
  if (n > 0)
    if (Status s = persist(); !s) spdlog::error("broker: transactions: {}", s.message());
  return n;
}

size_t TxnCoordinator::open_transactions() const {
  size_t n = 0;
  for (const auto& [id, t] : txns_)
    n += t.state != kEmpty;
  return n;
}

}  // namespace flumen::broker
