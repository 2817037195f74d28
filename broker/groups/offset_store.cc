#include "broker/groups/offset_store.h"

#include <rocksdb/write_batch.h>

#include "agent/util/byte_order.h"

namespace flumen::broker {

namespace {

std::string key_of(const std::string& group, const std::string& topic, int32_t partition) {
  std::string k = group;
  k.push_back('\0');
  k += topic;
  k.push_back('\0');
  util::append_be<int32_t>(k, partition);
  return k;
}

// The key of a partition's committed leader epoch: its offset key and this suffix, so it sorts
// right after it and has a length all() and groups() do not take for an offset key.
constexpr std::string_view kEpochSuffix("\0e", 2);

std::string epoch_key_of(const std::string& group, const std::string& topic, int32_t partition) {
  return key_of(group, topic, partition) + std::string(kEpochSuffix);
}

}  // namespace

Result<std::unique_ptr<OffsetStore>> OffsetStore::open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.write_buffer_size = 4 << 20;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok())
    return make_error(ErrorCode::kIo,
                      "cannot open the group offsets in " + dir + ": " + s.ToString());
  auto store = std::make_unique<OffsetStore>();
  store->db_.reset(db);
  return store;
}

Status OffsetStore::commit(const std::string& group, const std::vector<Entry>& entries) {
  rocksdb::WriteBatch wb;
  for (const Entry& e : entries) {
    std::string v;
    util::append_be<int64_t>(v, e.offset);
    v += e.metadata;
    wb.Put(key_of(group, e.topic, e.partition), v);
    if (e.leader_epoch >= 0) {
      std::string epoch;
      util::append_be<int32_t>(epoch, e.leader_epoch);
      wb.Put(epoch_key_of(group, e.topic, e.partition), epoch);
    } else {
      wb.Delete(epoch_key_of(group, e.topic, e.partition));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) return make_error(ErrorCode::kIo, "offset commit failed: " + s.ToString());
  return Status::ok();
}

std::optional<CommittedOffset> OffsetStore::get(const std::string& group, const std::string& topic,
                                                int32_t partition) const {
  std::string v;
  if (!db_->Get(rocksdb::ReadOptions(), key_of(group, topic, partition), &v).ok() || v.size() < 8)
    return std::nullopt;
  CommittedOffset c{util::load_be<int64_t>(v.data()), v.substr(8)};
  std::string epoch;
  if (db_->Get(rocksdb::ReadOptions(), epoch_key_of(group, topic, partition), &epoch).ok() &&
      epoch.size() == 4)
    c.leader_epoch = util::load_be<int32_t>(epoch.data());
  return c;
}

std::vector<OffsetStore::Entry> OffsetStore::all(const std::string& group) const {
  std::vector<Entry> out;
  std::string prefix = group;
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string k = it->key().ToString().substr(prefix.size());
    auto zero = k.find('\0');
    if (zero != std::string::npos && k.size() == zero + 5 + kEpochSuffix.size() &&
        k.ends_with(kEpochSuffix) && it->value().size() == 4 && !out.empty() &&
        out.back().topic == k.substr(0, zero) &&
        out.back().partition == util::load_be<int32_t>(k.data() + zero + 1)) {
      out.back().leader_epoch = util::load_be<int32_t>(it->value().data());  // follows its key
      continue;
    }
    if (zero == std::string::npos || k.size() != zero + 5 || it->value().size() < 8) continue;
    const auto partition = util::load_be<int32_t>(k.data() + zero + 1);
    out.push_back({k.substr(0, zero), partition, util::load_be<int64_t>(it->value().data()),
                   it->value().ToString().substr(8)});
  }
  return out;
}

Status OffsetStore::remove(const std::string& group,
                           const std::vector<std::pair<std::string, int32_t>>& partitions) {
  rocksdb::WriteBatch wb;
  if (partitions.empty()) {
    for (const Entry& e : all(group)) {
      wb.Delete(key_of(group, e.topic, e.partition));
      wb.Delete(epoch_key_of(group, e.topic, e.partition));
    }
  } else {
    for (const auto& [topic, partition] : partitions) {
      wb.Delete(key_of(group, topic, partition));
      wb.Delete(epoch_key_of(group, topic, partition));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) return make_error(ErrorCode::kIo, "offset delete failed: " + s.ToString());
  return Status::ok();
}

std::vector<std::string> OffsetStore::groups() const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid();) {
    const std::string k = it->key().ToString();
    const auto zero = k.find('\0');
    if (zero == std::string::npos) {
      it->Next();
      continue;
    }
    out.push_back(k.substr(0, zero));
    // Skip the rest of this group's keys: the next key after "<group>\1".
    std::string next = out.back();
    next.push_back('\1');
    it->Seek(next);
  }
  return out;
}

}  // namespace flumen::broker
