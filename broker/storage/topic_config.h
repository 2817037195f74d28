#pragma once
// Per-topic configs: Kafka's topic config names, each validated against one table (an unknown
// name or a bad value is INVALID_CONFIG, with the reason), kept with the topic (topics.json) and
// applied to its partition logs. A topic's effective config is the broker's (its conf file)
// with the topic's overrides on top.
//
// Applied: retention.ms, retention.bytes, segment.bytes, segment.ms, max.message.bytes,
// index.interval.bytes, message.timestamp.type (LogAppendTime stamps batches on append),
// cleanup.policy (compact: log_cleaner.h), min.cleanable.dirty.ratio, delete.retention.ms,
// min.compaction.lag.ms, max.compaction.lag.ms, compression.type (a codec: Produce recompresses
// every batch that has another).
// Accepted and shown, with no effect on a single node: min.insync.replicas,
// unclean.leader.election.enable, the replication throttles, flush.*, preallocate, ....
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/storage/partition_log.h"

namespace flumen::broker {

using TopicConfigs = std::map<std::string, std::string, std::less<>>;

// Kafka's ConfigSource values, as DescribeConfigs and CreateTopics v5+ answer them.
inline constexpr int8_t kConfigSourceTopic = 1;                 // DYNAMIC_TOPIC_CONFIG
inline constexpr int8_t kConfigSourceDynamicBroker = 2;         // DYNAMIC_BROKER_CONFIG
inline constexpr int8_t kConfigSourceDynamicDefaultBroker = 3;  // DYNAMIC_DEFAULT_BROKER_CONFIG
inline constexpr int8_t kConfigSourceStaticBroker = 4;          // STATIC_BROKER_CONFIG
inline constexpr int8_t kConfigSourceDefault = 5;               // DEFAULT_CONFIG

struct ConfigEntry {
  std::string name;
  std::string value;
  int8_t source;
};

// The broker's dynamic topic defaults (AlterConfigs on a BROKER resource: log.retention.ms for
// every topic without its own retention.ms), by topic config name: the value and its source
// (DYNAMIC_BROKER_CONFIG or DYNAMIC_DEFAULT_BROKER_CONFIG).
using BrokerDefaults = std::map<std::string, ConfigEntry, std::less<>>;
// The topic config a broker config is the default of, as Kafka's synonyms pair them
// (log.retention.ms -> retention.ms, message.max.bytes -> max.message.bytes); "" for none.
std::string_view topic_config_of(std::string_view broker_config);
// The topic configs `defaults` sets, as overrides (for effective_log_config).
TopicConfigs values_of(const BrokerDefaults& defaults);

// 0, or INVALID_CONFIG (40) with `why`.
int16_t validate_topic_config(std::string_view name, std::string_view value, std::string& why);
// Whether `name` is a topic config at all.
bool is_topic_config(std::string_view name);
// Whether `name` is a list config (Kafka's LIST type: cleanup.policy, the throttled-replica
// lists), the only ones IncrementalAlterConfigs APPEND and SUBTRACT apply to.
bool is_list_config(std::string_view name);
// Kafka's own default of a topic config (not the broker's): what APPEND and SUBTRACT start from
// when the topic does not override it, as Kafka's controller does.
std::string kafka_default_of(std::string_view name);
// A list config's items (empty ones dropped), and back.
std::vector<std::string> split_list(std::string_view value);
std::string join_list(const std::vector<std::string>& items);
// Every topic config with its effective value and where it comes from.
std::vector<ConfigEntry> describe_topic_configs(const LogConfig& broker,
                                                const BrokerDefaults& dynamic,
                                                const TopicConfigs* overrides);
// The broker's log config with a topic's overrides applied (values already validated).
LogConfig effective_log_config(const LogConfig& broker, const TopicConfigs& overrides);
// compression.type's value as a RecordBatch codec (0 uncompressed, 1 gzip, 2 snappy, 3 lz4,
// 4 zstd), or kStoreAsProduced for "producer".
int compression_codec_of(std::string_view type);
// cleanup.policy's value ("delete", "compact", "compact,delete", ...) into the config's flags.
void set_cleanup_policy(LogConfig& c, std::string_view policy);

}  // namespace flumen::broker
