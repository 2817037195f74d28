#pragma once
// kafka (org.apache.flume.source.kafka.KafkaSource): a librdkafka consumer in a consumer group
// reads records into batches (batchSize or batchDurationMillis) with topic, partition, offset,
// key and timestamp headers plus the record's own headers. A batch's offsets are committed only
// after its channel transaction committed (asynchronously, while the next batch is read; once
// more synchronously when the source stops); a batch the channel refuses is kept and put again
// after a backoff, so nothing is skipped (a crash in between means the batch is read again).
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <thread>

#include "agent/event/event_batch.h"
#include "agent/pipeline/source.h"
#include "agent/util/log_throttle.h"
#include "plugins/sources/kafka/config.h"

namespace flumen::plugins {

class KafkaSource : public pipeline::Source {
 public:
  KafkaSource(std::string name, KafkaSourceOptions options);
  ~KafkaSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  void run();
  void add_record(const rd_kafka_message_t* m);
  bool commit(rd_kafka_topic_partition_list_t* offsets, bool sync);
  void commit_failed(rd_kafka_resp_err_t e);
  static void on_commit(rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t*,
                        void* opaque);

  KafkaSourceOptions options_;
  rd_kafka_t* consumer_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  EventBatch batch_;
  metrics::Counter* commits_failed_ = nullptr;
  util::LogThrottle record_log_, commit_log_, consume_log_;
};

}  // namespace flumen::plugins
