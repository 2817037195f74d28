#pragma once
// TopicStore: the broker's topics and their partition logs. Topic metadata lives in
// <data-dir>/topics.json ({"topics": {"name": {"partitions": N}}}), rewritten atomically (temp
// file, fsync, rename) on every change; each partition's log in <data-dir>/<topic>-<partition>/.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/util/result.h"
#include "broker/storage/partition_log.h"
#include "broker/storage/producer_state.h"

namespace flumen::broker {

struct Topic {
  std::string name;
  std::vector<std::unique_ptr<PartitionLog>> partitions;
  std::vector<ProducerSequences> sequences;  // per partition: idempotent producers
};

class TopicStore {
 public:
  static Result<std::unique_ptr<TopicStore>> open(const std::string& data_dir, LogConfig log);

  Topic* find(std::string_view name);
  const std::map<std::string, std::unique_ptr<Topic>, std::less<>>& topics() const {
    return topics_;
  }
  // Kafka error codes: 0, 36 TOPIC_ALREADY_EXISTS, 37 INVALID_PARTITIONS, 17 INVALID_TOPIC.
  int16_t create(std::string_view name, int32_t partitions, std::string& why);
  // 0 or 3 UNKNOWN_TOPIC_OR_PARTITION.
  int16_t remove(std::string_view name);
  static bool valid_name(std::string_view name);
  // Flushes every log with unsynced appends; returns the first error.
  Status flush_all();
  // Descriptors to fsync for everything appended since the last time (see take_dirty_fd).
  std::vector<int> take_dirty_fds();
  // A sync round failed: every log is synced again by the next one.
  void mark_all_dirty();
  int enforce_retention(int64_t now_ms);

 private:
  TopicStore(std::string dir, LogConfig log) : dir_(std::move(dir)), log_(log) {}
  Status save() const;
  Status open_topic(const std::string& name, int32_t partitions);

  std::string dir_;
  LogConfig log_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
};

}  // namespace flumen::broker
