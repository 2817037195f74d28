#include "plugins/sources/kafka/kafka_source.h"

#include "plugins/kafka_common/client_keys.h"

#include "plugins/kafka_common/librdkafka_support.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "agent/config/property_table.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

KafkaSource::KafkaSource(std::string name, KafkaSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)) {}

KafkaSource::~KafkaSource() {
  do_stop();
}

Status KafkaSource::do_start() {
  commits_failed_ = &metrics().counter("KafkaCommitFailCount");
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // queued.min.messages: librdkafka stops fetching a partition once this many records wait in
  // its queue and pauses about half a second; at its default (100,000) a source reading 1.6 M
  // records/s drains the queue within that pause and starves. Fetching is then bounded by
  // queued.max.messages.kbytes (64 MB) instead.
  std::map<std::string, std::string> props = {{"auto.offset.reset", "earliest"},
                                              {"queued.min.messages", "1000000"}};
  for (const auto& [k, v] :
       kafka::librdkafka_properties(options_.consumer, kafka::ClientRole::kConsumer))
    props[k] = v;
  // The source commits, after the channel did: never librdkafka on its own.
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["bootstrap.servers"] = options_.bootstrap_servers;
  props["group.id"] = options_.effective_group_id();
  if (Status st = kafka::apply(conf, props, "kafka source " + name(), "kafka.consumer."); !st) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  kafka::route_logs(conf);
  load_markers();
  if (durable_) rd_kafka_conf_set_rebalance_cb(conf, &KafkaSource::on_rebalance);
  rd_kafka_conf_set_offset_commit_cb(conf, &KafkaSource::on_commit);
  rd_kafka_conf_set_opaque(conf, this);
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!consumer_)
    return make_error(ErrorCode::kInvalidConfig, "kafka source " + name() + ": " + err);
  rd_kafka_poll_set_consumer(consumer_);
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(4);
  if (!options_.topics_regex.empty()) {
    // librdkafka treats a subscription starting with ^ as a regex.
    std::string re =
        options_.topics_regex.front() == '^' ? options_.topics_regex : "^" + options_.topics_regex;
    rd_kafka_topic_partition_list_add(subs, re.c_str(), RD_KAFKA_PARTITION_UA);
  } else {
    for (const std::string& t : config::split_words(options_.effective_topics()))
      for (size_t p = 0, q; p < t.size(); p = q + 1) {
        q = t.find(',', p);
        if (q == std::string::npos) q = t.size();
        if (q > p)
          rd_kafka_topic_partition_list_add(subs, t.substr(p, q - p).c_str(),
                                            RD_KAFKA_PARTITION_UA);
      }
  }
  rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error(ErrorCode::kInvalidConfig,
                      "kafka source " + name() + ": subscribe: " + rd_kafka_err2str(e));
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void KafkaSource::add_record(const rd_kafka_message_t* m) {
  std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  rd_kafka_headers_t* hdrs = nullptr;
  const bool record_headers = rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_timestamp_type_t tstype;
  const int64_t ts = rd_kafka_message_timestamp(m, &tstype);
  if (!options_.use_flume_event_format && !record_headers) {
    // The common case: the event and its headers in one append, numbers formatted in place.
    char partition[16], offset[24], timestamp[24];
    auto text = [](char* buf, size_t size, int64_t v) {
      return std::string_view(buf,
                              static_cast<size_t>(std::to_chars(buf, buf + size, v).ptr - buf));
    };
    EventBatch::Header headers[5];
    size_t n = 0;
    if (options_.set_topic_header)
      headers[n++] = {options_.topic_header, rd_kafka_topic_name(m->rkt)};
    headers[n++] = {"partition", text(partition, sizeof partition, m->partition)};
    headers[n++] = {"offset", text(offset, sizeof offset, m->offset)};
    if (m->key)
      headers[n++] = {"key", std::string_view(static_cast<const char*>(m->key), m->key_len)};
    if (ts >= 0) headers[n++] = {"timestamp", text(timestamp, sizeof timestamp, ts)};
    batch_.add(value, std::span<const EventBatch::Header>(headers, n));
    return;
  }
  size_t i;
  if (options_.use_flume_event_format) {
    if (!kafka::decode_flume_event(value, batch_, i)) {
      counters().event_read_fail->inc();
      record_log_.warn("kafka source {}: a record at offset {} is not a Flume Avro event", name(),
                       m->offset);
      return;
    }
  } else {
    i = batch_.add(value);
  }
  if (record_headers) {
    const char* hname;
    const void* hvalue;
    size_t hsize;
    for (size_t h = 0;
         rd_kafka_header_get_all(hdrs, h, &hname, &hvalue, &hsize) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++h)
      batch_.set_header(i, hname,
                        std::string_view(static_cast<const char*>(hvalue), hvalue ? hsize : 0));
  }
  const char* topic = rd_kafka_topic_name(m->rkt);
  if (options_.set_topic_header) batch_.set_header(i, options_.topic_header, topic);
  batch_.set_header(i, "partition", std::to_string(m->partition));
  batch_.set_header(i, "offset", std::to_string(m->offset));
  if (m->key)
    batch_.set_header(i, "key", std::string_view(static_cast<const char*>(m->key), m->key_len));
  if (ts >= 0) batch_.set_header(i, "timestamp", std::to_string(ts));
}

bool KafkaSource::commit(rd_kafka_topic_partition_list_t* offsets, bool sync) {
  rd_kafka_resp_err_t e = rd_kafka_commit(consumer_, offsets, sync ? 0 : 1);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  commit_failed(e);
  return false;
}

void KafkaSource::commit_failed(rd_kafka_resp_err_t e) {
  // The events are in the channel; a failed commit means they may be read again after a
  // rebalance or restart (at-least-once), never lost.
  commits_failed_->inc();
  commit_log_.warn("kafka source {}: offset commit failed: {}", name(), rd_kafka_err2str(e));
}

void KafkaSource::on_commit(rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t*,
                            void* opaque) {
  // _NO_OFFSET: nothing new to commit (a sync commit of offsets already committed).
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
    static_cast<KafkaSource*>(opaque)->commit_failed(e);
}

std::string KafkaSource::marker_key(std::string_view topic, int32_t partition) const {
  std::string k = "kafka/" + name() + "/";
  k += topic;
  k += '/';
  k += std::to_string(partition);
  return k;
}

void KafkaSource::load_markers() {
  durable_ = false;
  committed_.clear();
  const std::string prefix = "kafka/" + name() + "/";
  for (pipeline::Channel* ch : processor().selector().channels()) {
    if (!ch->keeps_markers()) continue;
    durable_ = true;
    // A batch counts as committed only where every channel that has the partition has it:
    // the smallest offset wins (a record is then read again, never skipped).
    for (const auto& [key, value] : ch->markers(prefix)) {
      const size_t slash = key.rfind('/');
      if (slash == std::string::npos || slash < prefix.size()) continue;
      int32_t partition = 0;
      int64_t offset = 0;
      const std::string_view p(key.data() + slash + 1, key.size() - slash - 1);
      if (std::from_chars(p.data(), p.data() + p.size(), partition).ec != std::errc() ||
          std::from_chars(value.data(), value.data() + value.size(), offset).ec != std::errc())
        continue;
      auto [it, fresh] = committed_.emplace(
          std::make_pair(key.substr(prefix.size(), slash - prefix.size()), partition), offset);
      if (!fresh) it->second = std::min(it->second, offset);
    }
  }
  if (!committed_.empty())
    spdlog::info(
        "kafka source {}: its channels hold the offsets of {} partition(s): reading resumes "
        "there",
        name(), committed_.size());
}

void KafkaSource::resume_from_markers(rd_kafka_topic_partition_list_t* parts) {
  if (committed_.empty()) return;
  // The group's committed offsets too: a consumer of the group that had the partition in the
  // meantime may have got further (its events are in its own channel).
  rd_kafka_topic_partition_list_t* group = rd_kafka_topic_partition_list_copy(parts);
  const bool have_group = rd_kafka_committed(consumer_, group, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < parts->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = parts->elems[i];
    auto it = committed_.find({tp.topic, tp.partition});
    if (it == committed_.end()) continue;
    int64_t at = it->second;
    if (have_group && group->elems[i].offset >= 0) at = std::max(at, group->elems[i].offset);
    tp.offset = at;
    spdlog::info("kafka source {}: {} [{}] starts at offset {} (committed with its events)", name(),
                 tp.topic, tp.partition, at);
  }
  rd_kafka_topic_partition_list_destroy(group);
}

void KafkaSource::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t e,
                               rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->resume_from_markers(parts);
    if (cooperative) {
      if (rd_kafka_error_t* err = rd_kafka_incremental_assign(rk, parts))
        rd_kafka_error_destroy(err);
    } else {
      rd_kafka_assign(rk, parts);
    }
    return;
  }
  if (cooperative) {
    if (rd_kafka_error_t* err = rd_kafka_incremental_unassign(rk, parts))
      rd_kafka_error_destroy(err);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

void KafkaSource::run() {
  // Next offset to commit per (topic, partition), for the batch being built: a short list
  // (records come in runs of one partition), searched from the end.
  struct Next {
    rd_kafka_topic_t* topic;
    int32_t partition;
    int64_t offset;
  };
  std::vector<Next> next;
  std::vector<std::string> marker_keys, marker_values;
  std::vector<pipeline::ChannelProcessor::Marker> markers;
  // Records are taken from the consumer queue many at a time: one lock per call, not per record.
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer_);
  std::vector<rd_kafka_message_t*> msgs(
      static_cast<size_t>(std::min<int64_t>(options_.batch_size, 10000)));
  int64_t backoff_ms = 0;
  rd_kafka_topic_partition_list_t* last_committed = nullptr;
  while (!stopping_) {
    batch_.clear();
    next.clear();
    const auto deadline = Clock::now() + std::chrono::milliseconds(options_.batch_duration_ms);
    while (!stopping_ && batch_.size() < static_cast<size_t>(options_.batch_size)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      const size_t room =
          std::min(msgs.size(), static_cast<size_t>(options_.batch_size) - batch_.size());
      const ssize_t got = rd_kafka_consume_batch_queue(
          queue, static_cast<int>(std::min<int64_t>(left.count(), 100)), msgs.data(), room);
      for (ssize_t k = 0; k < got; ++k) {
        rd_kafka_message_t* m = msgs[static_cast<size_t>(k)];
        if (m->err) {
          if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            consume_log_.warn("kafka source {}: {}", name(), rd_kafka_message_errstr(m));
        } else {
          add_record(m);
          auto it = std::find_if(next.rbegin(), next.rend(), [m](const Next& n) {
            return n.topic == m->rkt && n.partition == m->partition;
          });
          if (it != next.rend())
            it->offset = m->offset + 1;
          else
            next.push_back({m->rkt, m->partition, m->offset + 1});
        }
        rd_kafka_message_destroy(m);
      }
    }
    if (batch_.empty()) continue;
    // With a durable channel each partition's next offset goes into the channel with the
    // events, in the same atomic write.
    marker_keys.clear();
    marker_values.clear();
    markers.clear();
    if (durable_) {
      for (const Next& n : next) {
        marker_keys.push_back(marker_key(rd_kafka_topic_name(n.topic), n.partition));
        marker_values.push_back(std::to_string(n.offset));
      }
      for (size_t k = 0; k < next.size(); ++k)
        markers.push_back({marker_keys[k], marker_values[k]});
    }
    // The batch goes in whole before its offsets are committed; a refused batch waits.
    while (!stopping_) {
      if (processor().process_batch(batch_, markers).is_ok()) {
        for (const Next& n : next)
          if (durable_) committed_[{rd_kafka_topic_name(n.topic), n.partition}] = n.offset;
        backoff_ms = 0;
        break;
      }
      backoff_ms =
          std::min(backoff_ms + options_.backoff_sleep_increment_ms, options_.max_backoff_sleep_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    }
    if (stopping_ && backoff_ms != 0) break;  // not put: not committed, read again next time
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const Next& n : next)
      rd_kafka_topic_partition_list_add(offsets, rd_kafka_topic_name(n.topic), n.partition)
          ->offset = n.offset;
    // Asynchronously: the next batch is read while the commit travels (its result comes to
    // on_commit). The last offsets are committed once more, synchronously, on the way out.
    commit(offsets, false);
    if (last_committed) rd_kafka_topic_partition_list_destroy(last_committed);
    last_committed = offsets;
  }
  if (last_committed) {
    commit(last_committed, true);
    rd_kafka_topic_partition_list_destroy(last_committed);
  }
  rd_kafka_queue_destroy(queue);
}

void KafkaSource::do_stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
  }
}

}  // namespace flumen::plugins
