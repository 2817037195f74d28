// The kafka sink's exactly-once mode (take_record.h): one Kafka transaction per take, with a
// record of the take in the offsets topic, and the take in flight kept in the channel.
#include <spdlog/spdlog.h>

#include "agent/pipeline/channel.h"
#include "plugins/sinks/forward/sender_record.h"
#include "plugins/sinks/kafka/kafka_sink.h"
#include "plugins/sinks/kafka/offsets_reader.h"

namespace flumen::plugins {

using pipeline::DeliveryResult;

namespace {

// What a broker without transactions (or one that does not let this client use them) answers
// init_transactions with: no retry changes it.
bool no_transactions(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return true;
    default:
      return false;
  }
}

// Takes ownership of `e`; empty when there was no error.
std::string take_error(rd_kafka_error_t* e, rd_kafka_resp_err_t* code = nullptr) {
  if (!e) return {};
  std::string s = rd_kafka_error_string(e);
  if (code) *code = rd_kafka_error_code(e);
  rd_kafka_error_destroy(e);
  return s.empty() ? "error" : s;
}

}  // namespace

Status KafkaSink::start_exactly_once() {
  exactly_once_ = false;
  if (!options_.exactly_once) return Status::ok();
  const auto props = producer_properties();
  const auto acks = props.at("acks");
  std::string why_not;
  if (channel() == nullptr || !channel()->keeps_markers())
    why_not = channel() ? "channel " + channel()->name() + " keeps no markers" : "no channel";
  else if (acks != "all" && acks != "-1")
    why_not = "kafka.producer.acks = " + acks + " (transactions need acks = all)";
  else if (props.at("enable.idempotence") == "false")
    why_not = "kafka.producer.enable.idempotence = false";
  if (!why_not.empty()) {
    spdlog::info("kafka sink {}: at least once: {}", name(), why_not);
    return Status::ok();
  }
  record_key_ = kafka_sink_record_key(state_key());
  const auto markers = channel()->markers(record_key_);
  record_ = KafkaSinkRecord{};
  if (auto it = markers.find(record_key_); it != markers.end()) {
    if (auto r = KafkaSinkRecord::decode(it->second))
      record_ = *r;
    else
      spdlog::warn(
          "kafka sink {}: its record in channel {} does not read ('{}'); a new "
          "transactional.id is made",
          name(), channel()->name(), it->second);
  }
  if (auto user = options_.producer.find("transactional.id");
      user != options_.producer.end() && user->second != record_.transactional_id) {
    record_ = KafkaSinkRecord{};
    record_.transactional_id = user->second;
  }
  if (record_.transactional_id.empty())
    record_.transactional_id = new_transactional_id(state_key());
  // Kept before anything is produced with it: the id is the same in every later run.
  if (Status s = channel()->save_marker(record_key_, record_.encode()); !s)
    return make_error(s.code(), "kafka sink " + name() +
                                    ": cannot keep its transactional.id in "
                                    "channel " +
                                    channel()->name() + ": " + s.message());
  committed_take_ = 0;
  exactly_once_ = true;
  spdlog::info("kafka sink {}: exactly once, transactional.id {}, offsets in {}{}", name(),
               record_.transactional_id, options_.offsets_topic,
               record_.in_flight ? " (take " + std::to_string(record_.in_flight->take) + " of " +
                                       std::to_string(record_.in_flight->events) +
                                       " events was in flight: looked up before producing it)"
                                 : "");
  return Status::ok();
}

Status KafkaSink::prepare_transactions() {
  const int timeout = static_cast<int>(options_.transaction_timeout_ms);
  if (!txn_initialised_) {
    // Fences an older producer of this id (the agent before a kill -9, or this sink's previous
    // producer) and waits until its open transaction is aborted or completed.
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string e = take_error(rd_kafka_init_transactions(producer_, timeout), &code);
    if (!e.empty()) {
      if (no_transactions(code)) {
        spdlog::warn(
            "kafka sink {}: the broker refuses transactions ({}): at least once, with "
            "the idempotent producer",
            name(), e);
        exactly_once_ = false;
        record_.in_flight.reset();
        destroy_producer();
        return create_producer();
      }
      destroy_producer();
      return make_error(ErrorCode::kUnavailable, "cannot initialise transactions: " + e);
    }
    txn_initialised_ = true;
  }
  auto r = read_committed_takes(client_props_, options_.offsets_topic, record_.transactional_id,
                                record_.offsets_from, timeout);
  if (!r) return r.status();
  if (r.value().newest) {
    committed_take_ = std::max(committed_take_, r.value().newest->take);
    record_.next_take = std::max(record_.next_take, committed_take_ + 1);
  }
  txn_ready_ = true;
  return Status::ok();
}

DeliveryResult KafkaSink::in_doubt(const std::string& why) {
  in_doubt_log_.warn(
      "kafka sink {}: transaction of take {} not decided ({}); the take goes back to "
      "the channel and the offsets topic says, before it is produced again, whether "
      "it is in Kafka",
      name(), record_.in_flight ? record_.in_flight->take : 0, why);
  if (producer_) {
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    destroy_producer();
  }
  outcomes_.clear();
  rollbacks_->inc();
  return DeliveryResult::retry("kafka transaction not decided: " + why);
}

void KafkaSink::delivery_not_committed() {
  if (exactly_once_ && just_committed_) record_.in_flight = just_committed_;
}

DeliveryResult KafkaSink::deliver_exactly_once(const EventBatch& batch) {
  if (!txn_ready_) {
    if (Status s = prepare_transactions(); !s) {
      rollbacks_->inc();
      return DeliveryResult::retry(s.message());
    }
    if (!exactly_once_) return deliver_at_least_once(batch);
  }
  just_committed_.reset();
  const size_t n = batch.size();
  const uint64_t identity = events_identity(batch);
  if (record_.in_flight && record_.in_flight->events == n &&
      record_.in_flight->identity == identity && committed_take_ >= record_.in_flight->take) {
    // Its transaction committed, but not the take: after a kill -9, or an answer lost.
    spdlog::info(
        "kafka sink {}: take {} ({} events) is in Kafka already: committed without "
        "producing it again",
        name(), record_.in_flight->take, n);
    recognised_->inc(static_cast<int64_t>(n));
    just_committed_ = record_.in_flight;
    record_.in_flight.reset();
    return DeliveryResult::delivered().with_marker(record_key_, record_.encode());
  }
  // Recorded before the transaction begins: a restart knows which take to look for.
  record_.in_flight = KafkaTake{record_.next_take++, n, identity};
  if (Status s = channel()->save_marker(record_key_, record_.encode()); !s) {
    rollbacks_->inc();
    return DeliveryResult::retry("cannot record the take in channel " + channel()->name() + ": " +
                                 s.message());
  }
  const int timeout = static_cast<int>(options_.transaction_timeout_ms);
  const std::string offsets_value = encode_offsets_value(*record_.in_flight);
  excluded_.assign(n, false);
  rejected_why_.assign(n, {});
  // A record Kafka refuses for good makes the transaction abortable: it is left out and the
  // take goes again in a new transaction, at most once per refused record.
  for (;;) {
    if (std::string e = take_error(rd_kafka_begin_transaction(producer_)); !e.empty())
      return in_doubt("begin_transaction: " + e);
    offsets_slot_ = n + 1;
    offsets_record_offset_ = -1;
    // The offsets record first: its partition joins the transaction in the same
    // AddPartitionsToTxn as the events' first one, not in a second round trip after them.
    produce_all(batch, &excluded_, [&] {
      const auto tag = static_cast<uintptr_t>(((generation_ & 0xffffffffff) << 24) | (n + 1));
      if (rd_kafka_produce(topic_handle(options_.offsets_topic), 0, RD_KAFKA_MSG_F_COPY,
                           const_cast<char*>(offsets_value.data()), offsets_value.size(),
                           record_.transactional_id.data(), record_.transactional_id.size(),
                           reinterpret_cast<void*>(tag)) != 0) {
        outcomes_[n] = Outcome::kRetry;
        errors_[n] = rd_kafka_err2str(rd_kafka_last_error());
        --pending_;
      }
    });
    if (!await_reports()) return in_doubt("delivery reports missing");
    bool newly_refused = false;
    std::string retry_why;
    for (size_t i = 0; i <= n; ++i) {
      if (outcomes_[i] == Outcome::kRetry) retry_why = errors_[i];
      if (i < n && outcomes_[i] == Outcome::kRejected && !excluded_[i]) {
        excluded_[i] = newly_refused = true;
        rejected_why_[i] = errors_[i];
      } else if (i < n && outcomes_[i] == Outcome::kRejected && rejected_why_[i].empty()) {
        rejected_why_[i] = errors_[i];
      }
    }
    if (!newly_refused && retry_why.empty()) {
      rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
      rd_kafka_error_t* e = rd_kafka_commit_transaction(producer_, timeout);
      const bool must_abort = e && rd_kafka_error_txn_requires_abort(e);
      std::string why = take_error(e, &code);
      if (why.empty()) break;  // committed
      if (!must_abort) return in_doubt("commit_transaction: " + why);
      retry_why = "commit_transaction: " + why;
    }
    // Aborted for certain: its records are never read by read_committed consumers.
    if (std::string e = take_error(rd_kafka_abort_transaction(producer_, timeout)); !e.empty())
      return in_doubt("abort_transaction: " + e);
    if (!retry_why.empty()) {
      rollbacks_->inc();
      return DeliveryResult::retry("kafka: " + retry_why + " (transaction aborted)");
    }
  }
  if (const auto failed = in_doubt_log_.clear(); failed > 0)
    spdlog::info("kafka sink {}: transactions commit again after {} undecided", name(), failed);
  committed_take_ = record_.in_flight->take;
  if (offsets_record_offset_ >= 0) record_.offsets_from = offsets_record_offset_;
  just_committed_ = record_.in_flight;
  record_.in_flight.reset();
  offsets_slot_ = 0;
  for (size_t i = 0; i < n; ++i)
    if (excluded_[i]) dead_letter(batch, i, topics_[i], rejected_why_[i]);
  return DeliveryResult::delivered().with_marker(record_key_, record_.encode());
}

}  // namespace flumen::plugins
