#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct KafkaSinkOptions {
  std::string bootstrap_servers;
  std::string topic = "default-flume-topic";
  int64_t batch_size = 100;
  std::string required_acks;                    // deprecated Flume key; kafka.producer.acks wins
  std::map<std::string, std::string> producer;  // kafka.producer.*, handed to librdkafka
  bool use_flume_event_format = false;
  int64_t default_partition_id = -1;
  std::string partition_id_header;
  bool allow_topic_override = true;
  std::string topic_header = "topic";
  std::string timestamp_header;
  bool flume_headers = true;
  std::map<std::string, std::string> header_names;  // header.<flume header> = <kafka header>
  std::string dead_letter_directory;
  bool exactly_once = true;  // with a channel that keeps markers and a broker with transactions
  std::string offsets_topic = "flumen-sink-offsets";
  int64_t transaction_timeout_ms = 60000;  // init, commit, abort, reading offsets back
};
const config::PropertyTable<KafkaSinkOptions>& kafka_sink_table();
// kafka.producer.* checked against librdkafka (see client_keys.h).
void validate(const KafkaSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
