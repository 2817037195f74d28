#include "plugins/sinks/kafka/config.h"

#include "plugins/kafka_common/client_keys.h"
#include "plugins/sinks/hdfs/bucket_path.h"

namespace flumen::plugins {

const config::PropertyTable<KafkaSinkOptions>& kafka_sink_table() {
  using T = KafkaSinkOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("kafka.bootstrap.servers", &T::bootstrap_servers, "",
                  "Brokers to bootstrap from: the bundled broker or a Kafka cluster.")
          .required()
          .alias("brokerList")
          .string("kafka.topic", &T::topic, "default-flume-topic",
                  "Topic, with the hdfs sink's escapes (%{header} above all); an event without "
                  "a header its topic needs goes to the dead-letter path.")
          .alias("topic")
          .integer("flumeBatchSize", &T::batch_size, "100", 1, 1'000'000,
                   "Events taken per channel transaction; committed when every delivery "
                   "report of the batch came back good.")
          .alias("batchSize")
          .string("requiredAcks", &T::required_acks, "",
                  "Deprecated Flume key for kafka.producer.acks. flumen's default is all, with "
                  "an idempotent producer; acks 1 (Flume's default) or 0 turn idempotence off.")
          .map("kafka.producer.", &T::producer,
               "Any librdkafka producer property, e.g. kafka.producer.compression.type = lz4; "
               "kafka.producer.acks defaults to all and enable.idempotence to true with it.")
          .boolean("useFlumeEventFormat", &T::use_flume_event_format, "false",
                   "Write the event as Flume's Avro AvroFlumeEvent (headers and body), for Flume "
                   "consumers that read that format.")
          .integer("defaultPartitionId", &T::default_partition_id, "-1", -1, 1'000'000,
                   "Partition for every event (-1 = the partitioner decides by key).")
          .string("partitionIdHeader", &T::partition_id_header, "",
                  "Header holding the partition of an event.")
          .boolean("allowTopicOverride", &T::allow_topic_override, "true",
                   "Let the topicHeader header choose the topic.")
          .string("topicHeader", &T::topic_header, "topic",
                  "Header naming the topic when allowTopicOverride.")
          .string("timestampHeader", &T::timestamp_header, "",
                  "Header holding the record timestamp in ms (else the time of sending).")
          .boolean("flumeHeaders", &T::flume_headers, "true",
                   "flumen: Flume headers become Kafka record headers.")
          .map("header.", &T::header_names,
               "header.<flume header> = <kafka header>: the name a header gets in Kafka.")
          .string("deadLetterDirectory", &T::dead_letter_directory, "",
                  "flumen: events Kafka refuses for good (too large, invalid topic) are written "
                  "there as JSON lines; without it they are counted and logged.")
          .boolean("exactlyOnce", &T::exactly_once, "false",
                   "flumen: each take goes in one Kafka transaction with a record of it in "
                   "offsetsTopic, so a kill -9, a timeout or a lost answer never puts it in "
                   "Kafka twice for read_committed consumers. Needs a channel that keeps markers "
                   "(a file channel) and acks = all; a broker without transactions makes the "
                   "sink say so at start and stay at least once (idempotent producer). Off by "
                   "default: a transaction per take costs most of the throughput at small "
                   "batches (use flumeBatchSize 1000 or more), and consumers read uncommitted "
                   "records unless they set isolation.level = read_committed.")
          .string("offsetsTopic", &T::offsets_topic, "flumen-sink-offsets",
                  "flumen: the topic (its partition 0) where exactly-once sinks record each "
                  "take they commit, keyed by their transactional.id; created by the broker's "
                  "auto-creation or beforehand.")
          .integer("transactionTimeout", &T::transaction_timeout_ms, "60000", 1000, 900'000,
                   "flumen: ms allowed to initialising the producer (which waits for an "
                   "older one's transaction to end), to a commit or abort, and to reading "
                   "offsetsTopic back; also librdkafka's transaction.timeout.ms unless "
                   "kafka.producer.transaction.timeout.ms is set.");
  return table;
}

void validate(const KafkaSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  // The topic's escapes are compiled at start too: a bad one must fail `check` as well.
  if (o.topic.find('%') != std::string::npos) {
    std::string error;
    if (!BucketPath::compile(o.topic, error)) {
      config::Location at = where.where;
      for (const auto& e : where.entries)
        if (e.key == "kafka.topic" || e.key == "topic") at = e.where;
      diags.error(at, where.key_prefix + "kafka.topic: " + error);
    }
  }
  kafka::validate_client_keys(o.producer, kafka::ClientRole::kProducer, "kafka.producer.", where,
                              diags);
}

}  // namespace flumen::plugins
