#include "plugins/sinks/kafka/kafka_sink.h"

#include "plugins/kafka_common/client_keys.h"

#include "plugins/kafka_common/librdkafka_support.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include "agent/config/property_table.h"

namespace flumen::plugins {

using pipeline::DeliveryResult;

namespace {

// Refusals no retry can fix: the record goes to the dead-letter path.
bool permanent(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return true;
    default:
      return false;
  }
}

}  // namespace

KafkaSink::KafkaSink(std::string name, KafkaSinkOptions options)
    : Sink(std::move(name)), options_(std::move(options)) {}

KafkaSink::~KafkaSink() {
  stop();
}

Status KafkaSink::start() {
  if (options_.topic.find('%') != std::string::npos) {
    std::string error;
    topic_path_ = BucketPath::compile(options_.topic, error);
    if (!topic_path_)
      return make_error(ErrorCode::kInvalidConfig,
                        "kafka sink " + name() + ": kafka.topic: " + error);
  }
  for (const auto& [flume, kafka_name] : options_.header_names)
    header_renames_.emplace(flume, kafka_name);
  rollbacks_ = &metrics().counter("RollbackCount");
  dead_letters_ = &metrics().counter("EventDeadLetterCount");
  recognised_ = &metrics().counter("EventAlreadyInKafkaCount");
  if (Status s = start_exactly_once(); !s) return s;
  return create_producer();
}

std::map<std::string, std::string> KafkaSink::producer_properties() const {
  // Idempotence (no duplicates from librdkafka's own retries) needs acks=all, so that is the
  // default. A user who asks for Flume's acks=1 (or 0) gets it, without idempotence.
  std::map<std::string, std::string> props = {
      {"linger.ms", "5"},
      {"message.timeout.ms", "30000"},
  };
  if (!options_.required_acks.empty()) props["acks"] = options_.required_acks;
  for (const auto& [k, v] :
       kafka::librdkafka_properties(options_.producer, kafka::ClientRole::kProducer))
    props[k] = v;
  if (!props.count("acks")) props["acks"] = "all";
  const bool acks_all = props["acks"] == "all" || props["acks"] == "-1";
  if (!props.count("enable.idempotence")) props["enable.idempotence"] = acks_all ? "true" : "false";
  props["bootstrap.servers"] = options_.bootstrap_servers;
  if (exactly_once_) {
    props["transactional.id"] = record_.transactional_id;
    if (!props.count("transaction.timeout.ms"))
      props["transaction.timeout.ms"] = std::to_string(options_.transaction_timeout_ms);
    // librdkafka refuses a delivery timeout longer than the transaction's.
    const auto txn = config::parse_int(props["transaction.timeout.ms"]).value_or(60000);
    if (config::parse_int(props["message.timeout.ms"]).value_or(30000) > txn)
      props["message.timeout.ms"] = std::to_string(txn);
  }
  return props;
}

Status KafkaSink::create_producer() {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> props = producer_properties();
  if (Status st = kafka::apply(conf, props, "kafka sink " + name(), "kafka.producer."); !st) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  client_props_ = props;
  txn_initialised_ = false;
  txn_ready_ = false;
  delivery_timeout_ms_ = config::parse_int(props["message.timeout.ms"]).value_or(30000);
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::on_delivery);
  kafka::route_logs(conf);
  rd_kafka_conf_set_opaque(conf, this);
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!producer_) return make_error(ErrorCode::kInvalidConfig, "kafka sink " + name() + ": " + err);
  return Status::ok();
}

rd_kafka_topic_t* KafkaSink::topic_handle(std::string_view topic) {
  // One handle per topic, kept: producing by name would look it up for every record.
  auto it = topic_handles_.find(topic);
  if (it != topic_handles_.end()) return it->second;
  rd_kafka_topic_t* t = rd_kafka_topic_new(producer_, std::string(topic).c_str(), nullptr);
  topic_handles_.emplace(std::string(topic), t);
  return t;
}

void KafkaSink::release_topics() {
  for (auto& [name, t] : topic_handles_)
    rd_kafka_topic_destroy(t);
  topic_handles_.clear();
}

void KafkaSink::stop() {
  if (!producer_) return;
  if (!interrupted_.load()) rd_kafka_flush(producer_, 5000);
  destroy_producer();
}

void KafkaSink::destroy_producer() {
  // After rd_kafka_destroy librdkafka holds no reference into any batch produced without a copy.
  release_topics();
  rd_kafka_destroy(producer_);
  producer_ = nullptr;
  txn_initialised_ = false;  // a new producer initialises again (and fences this one)
  txn_ready_ = false;
}

void KafkaSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  // The opaque is (batch generation << 24) | (index + 1): reports of an abandoned batch that
  // come late must not count for the batch after it.
  const auto tag = reinterpret_cast<uintptr_t>(m->_private);
  const uintptr_t index = tag & 0xffffff;
  if ((tag >> 24) != (self->generation_ & 0xffffffffff) || index == 0 ||
      index > self->outcomes_.size())
    return;
  Outcome& o = self->outcomes_[index - 1];
  if (o != Outcome::kPending) return;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    o = Outcome::kDelivered;
    if (index == self->offsets_slot_) self->offsets_record_offset_ = m->offset;
  } else {
    o = permanent(m->err) ? Outcome::kRejected : Outcome::kRetry;
    self->errors_[index - 1] = rd_kafka_err2str(m->err);
  }
  --self->pending_;
}

bool KafkaSink::topic_for(const EventBatch& batch, size_t i, std::string_view& topic,
                          std::string& why) {
  if (options_.allow_topic_override)
    if (auto t = batch.header(i, options_.topic_header); t && !t->empty()) {
      topic = *t;
      return true;
    }
  if (!topic_path_) {
    topic = options_.topic;
    return true;
  }
  // The escapes of Flume's hdfs paths (%{header} above all), expanded per event.
  std::string& out = expanded_.emplace_back();
  std::string missing;
  if (!topic_path_->expand(batch, i, metrics::now_millis(), TimeZoneSpec{}, out, missing)) {
    why = "kafka.topic needs header '" + missing + "', which the event does not have";
    return false;
  }
  topic = out;
  return true;
}

void KafkaSink::dead_letter(const EventBatch& batch, size_t i, std::string_view topic,
                            const std::string& why) {
  dead_letters_->inc();
  dead_letter_log_.warn("kafka sink {}: event refused by Kafka for good ({}), topic {}", name(),
                        why, topic);
  if (options_.dead_letter_directory.empty()) return;
  nlohmann::json j;
  j["topic"] = std::string(topic);
  j["error"] = why;
  j["headers"] = nlohmann::json::object();
  for (size_t h = 0; h < batch.header_count(i); ++h) {
    auto [k, v] = batch.header_at(i, h);
    j["headers"][std::string(k)] = std::string(v);
  }
  j["body"] = std::string(batch.body(i));
  // Workers of one sink share the file: one line at a time.
  static std::mutex file_mutex;
  std::lock_guard lock(file_mutex);
  std::error_code ec;
  std::filesystem::create_directories(options_.dead_letter_directory, ec);
  std::ofstream out(options_.dead_letter_directory + "/" + name() + ".deadletter.jsonl",
                    std::ios::app);
  out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int32_t KafkaSink::partition_for(const EventBatch& batch, size_t i) const {
  int32_t partition = options_.default_partition_id >= 0
                          ? static_cast<int32_t>(options_.default_partition_id)
                          : RD_KAFKA_PARTITION_UA;
  if (!options_.partition_id_header.empty())
    if (auto p = batch.header(i, options_.partition_id_header))
      if (auto v = config::parse_int(*p)) partition = static_cast<int32_t>(*v);
  return partition;
}

void KafkaSink::produce_run(const EventBatch& batch, size_t begin, size_t end,
                            std::string_view topic, std::vector<bool>& done) {
  // Reused between runs: a transaction's worth of records is a large block to allocate afresh.
  std::vector<rd_kafka_message_t>& msgs = run_msgs_;
  msgs.assign(end - begin, rd_kafka_message_t{});
  // Flume-format values are encoded into one buffer first (pointers are set once it is final).
  std::vector<size_t>& ends = run_ends_;
  ends.clear();
  if (options_.use_flume_event_format) {
    encoded_.clear();
    for (size_t i = begin; i < end; ++i) {
      kafka::append_flume_event(batch, i, encoded_);
      ends.push_back(encoded_.size());
    }
  }
  for (size_t i = begin; i < end; ++i) {
    rd_kafka_message_t& m = msgs[i - begin];
    std::string_view value = batch.body(i);
    if (options_.use_flume_event_format) {
      const size_t from = i == begin ? 0 : ends[i - begin - 1];
      value = std::string_view(encoded_).substr(from, ends[i - begin] - from);
    }
    m.payload = const_cast<char*>(value.data());
    m.len = value.size();
    if (auto key = batch.header(i, "key")) {
      m.key = const_cast<char*>(key->data());
      m.key_len = key->size();
    }
    m.partition = partition_for(batch, i);
    m._private = reinterpret_cast<void*>(
        static_cast<uintptr_t>(((generation_ & 0xffffffffff) << 24) | (i + 1)));
  }
  // Values in the batch go without RD_KAFKA_MSG_F_COPY: librdkafka reads them in place, and
  // they stay valid because deliver() returns only once every report came back, or after
  // dropping the producer. Flume-format values live in encoded_, which the next run rewrites:
  // those are copied.
  const int copy = options_.use_flume_event_format ? RD_KAFKA_MSG_F_COPY : 0;
  rd_kafka_produce_batch(topic_handle(topic), RD_KAFKA_PARTITION_UA,
                         copy | RD_KAFKA_MSG_F_PARTITION, msgs.data(),
                         static_cast<int>(msgs.size()));
  for (size_t i = begin; i < end; ++i) {
    const rd_kafka_resp_err_t e = msgs[i - begin].err;
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) continue;  // the per-record path waits for room
    done[i] = true;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      outcomes_[i] = permanent(e) ? Outcome::kRejected : Outcome::kRetry;
      errors_[i] = rd_kafka_err2str(e);
      --pending_;
    }
  }
  rd_kafka_poll(producer_, 0);
}

DeliveryResult KafkaSink::deliver(const EventBatch& batch) {
  if (!producer_) {
    if (Status s = create_producer(); !s) return DeliveryResult::retry(s.message());
  }
  if (exactly_once_) return deliver_exactly_once(batch);
  return deliver_at_least_once(batch);
}

void KafkaSink::produce_all(const EventBatch& batch, std::vector<bool>* excluded,
                            const std::function<void()>& before_events) {
  const size_t n = batch.size();
  ++generation_;
  // A transaction's offsets record has the slot after the events' (see deliver_exactly_once).
  outcomes_.assign(n + (excluded ? 1 : 0), Outcome::kPending);
  errors_.assign(outcomes_.size(), {});
  pending_ = outcomes_.size();
  // handled[i]: produced through produce_batch, or refused before it reached librdkafka.
  std::vector<bool>& handled = handled_;
  handled.assign(n, false);
  topics_.assign(n, {});
  expanded_.clear();
  for (size_t i = 0; i < n; ++i) {
    std::string why;
    if (!topic_for(batch, i, topics_[i], why) || (excluded && (*excluded)[i])) {
      outcomes_[i] = Outcome::kRejected;
      if (!why.empty()) errors_[i] = std::move(why);
      handled[i] = true;
      --pending_;
      if (excluded) (*excluded)[i] = true;  // never in Kafka: no reason to abort for it
    }
  }
  if (before_events) before_events();
  const std::vector<std::string_view>& topics = topics_;
  // Records with nothing produce_batch cannot carry (headers, an explicit timestamp) go to
  // librdkafka in runs of one topic: one call and one lock per run instead of per record.
  if (options_.timestamp_header.empty()) {
    size_t begin = 0;
    while (begin < n) {
      size_t end = begin;
      while (end < n && !handled[end] && topics[end] == topics[begin] &&
             (!options_.flume_headers || batch.header_count(end) == 0))
        ++end;
      if (end > begin) {
        produce_run(batch, begin, end, topics[begin], handled);
        begin = end;
      } else {
        ++begin;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (handled[i]) continue;
    rd_kafka_headers_t* headers = nullptr;
    if (options_.flume_headers && batch.header_count(i) > 0) {
      headers = rd_kafka_headers_new(batch.header_count(i));
      for (size_t h = 0; h < batch.header_count(i); ++h) {
        auto [k, v] = batch.header_at(i, h);
        auto renamed = header_renames_.find(k);
        std::string_view key = renamed == header_renames_.end() ? k : renamed->second;
        rd_kafka_header_add(headers, key.data(), static_cast<ssize_t>(key.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
      }
    }
    std::string_view value = batch.body(i);
    if (options_.use_flume_event_format) {
      kafka::encode_flume_event(batch, i, encoded_);
      value = encoded_;
    }
    const int32_t partition = partition_for(batch, i);
    int64_t timestamp = 0;
    if (!options_.timestamp_header.empty())
      if (auto t = batch.header(i, options_.timestamp_header))
        timestamp = config::parse_int(*t).value_or(0);
    auto key = batch.header(i, "key");
    void* key_data = key ? const_cast<char*>(key->data()) : nullptr;
    const size_t key_size = key ? key->size() : 0;
    void* value_data = const_cast<char*>(value.data());
    void* opaque = reinterpret_cast<void*>(
        static_cast<uintptr_t>(((generation_ & 0xffffffffff) << 24) | (i + 1)));
    // A value inside the batch is read in place (see produce_run); a Flume-format one lives in
    // encoded_, which the next record rewrites, and is copied.
    const int flags = options_.use_flume_event_format ? RD_KAFKA_MSG_F_COPY : 0;
    rd_kafka_vu_t fields[8];
    size_t nf = 0;
    auto field = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
      fields[nf].vtype = type;
      return fields[nf++];
    };
    field(RD_KAFKA_VTYPE_RKT).u.rkt = topic_handle(topics[i]);
    field(RD_KAFKA_VTYPE_PARTITION).u.i32 = partition;
    auto& v = field(RD_KAFKA_VTYPE_VALUE);
    v.u.mem.ptr = value_data;
    v.u.mem.size = value.size();
    auto& k = field(RD_KAFKA_VTYPE_KEY);
    k.u.mem.ptr = key_data;
    k.u.mem.size = key_size;
    field(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = timestamp;
    field(RD_KAFKA_VTYPE_MSGFLAGS).u.i = flags;
    field(RD_KAFKA_VTYPE_OPAQUE).u.ptr = opaque;
    if (headers) field(RD_KAFKA_VTYPE_HEADERS).u.headers = headers;
    for (;;) {
      rd_kafka_error_t* error = rd_kafka_produceva(producer_, fields, nf);
      const rd_kafka_resp_err_t e = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (error) rd_kafka_error_destroy(error);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // the headers belong to the message now
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && !interrupted_.load()) {
        rd_kafka_poll(producer_, 10);
        continue;
      }
      if (headers) rd_kafka_headers_destroy(headers);
      outcomes_[i] = permanent(e) ? Outcome::kRejected : Outcome::kRetry;
      errors_[i] = rd_kafka_err2str(e);
      --pending_;
      break;
    }
  }
}

bool KafkaSink::await_reports() {
  // Every delivery report, good or bad, before the transaction is decided.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(delivery_timeout_ms_ + 5000);
  // flush sends what lingers at once (the batch is complete: waiting for more gains nothing)
  // and serves the delivery reports.
  while (pending_ > 0 && std::chrono::steady_clock::now() < deadline && !interrupted_.load())
    rd_kafka_flush(producer_, 100);
  char fatal[256];
  if (rd_kafka_fatal_error(producer_, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // An idempotent producer that lost its sequence state: start a new one.
    spdlog::error("kafka sink {}: fatal producer error: {}; recreating the producer", name(),
                  fatal);
    destroy_producer();
  }
  if (pending_ > 0 && producer_) {
    // Records still queued or in flight may point into this batch (produced without a copy):
    // the producer goes, and with it every reference, before the batch can be rolled back.
    if (interrupted_.load())
      spdlog::warn(
          "kafka sink {}: stopping with {} records unacknowledged; they go back to the "
          "channel",
          name(), pending_);
    else
      spdlog::warn(
          "kafka sink {}: {} delivery reports missing after {} ms; recreating the "
          "producer",
          name(), pending_, delivery_timeout_ms_ + 5000);
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    destroy_producer();
  }
  if (pending_ > 0) outcomes_.clear();  // late reports of this batch are ignored
  return producer_ != nullptr;
}

DeliveryResult KafkaSink::deliver_at_least_once(const EventBatch& batch) {
  const size_t n = batch.size();
  produce_all(batch, nullptr);
  const std::vector<std::string_view>& topics = topics_;
  if (!await_reports()) {
    rollbacks_->inc();
    return DeliveryResult::retry("delivery reports missing after message.timeout.ms");
  }
  std::string retry_why;
  for (size_t i = 0; i < n; ++i)
    if (outcomes_[i] == Outcome::kRetry) retry_why = errors_[i];
  if (!retry_why.empty()) {
    rollbacks_->inc();
    return DeliveryResult::retry("kafka: " + retry_why);
  }
  for (size_t i = 0; i < n; ++i)
    if (outcomes_[i] == Outcome::kRejected) dead_letter(batch, i, topics[i], errors_[i]);
  return DeliveryResult::delivered();
}

}  // namespace flumen::plugins
