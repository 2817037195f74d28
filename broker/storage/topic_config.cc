#include "broker/storage/topic_config.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace flumen::broker {

namespace {

// kList: Kafka's LIST type, comma-separated values (each one of `choices` when it is set),
// the only kind IncrementalAlterConfigs APPEND and SUBTRACT apply to.
enum class Kind { kLong, kRatio, kBool, kChoice, kList };

struct TopicConfigDef {
  const char* name;
  Kind kind;
  int64_t min = 0;
  int64_t max = INT64_MAX;
  const char* choices = nullptr;        // kChoice: '|'-separated, the first is the default
  const char* kafka_default = nullptr;  // when the broker's conf does not give it
  int64_t LogConfig::*broker = nullptr;
};

// Kafka's topic configs (names, ranges and defaults as Kafka 3.x documents them).
const std::vector<TopicConfigDef>& defs() {
  static const std::vector<TopicConfigDef> table = {
      {"cleanup.policy", Kind::kList, 0, 0, "delete|compact"},
      {"compression.type", Kind::kChoice, 0, 0, "producer|uncompressed|gzip|snappy|lz4|zstd"},
      {"delete.retention.ms", Kind::kLong, 0, INT64_MAX, nullptr, nullptr,
       &LogConfig::delete_retention_ms},
      {"file.delete.delay.ms", Kind::kLong, 0, INT64_MAX, nullptr, "60000"},
      {"flush.messages", Kind::kLong, 1, INT64_MAX, nullptr, "9223372036854775807"},
      {"flush.ms", Kind::kLong, 0, INT64_MAX, nullptr, "9223372036854775807"},
      {"follower.replication.throttled.replicas", Kind::kList, 0, 0, nullptr, ""},
      {"index.interval.bytes", Kind::kLong, 0, INT32_MAX, nullptr, nullptr,
       &LogConfig::index_interval_bytes},
      {"leader.replication.throttled.replicas", Kind::kList, 0, 0, nullptr, ""},
      {"local.retention.bytes", Kind::kLong, -2, INT64_MAX, nullptr, "-2"},
      {"local.retention.ms", Kind::kLong, -2, INT64_MAX, nullptr, "-2"},
      {"max.compaction.lag.ms", Kind::kLong, 1, INT64_MAX, nullptr, nullptr,
       &LogConfig::max_compaction_lag_ms},
      {"max.message.bytes", Kind::kLong, 0, INT32_MAX, nullptr, nullptr,
       &LogConfig::max_message_bytes},
      {"message.downconversion.enable", Kind::kBool, 0, 0, nullptr, "true"},
      {"message.format.version", Kind::kChoice, 0, 0, nullptr, "3.0-IV1"},
      {"message.timestamp.after.max.ms", Kind::kLong, 0, INT64_MAX, nullptr, "9223372036854775807"},
      {"message.timestamp.before.max.ms", Kind::kLong, 0, INT64_MAX, nullptr,
       "9223372036854775807"},
      {"message.timestamp.difference.max.ms", Kind::kLong, 0, INT64_MAX, nullptr,
       "9223372036854775807"},
      {"message.timestamp.type", Kind::kChoice, 0, 0, "CreateTime|LogAppendTime"},
      {"min.cleanable.dirty.ratio", Kind::kRatio, 0, 1, nullptr, "0.5"},
      {"min.compaction.lag.ms", Kind::kLong, 0, INT64_MAX, nullptr, nullptr,
       &LogConfig::min_compaction_lag_ms},
      {"min.insync.replicas", Kind::kLong, 1, INT32_MAX, nullptr, "1"},
      {"preallocate", Kind::kBool, 0, 0, nullptr, "false"},
      {"remote.storage.enable", Kind::kBool, 0, 0, nullptr, "false"},
      {"retention.bytes", Kind::kLong, -1, INT64_MAX, nullptr, nullptr,
       &LogConfig::retention_bytes},
      {"retention.ms", Kind::kLong, -1, INT64_MAX, nullptr, nullptr, &LogConfig::retention_ms},
      {"segment.bytes", Kind::kLong, 14, INT32_MAX, nullptr, nullptr, &LogConfig::segment_bytes},
      {"segment.index.bytes", Kind::kLong, 8, INT32_MAX, nullptr, "10485760"},
      {"segment.jitter.ms", Kind::kLong, 0, INT64_MAX, nullptr, "0"},
      {"segment.ms", Kind::kLong, 1, INT64_MAX, nullptr, nullptr, &LogConfig::segment_ms},
      {"unclean.leader.election.enable", Kind::kBool, 0, 0, nullptr, "false"},
  };
  return table;
}

const TopicConfigDef* find_def(std::string_view name) {
  for (const TopicConfigDef& d : defs())
    if (name == d.name) return &d;
  return nullptr;
}

// Whether `value` is one of the '|'-separated `choices`.
bool is_choice(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    const size_t bar = choices.find('|');
    if (choices.substr(0, bar) == value) return true;
    choices = bar == std::string_view::npos ? std::string_view() : choices.substr(bar + 1);
  }
  return false;
}

bool parse_long(std::string_view s, int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// The conf-file bit of a LogConfig member (see LogConfig::set_in_conf).
uint32_t conf_key(int64_t LogConfig::*member) {
  if (member == &LogConfig::segment_bytes) return kConfSegmentBytes;
  if (member == &LogConfig::segment_ms) return kConfSegmentMs;
  if (member == &LogConfig::retention_bytes) return kConfRetentionBytes;
  if (member == &LogConfig::retention_ms) return kConfRetentionMs;
  if (member == &LogConfig::index_interval_bytes) return kConfIndexIntervalBytes;
  if (member == &LogConfig::max_message_bytes) return kConfMaxMessageBytes;
  if (member == &LogConfig::delete_retention_ms) return kConfDeleteRetentionMs;
  if (member == &LogConfig::min_compaction_lag_ms) return kConfMinCompactionLagMs;
  if (member == &LogConfig::max_compaction_lag_ms) return kConfMaxCompactionLagMs;
  return 0;
}

std::string cleanup_policy_text(const LogConfig& c) {
  if (c.cleanup_compact && c.cleanup_delete) return "compact,delete";
  return c.cleanup_compact ? "compact" : "delete";
}

std::string ratio_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

std::string default_of(const TopicConfigDef& d, const LogConfig& broker, int8_t& source) {
  source = kConfigSourceDefault;
  // The two broker defaults that are not integers.
  if (std::strcmp(d.name, "cleanup.policy") == 0) {
    if (broker.set_in_conf & kConfCleanupPolicy) source = kConfigSourceStaticBroker;
    return cleanup_policy_text(broker);
  }
  if (std::strcmp(d.name, "min.cleanable.dirty.ratio") == 0) {
    if (broker.set_in_conf & kConfMinCleanableRatio) source = kConfigSourceStaticBroker;
    return ratio_text(broker.min_cleanable_dirty_ratio);
  }
  if (d.broker) {
    // Kafka says STATIC_BROKER_CONFIG only when server.properties gives the key; a value the
    // broker has because nobody set it is DEFAULT_CONFIG.
    if (broker.set_in_conf & conf_key(d.broker)) source = kConfigSourceStaticBroker;
    return std::to_string(broker.*d.broker);
  }
  if (d.kafka_default) return d.kafka_default;
  if (d.choices) return std::string(d.choices, std::strcspn(d.choices, "|"));
  return "";
}

}  // namespace

int compression_codec_of(std::string_view type) {
  // RecordBatch v2's codec numbers (attributes bits 0-2), in compression.type's own order.
  static constexpr std::string_view kCodecs[] = {"uncompressed", "gzip", "snappy", "lz4", "zstd"};
  for (int codec = 0; codec < 5; ++codec)
    if (type == kCodecs[codec]) return codec;
  return kStoreAsProduced;
}

void set_cleanup_policy(LogConfig& c, std::string_view policy) {
  c.cleanup_compact = policy.find("compact") != std::string_view::npos;
  c.cleanup_delete = policy.find("delete") != std::string_view::npos;
}

bool is_topic_config(std::string_view name) {
  return find_def(name) != nullptr;
}

int16_t validate_topic_config(std::string_view name, std::string_view value, std::string& why) {
  constexpr int16_t kInvalidConfig = 40;
  const TopicConfigDef* d = find_def(name);
  if (!d) {
    why = "unknown topic config " + std::string(name);
    return kInvalidConfig;
  }
  auto bad = [&](const std::string& what) {
    why = "invalid value " + std::string(value) + " for " + d->name + ": " + what;
    return kInvalidConfig;
  };
  switch (d->kind) {
    case Kind::kLong: {
      int64_t v = 0;
      if (!parse_long(value, v)) return bad("not an integer");
      if (v < d->min || v > d->max)
        return bad("must be in [" + std::to_string(d->min) + ", " + std::to_string(d->max) + "]");
      break;
    }
    case Kind::kRatio: {
      char* end = nullptr;
      const std::string s(value);
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || v < 0 || v > 1) return bad("must be a number in [0, 1]");
      break;
    }
    case Kind::kBool:
      if (value != "true" && value != "false") return bad("must be true or false");
      break;
    case Kind::kChoice:
      if (!d->choices) break;  // free text (format versions)
      if (!is_choice(d->choices, value)) return bad(std::string("must be one of ") + d->choices);
      break;
    case Kind::kList:
      if (!d->choices) break;  // free text (replica lists)
      for (const std::string& item : split_list(value))
        if (!is_choice(d->choices, item))
          return bad(std::string("each item must be one of ") + d->choices);
      break;
  }
  return 0;
}

bool is_list_config(std::string_view name) {
  const TopicConfigDef* d = find_def(name);
  return d && d->kind == Kind::kList;
}

std::string kafka_default_of(std::string_view name) {
  const TopicConfigDef* d = find_def(name);
  if (!d) return "";
  if (d->kafka_default) return d->kafka_default;
  if (d->broker) return std::to_string(LogConfig{}.*d->broker);
  if (d->choices) return std::string(d->choices, std::strcspn(d->choices, "|"));
  return "";
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::string_view topic_config_of(std::string_view broker_config) {
  static constexpr std::pair<std::string_view, std::string_view> kSynonyms[] = {
      {"compression.type", "compression.type"},
      {"log.cleaner.delete.retention.ms", "delete.retention.ms"},
      {"log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"},
      {"log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"},
      {"log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"},
      {"log.cleanup.policy", "cleanup.policy"},
      {"log.index.interval.bytes", "index.interval.bytes"},
      {"log.message.timestamp.type", "message.timestamp.type"},
      {"log.retention.bytes", "retention.bytes"},
      {"log.retention.ms", "retention.ms"},
      {"log.roll.ms", "segment.ms"},
      {"log.segment.bytes", "segment.bytes"},
      {"message.max.bytes", "max.message.bytes"},
  };
  for (const auto& [broker, topic] : kSynonyms)
    if (broker == broker_config) return topic;
  return {};
}

TopicConfigs values_of(const BrokerDefaults& defaults) {
  TopicConfigs out;
  for (const auto& [name, e] : defaults)
    out.emplace(name, e.value);
  return out;
}

std::vector<ConfigEntry> describe_topic_configs(const LogConfig& broker,
                                                const BrokerDefaults& dynamic,
                                                const TopicConfigs* overrides) {
  std::vector<ConfigEntry> out;
  for (const TopicConfigDef& d : defs()) {
    ConfigEntry e{d.name, "", kConfigSourceDefault};
    auto it = overrides ? overrides->find(d.name) : TopicConfigs::const_iterator();
    if (overrides && it != overrides->end()) {
      e.value = it->second;
      e.source = kConfigSourceTopic;
    } else if (auto dyn = dynamic.find(d.name); dyn != dynamic.end()) {
      e.value = dyn->second.value;
      e.source = dyn->second.source;
    } else {
      e.value = default_of(d, broker, e.source);
    }
    out.push_back(std::move(e));
  }
  return out;
}

LogConfig effective_log_config(const LogConfig& broker, const TopicConfigs& overrides) {
  LogConfig c = broker;
  for (const auto& [name, value] : overrides) {
    const TopicConfigDef* d = find_def(name);
    if (!d) continue;
    int64_t v = 0;
    if (d->broker && parse_long(value, v)) c.*(d->broker) = v;
    if (name == "message.timestamp.type") c.log_append_time = value == "LogAppendTime";
    if (name == "cleanup.policy") set_cleanup_policy(c, value);
    if (name == "compression.type") c.compression_codec = compression_codec_of(value);
    if (name == "min.cleanable.dirty.ratio")
      c.min_cleanable_dirty_ratio = std::strtod(value.c_str(), nullptr);
  }
  return c;
}

}  // namespace flumen::broker
