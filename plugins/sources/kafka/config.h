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
  std::string group_id = "flume";
  int64_t batch_size = 1000;
  int64_t batch_duration_ms = 1000;
  int64_t backoff_sleep_increment_ms = 1000;
  int64_t max_backoff_sleep_ms = 5000;
  bool set_topic_header = true;
  std::string topic_header = "topic";
  bool use_flume_event_format = false;
  std::map<std::string, std::string> consumer;  // kafka.consumer.*
};
const config::PropertyTable<KafkaSourceOptions>& kafka_source_table();

}  // namespace flumen::plugins
