#include "plugins/sinks/kafka/kafka_sink.h"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <set>
#include <string>

using namespace flumen;
using namespace flumen::plugins;

namespace {

// librdkafka's in-process mock cluster: three brokers on loopback, faults on demand. How the
// scale-out path to a multi-broker Kafka cluster is exercised on one machine.
struct MockCluster {
  rd_kafka_t* owner = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstraps;
  explicit MockCluster(int brokers) {
    char err[256];
    owner = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    cluster = rd_kafka_mock_cluster_new(owner, brokers);
    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(owner);
  }
};

std::set<std::string> read_all(const std::string& bootstraps, const std::string& topic,
                               int partitions, size_t expect) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "verify", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::set<std::string> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got.size() < expect && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
    if (!m) continue;
    if (!m->err) got.emplace(static_cast<const char*>(m->payload), m->len);
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy(c);
  return got;
}

}  // namespace

TEST_CASE("kafka sink against a 3-broker mock cluster: leader moves and a broker goes down") {
  MockCluster mock(3);
  REQUIRE(rd_kafka_mock_topic_create(mock.cluster, "cars", 3, 3) == RD_KAFKA_RESP_ERR_NO_ERROR);
  KafkaSinkOptions o;
  o.bootstrap_servers = mock.bootstraps;
  o.topic = "cars";
  o.producer["message.timeout.ms"] = "3000";
  o.producer["linger.ms"] = "1";
  // Both ways records reach librdkafka: one call per record (Kafka headers), and one call per
  // run without a copy of the values (no headers), which must survive the rollbacks too.
  SUBCASE("records with Kafka headers") {}
  SUBCASE("records without headers: produced as a batch, values not copied") {
    o.flume_headers = false;
  }
  KafkaSink sink("k1", o);
  sink.attach_metrics(std::make_shared<metrics::ComponentMetrics>("SINK", "k1"));
  REQUIRE(sink.start().is_ok());
  const int batches = 12, per_batch = 250;
  int retries = 0;
  bool down = false;
  for (int b = 0; b < batches; ++b) {
    if (b == 4) rd_kafka_mock_partition_set_leader(mock.cluster, "cars", 0, 2);
    if (b == 6) {
      rd_kafka_mock_broker_set_down(mock.cluster, 1);
      down = true;
    }
    EventBatch batch;
    for (int i = 0; i < per_batch; ++i)
      batch.add("car-" + std::to_string(b * per_batch + i), {{"key", std::to_string(i)}});
    // The runner's part: a retry rolls back and sends the same batch again.
    for (;;) {
      auto r = sink.deliver(batch);
      if (r.outcome == pipeline::Delivery::kDelivered) break;
      REQUIRE(r.outcome == pipeline::Delivery::kRetry);
      REQUIRE(++retries < 10);
      if (down) {
        // The broker comes back while the sink retries.
        rd_kafka_mock_broker_set_up(mock.cluster, 1);
        down = false;
      }
    }
    if (b == 8 && down) {
      rd_kafka_mock_broker_set_up(mock.cluster, 1);
      down = false;
    }
  }
  MESSAGE("transactions retried while the broker was down: " << retries);
  sink.stop();
  auto got = read_all(mock.bootstraps, "cars", 3, batches * per_batch);
  CHECK(got.size() == static_cast<size_t>(batches * per_batch));
  for (int i = 0; i < batches * per_batch; i += 97)
    CHECK(got.count("car-" + std::to_string(i)) == 1);
}
