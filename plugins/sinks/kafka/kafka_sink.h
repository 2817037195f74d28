#pragma once
// kafka (org.apache.flume.sink.kafka.KafkaSink): produces each event of a channel transaction as
// a Kafka record with librdkafka, into the bundled broker or a Kafka cluster, and reports the
// batch delivered only when every delivery report came back good. A retriable failure (broker
// down, timeout) rolls the transaction back; a record Kafka refuses for good (too large, invalid
// topic) is counted and goes to the dead-letter directory, and never blocks the channel.
// The producer is idempotent unless configured otherwise, so librdkafka's own retries do not
// duplicate records.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/sink.h"
#include "agent/util/log_throttle.h"
#include "plugins/sinks/hdfs/bucket_path.h"
#include "plugins/sinks/kafka/config.h"

namespace flumen::plugins {

class KafkaSink : public pipeline::Sink {
 public:
  KafkaSink(std::string name, KafkaSinkOptions options);
  ~KafkaSink() override;

  size_t batch_size() const override { return static_cast<size_t>(options_.batch_size); }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  void interrupt() override { interrupted_ = true; }

 private:
  enum class Outcome : uint8_t { kPending, kDelivered, kRetry, kRejected };
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  Status create_producer();
  void destroy_producer();
  rd_kafka_topic_t* topic_handle(std::string_view topic);
  void release_topics();
  // The event's topic (a view into the batch, the options or expanded_); false with `why` when
  // the topic pattern needs a header the event lacks.
  bool topic_for(const EventBatch& batch, size_t i, std::string_view& topic, std::string& why);
  int32_t partition_for(const EventBatch& batch, size_t i) const;
  // Produces events [begin, end) of one topic in one librdkafka call; marks those handed over.
  void produce_run(const EventBatch& batch, size_t begin, size_t end, std::string_view topic,
                   std::vector<bool>& done);
  void dead_letter(const EventBatch& batch, size_t i, std::string_view topic,
                   const std::string& why);

  KafkaSinkOptions options_;
  // Set by interrupt() (the agent's stop, past its deadline): deliver() stops waiting for
  // reports and purges, stop() does not flush.
  std::atomic<bool> interrupted_{false};
  rd_kafka_t* producer_ = nullptr;
  std::vector<Outcome> outcomes_;
  std::vector<std::string> errors_;
  size_t pending_ = 0;
  uint64_t generation_ = 0;  // of the batch in flight
  int64_t delivery_timeout_ms_ = 30000;
  std::string encoded_;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topic_handles_;
  std::optional<BucketPath> topic_path_;  // kafka.topic with escapes
  std::map<std::string, std::string, std::less<>> header_renames_;
  std::vector<std::string_view> topics_;      // per event of the batch in flight
  std::vector<bool> handled_;                 // per event: given to librdkafka or refused
  std::vector<rd_kafka_message_t> run_msgs_;  // produce_run's records
  std::vector<size_t> run_ends_;              // produce_run's Flume-format value ends
  std::deque<std::string> expanded_;          // topics expanded from topic_path_, for topics_
  metrics::Counter* rollbacks_ = nullptr;
  metrics::Counter* dead_letters_ = nullptr;
  util::LogThrottle dead_letter_log_;
};

}  // namespace flumen::plugins
