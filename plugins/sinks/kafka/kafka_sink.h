#pragma once
// kafka (org.apache.flume.sink.kafka.KafkaSink): produces each event of a channel transaction as
// a Kafka record with librdkafka, into the bundled broker or a Kafka cluster, and reports the
// batch delivered only when every delivery report came back good. A retriable failure (broker
// down, timeout) rolls the transaction back; a record Kafka refuses for good (too large, invalid
// topic) is counted and goes to the dead-letter directory, and never blocks the channel.
// The producer is idempotent unless configured otherwise, so librdkafka's own retries do not
// duplicate records. With exactlyOnce (a channel that keeps markers, a broker with transactions)
// each take is one Kafka transaction with a record of it in the offsets topic (take_record.h),
// so a take is in Kafka once for read_committed consumers across kill -9 and timeouts.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/sink.h"
#include "agent/util/log_throttle.h"
#include "plugins/sinks/hdfs/bucket_path.h"
#include "plugins/sinks/kafka/config.h"
#include "plugins/sinks/kafka/take_record.h"

namespace flumen::plugins {

class KafkaSink : public pipeline::Sink {
 public:
  KafkaSink(std::string name, KafkaSinkOptions options);
  ~KafkaSink() override;

  size_t batch_size() const override {
    // The take in flight before a restart is taken again as it was: then it is recognised.
    return record_.in_flight ? static_cast<size_t>(record_.in_flight->events)
                             : static_cast<size_t>(options_.batch_size);
  }
  Status start() override;
  void stop() override;
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;
  void interrupt() override { interrupted_ = true; }
  // Exactly once: the take just committed in Kafka comes again (its channel commit failed); it
  // is recognised as in Kafka instead of produced a second time.
  void delivery_not_committed() override;

 private:
  enum class Outcome : uint8_t { kPending, kDelivered, kRetry, kRejected };
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  // The librdkafka properties of the producer: flumen's defaults, the user's, and those
  // exactly once needs.
  std::map<std::string, std::string> producer_properties() const;
  Status create_producer();
  void destroy_producer();
  rd_kafka_topic_t* topic_handle(std::string_view topic);
  void release_topics();
  // The event's topic (a view into the batch, the options or expanded_); false with `why` when
  // the topic pattern needs a header the event lacks.
  bool topic_for(const EventBatch& batch, size_t i, std::string_view& topic, std::string& why);
  int32_t partition_for(const EventBatch& batch, size_t i) const;
  // Produces every event of `batch` (outcomes_, pending_ and topics_ set for it). With
  // `excluded` (a transaction) those marked are left out, so are events refused before Kafka
  // (marked then), and outcomes_ has one more slot, for the offsets record, which
  // `before_events` produces.
  void produce_all(const EventBatch& batch, std::vector<bool>* excluded,
                   const std::function<void()>& before_events = {});
  // Waits for the delivery reports of produce_all; false when some never came (the producer is
  // gone then, and with it every reference into the batch).
  bool await_reports();
  pipeline::DeliveryResult deliver_at_least_once(const EventBatch& batch);
  // Exactly once (kafka_sink_transactions.cc).
  Status start_exactly_once();
  Status prepare_transactions();
  pipeline::DeliveryResult deliver_exactly_once(const EventBatch& batch);
  // A transaction whose outcome is unknown: the producer goes; the next take initialises a new
  // one and reads the offsets topic back before producing anything.
  pipeline::DeliveryResult in_doubt(const std::string& why);
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
  // Exactly once: decided at start, turned off when the broker has no transactions.
  bool exactly_once_ = false;
  bool txn_initialised_ = false;  // init_transactions done on producer_
  bool txn_ready_ = false;        // and the offsets topic read back since
  KafkaSinkRecord record_;        // kept in the channel under record_key_
  std::string record_key_;
  uint64_t committed_take_ = 0;  // the newest take found in, or committed to, the offsets topic
  std::optional<KafkaTake> just_committed_;  // by the last deliver(), until the next one
  size_t offsets_slot_ = 0;                  // outcomes_ index + 1 of the offsets record; 0 = none
  int64_t offsets_record_offset_ = -1;
  std::map<std::string, std::string> client_props_;  // the producer's, for the offsets reader
  std::vector<bool> excluded_;  // per event of the take: refused for good, left out
  std::vector<std::string> rejected_why_;
  metrics::Counter* rollbacks_ = nullptr;
  metrics::Counter* recognised_ = nullptr;  // events found in Kafka already, not produced again
  metrics::Counter* dead_letters_ = nullptr;
  util::LogThrottle dead_letter_log_;
  // A broker that keeps failing transactions (flapping, overloaded) says so once, then sums up.
  util::LogThrottle in_doubt_log_;
};

}  // namespace flumen::plugins
