#include "broker/groups/offset_store.h"

#include <rocksdb/write_batch.h>

namespace flumen::broker {

namespace {

std::string key_of(const std::string& group, const std::string& topic, int32_t partition) {
  std::string k = group;
  k.push_back('\0');
  k += topic;
  k.push_back('\0');
  auto p = static_cast<uint32_t>(partition);
  for (int i = 3; i >= 0; --i)
    k.push_back(static_cast<char>(p >> (8 * i)));
  return k;
}

int64_t read_i64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(v);
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
    auto o = static_cast<uint64_t>(e.offset);
    for (int i = 7; i >= 0; --i)
      v.push_back(static_cast<char>(o >> (8 * i)));
    v += e.metadata;
    wb.Put(key_of(group, e.topic, e.partition), v);
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
  return CommittedOffset{read_i64(v.data()), v.substr(8)};
}

std::vector<OffsetStore::Entry> OffsetStore::all(const std::string& group) const {
  std::vector<Entry> out;
  std::string prefix = group;
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string k = it->key().ToString().substr(prefix.size());
    auto zero = k.find('\0');
    if (zero == std::string::npos || k.size() != zero + 5 || it->value().size() < 8) continue;
    int32_t partition = 0;
    for (size_t i = zero + 1; i < k.size(); ++i)
      partition = (partition << 8) | static_cast<unsigned char>(k[i]);
    out.push_back({k.substr(0, zero), partition, read_i64(it->value().data()),
                   it->value().ToString().substr(8)});
  }
  return out;
}

}  // namespace flumen::broker
