#pragma once
// What the kafka sink and source share around librdkafka: its log lines routed to the agent's
// logger, a property map applied to a librdkafka conf with an error that names the flumen key,
// and Flume's AvroFlumeEvent format ({map<string> headers; bytes body} in Avro binary), which
// Flume's Kafka sink and source use with useFlumeEventFormat.
#include <librdkafka/rdkafka.h>

#include <map>
#include <string>
#include <string_view>

#include "agent/event/event_batch.h"
#include "agent/util/result.h"

namespace flumen::plugins::kafka {

void route_logs(rd_kafka_conf_t* conf);

// Sets every property; on a bad one the error reads "<what>: <key_prefix><key>: <why>".
Status apply(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props,
             const std::string& what, const std::string& key_prefix);

// Event i of `batch` as an AvroFlumeEvent, into `out` (replaced) or appended to it.
void encode_flume_event(const EventBatch& batch, size_t i, std::string& out);
void append_flume_event(const EventBatch& batch, size_t i, std::string& out);
// Appends the event `bytes` encode to `out`; false when they are not exactly one AvroFlumeEvent.
bool decode_flume_event(std::string_view bytes, EventBatch& out, size_t& index);

}  // namespace flumen::plugins::kafka
