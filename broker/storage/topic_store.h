#pragma once
// TopicStore: the broker's topics and their partition logs. Topic metadata lives in
// <data-dir>/topics.json ({"topics": {"name": {"partitions": N, "id": "<32 hex digits>",
// "configs": {"retention.ms": "..."}}}}), rewritten atomically (temp file, fsync, rename) on
// every change; each partition's log in <data-dir>/<topic>-<partition>/. A topic without an id
// (written by an older broker) gets one when it is loaded.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/util/log_throttle.h"
#include "agent/util/result.h"
#include "broker/storage/partition_log.h"
#include "broker/storage/producer_state.h"
#include "broker/storage/topic_config.h"
#include "broker/storage/txn_state.h"

namespace flumen::broker {

struct Topic {
  std::string name;
  std::string id;        // 16 bytes: the topic id of Metadata v10+, DeleteTopics v6
  TopicConfigs configs;  // the topic's overrides of the broker's log config
  std::vector<std::unique_ptr<PartitionLog>> partitions;
  std::vector<ProducerSequences> sequences;  // per partition: idempotent producers
  std::vector<PartitionTxns> txns;           // per partition: open and aborted transactions
};

class TopicStore {
 public:
  static Result<std::unique_ptr<TopicStore>> open(const std::string& data_dir, LogConfig log);

  Topic* find(std::string_view name);
  Topic* find_by_id(std::string_view id);
  const std::map<std::string, std::unique_ptr<Topic>, std::less<>>& topics() const {
    return topics_;
  }
  // Kafka error codes: 0, 36 TOPIC_ALREADY_EXISTS, 37 INVALID_PARTITIONS, 17 INVALID_TOPIC.
  // `configs` must be validated already (validate_topic_config).
  int16_t create(std::string_view name, int32_t partitions, const TopicConfigs& configs,
                 std::string& why);
  int16_t create(std::string_view name, int32_t partitions, std::string& why) {
    return create(name, partitions, {}, why);
  }
  // Replaces a topic's overrides (validated already) and applies them to its logs.
  Status set_configs(Topic& topic, TopicConfigs configs);
  // The broker's dynamic topic defaults changed (or were loaded): every partition of a topic
  // that does not override a config takes the new default at once.
  void set_broker_defaults(BrokerDefaults defaults);
  const BrokerDefaults& broker_defaults() const { return broker_defaults_; }
  // Grows a topic to `total` partitions: 0, or 37 INVALID_PARTITIONS with `why`.
  int16_t add_partitions(Topic& topic, int32_t total, std::string& why);
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
  TopicStore(std::string dir, LogConfig log) : dir_(std::move(dir)), log_(log), base_(log) {}
  // Whether `count` more partitions fit in the process's descriptor limit; why not in `why`.
  bool room_for_partitions(int32_t count, std::string& why) const;
  Status save() const;
  Status open_topic(const std::string& name, int32_t partitions, std::string id,
                    TopicConfigs configs);
  Status open_partition(Topic& t, int32_t index);

  std::string dir_;
  LogConfig log_;                   // the broker's conf file
  BrokerDefaults broker_defaults_;  // its dynamic topic defaults
  LogConfig base_;                  // log_ with broker_defaults_: what a topic starts from
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
  mutable util::LogThrottle no_room_log_;  // refusals for want of descriptors
};

}  // namespace flumen::broker
