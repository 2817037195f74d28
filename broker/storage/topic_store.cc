#include "broker/storage/topic_store.h"

#include "agent/util/atomic_file.h"
#include "agent/util/fd_limit.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

namespace flumen::broker {

namespace fs = std::filesystem;

namespace {

std::string new_topic_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::string id(16, '\0');
  for (char& c : id)
    c = static_cast<char>(rng());
  return id;
}

std::string to_hex(std::string_view b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (char c : b) {
    s += digits[(static_cast<unsigned char>(c) >> 4) & 0xf];
    s += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return s;
}

std::string from_hex(const std::string& s) {
  if (s.size() != 32) return {};
  std::string b(16, '\0');
  for (size_t k = 0; k < 16; ++k)
    b[k] = static_cast<char>(std::stoi(s.substr(2 * k, 2), nullptr, 16));
  return b;
}

}  // namespace

Result<std::unique_ptr<TopicStore>> TopicStore::open(const std::string& data_dir, LogConfig log) {
  std::unique_ptr<TopicStore> store(new TopicStore(data_dir, log));
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + data_dir + ": " + ec.message());
  const std::string meta = data_dir + "/topics.json";
  if (!fs::exists(meta)) return store;
  nlohmann::json j;
  try {
    std::ifstream in(meta);
    in >> j;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorruption, meta + " is not valid JSON (" + e.what() +
                                                  "); restore it or remove it to start empty");
  }
  const auto topics = j.find("topics");
  bool missing_ids = false;
  if (topics != j.end() && topics->is_object()) {
    for (auto it = topics->begin(); it != topics->end(); ++it) {
      int32_t partitions = 1;
      std::string id;
      TopicConfigs configs;
      if (it->is_object()) {
        partitions = it->value("partitions", 1);
        try {
          id = from_hex(it->value("id", std::string()));
        } catch (const std::exception&) {
          id.clear();
        }
        if (auto c = it->find("configs"); c != it->end() && c->is_object())
          for (auto kv = c->begin(); kv != c->end(); ++kv)
            if (kv->is_string()) configs[kv.key()] = kv->get<std::string>();
      }
      if (id.empty()) {
        id = new_topic_id();
        missing_ids = true;
      }
      if (Status s = store->open_topic(it.key(), partitions, id, std::move(configs)); !s)
        return s.error();
    }
  }
  if (missing_ids)
    if (Status s = store->save(); !s) return s.error();
  spdlog::info("broker: {} topic(s) in {}", store->topics_.size(), data_dir);
  return store;
}

Status TopicStore::open_topic(const std::string& name, int32_t partitions, std::string id,
                              TopicConfigs configs) {
  auto t = std::make_unique<Topic>();
  t->name = name;
  t->id = std::move(id);
  t->configs = std::move(configs);
  for (int32_t p = 0; p < partitions; ++p)
    if (Status s = open_partition(*t, p); !s) return s;
  topics_[name] = std::move(t);
  return Status::ok();
}

bool TopicStore::room_for_partitions(int32_t count, std::string& why) const {
  // A partition holds its segment's log and two indexes open. Created past the descriptor
  // limit, they would leave none for connections and the offset store: the broker would stop
  // serving anyone. A quarter of the limit (at least 64) stays for those.
  constexpr uint64_t kPerPartition = 3;
  const uint64_t limit = util::open_files_limit();
  const uint64_t open = util::open_descriptor_count();
  if (limit == 0 || limit == UINT64_MAX || open == 0) return true;
  const uint64_t reserve = std::max<uint64_t>(64, limit / 4);
  const uint64_t need = kPerPartition * static_cast<uint64_t>(count);
  if (open + need + reserve <= limit) return true;
  why = std::to_string(count) + " new partition(s) need about " + std::to_string(need) +
        " open files; the broker has " + std::to_string(open) + " open of its limit of " +
        std::to_string(limit) + " and keeps " + std::to_string(reserve) +
        " for connections: raise the limit (ulimit -n, LimitNOFILE=) or use fewer partitions";
  no_room_log_.warn("broker: refused {}", why);
  return false;
}

Status TopicStore::open_partition(Topic& t, int32_t index) {
  auto log = PartitionLog::open(dir_ + "/" + t.name + "-" + std::to_string(index),
                                effective_log_config(base_, t.configs));
  if (!log) return log.status();
  t.partitions.push_back(std::move(log).value());
  t.sequences.emplace_back();
  // The idempotent producers' last sequences come back from the batches themselves, so that a
  // batch appended just before a crash and sent again after it is recognised, not doubled.
  ProducerSequences& seqs = t.sequences.back();
  t.partitions.back()->visit_recent_batches(kProducerStateSegments, [&seqs](const BatchHeader& h) {
    if (h.producer_id >= 0 && h.base_sequence >= 0)
      seqs.record(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta,
                  h.base_offset);
  });
  // Open and aborted transactions come back from the whole log: a transaction left open by a
  // crash keeps the last stable offset where it was until the coordinator aborts it.
  PartitionTxns& txns = t.txns.emplace_back();
  const PartitionLog& plog = *t.partitions.back();
  plog.visit_recent_batches(plog.segment_count(), [&txns, &plog](const BatchHeader& h) {
    if ((h.attributes & kTransactionalBit) == 0) return;
    bool commit = false;
    if (h.is_control()) {
      std::string batch;
      if (!plog.read(h.base_offset, h.total_size(), true, batch)) return;
      commit = control_type(batch) == 1;
    }
    txns.on_batch(h, commit);
  });
  return Status::ok();
}

Topic* TopicStore::find_by_id(std::string_view id) {
  for (auto& [name, t] : topics_)
    if (t->id == id) return t.get();
  return nullptr;
}

Status TopicStore::set_configs(Topic& topic, TopicConfigs configs) {
  topic.configs = std::move(configs);
  const LogConfig c = effective_log_config(base_, topic.configs);
  for (auto& p : topic.partitions)
    p->set_config(c);
  return save();
}

void TopicStore::set_broker_defaults(BrokerDefaults defaults) {
  broker_defaults_ = std::move(defaults);
  base_ = effective_log_config(log_, values_of(broker_defaults_));
  for (auto& [name, t] : topics_) {
    const LogConfig c = effective_log_config(base_, t->configs);
    for (auto& p : t->partitions)
      p->set_config(c);
  }
}

int16_t TopicStore::add_partitions(Topic& topic, int32_t total, std::string& why) {
  const auto have = static_cast<int32_t>(topic.partitions.size());
  if (total <= have) {
    why = "topic " + topic.name + " has " + std::to_string(have) +
          " partition(s): the new count must be larger";
    return 37;
  }
  if (total > 10000) {
    why = "partitions must be 1..10000";
    return 37;
  }
  if (!room_for_partitions(total - have, why)) return 44;  // POLICY_VIOLATION
  int16_t error = 0;
  for (int32_t p = have; p < total && error == 0; ++p) {
    if (Status s = open_partition(topic, p); !s) {
      // Out of descriptors or disk: the partitions opened so far stay, and are saved, so that
      // what the store serves and what it reopens after a restart agree.
      why = s.message();
      error = 56;
    }
  }
  if (Status s = save(); !s) {
    why = s.message();
    return 56;
  }
  spdlog::info("broker: topic {} now has {} partition(s)", topic.name, topic.partitions.size());
  return error;
}

Topic* TopicStore::find(std::string_view name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

bool TopicStore::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

int16_t TopicStore::create(std::string_view name, int32_t partitions, const TopicConfigs& configs,
                           std::string& why) {
  if (!valid_name(name)) {
    why = "topic names use [a-zA-Z0-9._-], at most 249 characters";
    return 17;
  }
  if (find(name)) {
    why = "topic exists";
    return 36;
  }
  if (partitions < 1 || partitions > 10000) {
    why = "partitions must be 1..10000";
    return 37;
  }
  if (!room_for_partitions(partitions, why)) return 44;  // POLICY_VIOLATION
  if (Status s = open_topic(std::string(name), partitions, new_topic_id(), configs); !s) {
    why = s.message();
    return 56;  // KAFKA_STORAGE_ERROR
  }
  if (Status s = save(); !s) {
    why = s.message();
    return 56;
  }
  spdlog::info("broker: created topic {} with {} partition(s)", name, partitions);
  return 0;
}

int16_t TopicStore::remove(std::string_view name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return 3;
  for (auto& p : it->second->partitions)
    p->destroy();
  topics_.erase(it);
  (void)save();
  spdlog::info("broker: deleted topic {}", name);
  return 0;
}

Status TopicStore::save() const {
  nlohmann::json j;
  j["topics"] = nlohmann::json::object();
  for (const auto& [name, t] : topics_)
    j["topics"][name] = {
        {"partitions", t->partitions.size()}, {"id", to_hex(t->id)}, {"configs", t->configs}};
  return write_file_atomically(dir_ + "/topics.json", j.dump(2) + "\n", true);
}

Status TopicStore::flush_all() {
  Status first = Status::ok();
  for (auto& [name, t] : topics_)
    for (auto& p : t->partitions)
      if (p->dirty())
        if (Status s = p->flush(); !s && first.is_ok()) first = s;
  return first;
}

std::vector<int> TopicStore::take_dirty_fds() {
  std::vector<int> fds;
  for (auto& [name, t] : topics_)
    for (auto& p : t->partitions)
      if (int fd = p->take_dirty_fd(); fd >= 0) fds.push_back(fd);
  return fds;
}

void TopicStore::mark_all_dirty() {
  for (auto& [name, t] : topics_)
    for (auto& p : t->partitions)
      p->mark_dirty();
}

int TopicStore::enforce_retention(int64_t now_ms) {
  int n = 0;
  for (auto& [name, t] : topics_)
    for (auto& p : t->partitions)
      n += p->enforce_retention(now_ms);
  return n;
}

}  // namespace flumen::broker
