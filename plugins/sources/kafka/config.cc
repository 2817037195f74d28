#include "plugins/sources/kafka/config.h"

#include "plugins/kafka_common/client_keys.h"

namespace flumen::plugins {

const config::PropertyTable<KafkaSourceOptions>& kafka_source_table() {
  using T = KafkaSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("kafka.bootstrap.servers", &T::bootstrap_servers, "",
                  "Brokers to bootstrap from: the bundled broker or a Kafka cluster. Required.")
          .string("kafka.topics", &T::topics, "", "Comma-separated topics to read.")
          .string("kafka.topics.regex", &T::topics_regex, "",
                  "A regex of topics to read (instead of kafka.topics).")
          .string("kafka.consumer.group.id", &T::group_id, "",
                  "Consumer group: the agents of one group share the partitions (default "
                  "groupId, else flume).")
          .string("topic", &T::old_topic, "",
                  "Flume's older key for one topic; kafka.topics and kafka.topics.regex win.")
          .string("groupId", &T::old_group_id, "",
                  "Flume's older key for the group; kafka.consumer.group.id wins.")
          .string("zookeeperConnect", &T::zookeeper_connect, "",
                  "Flume's older way to find the brokers through ZooKeeper: flumen talks to no "
                  "ZooKeeper, set kafka.bootstrap.servers.")
          .boolean("migrateZookeeperOffsets", &T::migrate_zookeeper_offsets, "true",
                   "Accepted from Flume confs; there are no ZooKeeper offsets to migrate.")
          .integer("batchSize", &T::batch_size, "1000", 1, 1'000'000,
                   "Most records put in one channel transaction.")
          .integer("batchDurationMillis", &T::batch_duration_ms, "1000", 1, 3'600'000,
                   "Longest wait for a batch to fill before it is put anyway.")
          .integer("backoffSleepIncrement", &T::backoff_sleep_increment_ms, "1000", 1, 3'600'000,
                   "Backoff step (ms) while the channel refuses a batch.")
          .integer("maxBackoffSleep", &T::max_backoff_sleep_ms, "5000", 1, 3'600'000,
                   "Longest backoff (ms).")
          .boolean("setTopicHeader", &T::set_topic_header, "true",
                   "Put the record's topic in the topicHeader header.")
          .string("topicHeader", &T::topic_header, "topic", "Header for the topic.")
          .boolean("useFlumeEventFormat", &T::use_flume_event_format, "false",
                   "Records are Flume's Avro AvroFlumeEvent (as the kafka sink writes with the "
                   "same key): headers and body are restored.")
          .map("kafka.consumer.", &T::consumer,
               "Any librdkafka consumer property, e.g. kafka.consumer.auto.offset.reset = "
               "earliest. Offsets are committed by the source, after the channel committed.");
  return table;
}

void validate(const KafkaSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  if (o.bootstrap_servers.empty()) {
    if (!o.zookeeper_connect.empty())
      diags.error(where.where,
                  where.description + ": " + where.key_prefix +
                      "zookeeperConnect: flumen finds brokers without ZooKeeper; set " +
                      where.key_prefix + "kafka.bootstrap.servers to the brokers");
    else
      diags.error(where.where, where.description + ": missing required property '" +
                                   where.key_prefix + "kafka.bootstrap.servers'");
  }
  if (o.effective_topics().empty() && o.topics_regex.empty())
    diags.error(where.where, where.description + ": set " + where.key_prefix + "kafka.topics or " +
                                 where.key_prefix + "kafka.topics.regex");
  kafka::validate_client_keys(o.consumer, kafka::ClientRole::kConsumer, "kafka.consumer.", where,
                              diags);
}

}  // namespace flumen::plugins
