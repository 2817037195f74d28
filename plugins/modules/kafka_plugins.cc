// The plugins of flumen-kafka.so (librdkafka).
#include "plugins/registry.h"
#include "plugins/sinks/kafka/kafka_sink.h"
#include "plugins/sources/kafka/kafka_source.h"

namespace flumen::plugins {

void add_kafka_plugins(pipeline::Registry& r) {
  using pipeline::sink_plugin;
  using pipeline::source_plugin;
  r.add(source_plugin<KafkaSource>(
      "kafka", {"org.apache.flume.source.kafka.KafkaSource"},
      "Reads topics as a consumer group member; commits offsets after the channel committed.",
      kafka_source_table(), "batchSize"));
  auto sink = sink_plugin<KafkaSink>("kafka", {"org.apache.flume.sink.kafka.KafkaSink"},
                                     "Produces to the bundled broker or a Kafka cluster "
                                     "(librdkafka); commits when every record is acknowledged.",
                                     kafka_sink_table(), "flumeBatchSize");
  sink.allows_workers = true;  // each worker is a producer of its own
  r.add(std::move(sink));
}

}  // namespace flumen::plugins
