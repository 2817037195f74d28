#include "plugins/sinks/kafka/offsets_reader.h"

#include <chrono>
#include <memory>
#include <string_view>

#include "plugins/kafka_common/librdkafka_support.h"

namespace flumen::plugins {

namespace {

// The producer's connection settings are the consumer's; its producer-only keys would only make
// librdkafka warn.
bool connection_key(std::string_view k) {
  for (std::string_view prefix : {"bootstrap.servers", "security.protocol", "sasl.", "ssl.",
                                  "socket.", "broker.address.", "client.id", "metadata."})
    if (k.substr(0, prefix.size()) == prefix) return true;
  return false;
}

using Consumer = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

Error unavailable(const std::string& topic, const std::string& why) {
  return make_error(ErrorCode::kUnavailable, "cannot read offsets topic " + topic + ": " + why);
}

}  // namespace

Result<CommittedTakes> read_committed_takes(const std::map<std::string, std::string>& client,
                                            const std::string& topic, const std::string& key,
                                            int64_t from, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left_ms = [&] {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(d.count(), 1));
  };
  std::map<std::string, std::string> props;
  for (const auto& [k, v] : client)
    if (connection_key(k)) props[k] = v;
  props["isolation.level"] = "read_committed";
  props["enable.partition.eof"] = "true";
  props["enable.auto.commit"] = "false";
  props["allow.auto.create.topics"] = "false";
  props["group.id"] = "flumen-offsets-reader";  // never joins: the partition is assigned
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (Status s = kafka::apply(conf, props, "offsets reader", ""); !s) {
    rd_kafka_conf_destroy(conf);
    return make_error(s.code(), s.message());
  }
  kafka::route_logs(conf);
  char err[512];
  Consumer rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err), &rd_kafka_destroy);
  if (!rk) return unavailable(topic, err);

  CommittedTakes out;
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t e =
      rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), 0, &low, &high, left_ms());
  if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
      e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    return out;  // no take was ever committed there
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return unavailable(topic, rd_kafka_err2str(e));
  const int64_t start = std::max(from, low);
  if (start >= high) return out;

  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      parts(rd_kafka_topic_partition_list_new(1), &rd_kafka_topic_partition_list_destroy);
  rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), 0)->offset = start;
  if (rd_kafka_resp_err_t a = rd_kafka_assign(rk.get(), parts.get()); a)
    return unavailable(topic, rd_kafka_err2str(a));
  std::string last_error = "timed out";
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline)
      return unavailable(topic, "not at offset " + std::to_string(high) + " after " +
                                    std::to_string(timeout_ms) + " ms (" + last_error + ")");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), std::min(left_ms(), 200));
    if (!m) continue;
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> hold(
        m, &rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // For read_committed the end is the last stable offset: past `high` once every
      // transaction open at the call has ended.
      if (m->offset >= high) break;
      last_error = "held at offset " + std::to_string(m->offset) + " by an open transaction";
      continue;
    }
    if (m->err) {
      last_error = rd_kafka_message_errstr(m);
      continue;
    }
    if (m->offset >= high) break;
    if (std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0) != key)
      continue;
    auto t = decode_offsets_value(
        std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0));
    if (t && (!out.newest || t->take > out.newest->take)) {
      out.newest = t;
      out.newest_offset = m->offset;
    }
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

}  // namespace flumen::plugins
