#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct KafkaSourceOptions {
  std::string bootstrap_servers;
  std::string topics;
  std::string topics_regex;
  std::string group_id;  // kafka.consumer.group.id; see effective_group_id()
  int64_t batch_size = 1000;
  int64_t batch_duration_ms = 1000;
  int64_t backoff_sleep_increment_ms = 1000;
  int64_t max_backoff_sleep_ms = 5000;
  bool set_topic_header = true;
  std::string topic_header = "topic";
  bool use_flume_event_format = false;
  std::map<std::string, std::string> consumer;  // kafka.consumer.*
  // Keys Flume 1.11 still reads from older confs.
  std::string old_topic;     // topic: used when neither kafka.topics nor kafka.topics.regex is set
  std::string old_group_id;  // groupId: used when kafka.consumer.group.id is not set
  std::string zookeeper_connect;
  bool migrate_zookeeper_offsets = true;

  // What the source subscribes to and as which group, after the old keys.
  std::string effective_topics() const { return topics.empty() ? old_topic : topics; }
  std::string effective_group_id() const {
    return !group_id.empty() ? group_id : !old_group_id.empty() ? old_group_id : "flume";
  }
};
const config::PropertyTable<KafkaSourceOptions>& kafka_source_table();
// Topics and brokers set; kafka.consumer.* checked against librdkafka (see client_keys.h).
void validate(const KafkaSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
