#pragma once
// kafka (org.apache.flume.source.kafka.KafkaSource): a librdkafka consumer in a consumer group
// reads records into batches (batchSize or batchDurationMillis) with topic, partition, offset,
// key and timestamp headers plus the record's own headers. A batch's offsets are committed only
// after its channel transaction committed (asynchronously, while the next batch is read; once
// more synchronously when the source stops); a batch the channel refuses is kept and put again
// after a backoff, so nothing is skipped.
//
// With a durable channel the next offset of every partition a batch read from goes into the
// channel with the batch (a marker per partition, "kafka/<source>/<topic>/<partition>"), and
// when a partition is assigned the consumer starts at that offset (or at the group's committed
// offset, if another consumer of the group got further): a kill -9 between the channel's commit
// and Kafka's neither reads a record twice nor skips one. Without one, a crash between the two
// commits means the batch is read again (at least once).
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <utility>

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
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t e,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  // The channels' markers of this source: where each partition's next record is.
  void load_markers();
  // Sets the start offset of each newly assigned partition that a marker knows.
  void resume_from_markers(rd_kafka_topic_partition_list_t* partitions);
  std::string marker_key(std::string_view topic, int32_t partition) const;

  KafkaSourceOptions options_;
  rd_kafka_t* consumer_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  EventBatch batch_;
  bool durable_ = false;  // some channel keeps markers: offsets go with the events
  // The next offset per (topic, partition) committed in the channels (loaded at start, then
  // kept up to date by the reading thread; read by the rebalance callback on the same thread).
  std::map<std::pair<std::string, int32_t>, int64_t> committed_;
  metrics::Counter* commits_failed_ = nullptr;
  util::LogThrottle record_log_, commit_log_, consume_log_;
};

}  // namespace flumen::plugins
