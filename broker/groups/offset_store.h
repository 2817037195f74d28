#pragma once
// OffsetStore: consumer groups' committed offsets, durable across broker restarts. Kept in a
// RocksDB database in <data-dir>/group-offsets: key "<group>\0<topic>\0<partition u32be>",
// value "<offset i64be><metadata>"; every commit is one synced atomic write. The leader epoch a
// commit names (KIP-320: OffsetCommit v6+, TxnOffsetCommit v2+) is under the same key followed
// by "\0e" (value i32be), absent for -1, so that stores written before it read as they were.
#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/util/result.h"

namespace flumen::broker {

struct CommittedOffset {
  int64_t offset = -1;
  std::string metadata;
  int32_t leader_epoch = -1;  // of the record the consumer last read (-1: not known)
};

class OffsetStore {
 public:
  static Result<std::unique_ptr<OffsetStore>> open(const std::string& dir);

  struct Entry {
    std::string topic;
    int32_t partition;
    int64_t offset;
    std::string metadata;
    int32_t leader_epoch = -1;
  };
  Status commit(const std::string& group, const std::vector<Entry>& entries);
  std::optional<CommittedOffset> get(const std::string& group, const std::string& topic,
                                     int32_t partition) const;
  // Every committed partition of a group (OffsetFetch with a null topic list).
  std::vector<Entry> all(const std::string& group) const;
  // Forgets committed offsets (OffsetDelete, DeleteGroups): the given partitions, or all of
  // the group's when `partitions` is empty. One synced atomic write.
  Status remove(const std::string& group,
                const std::vector<std::pair<std::string, int32_t>>& partitions);
  // The groups that have committed offsets.
  std::vector<std::string> groups() const;

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace flumen::broker
