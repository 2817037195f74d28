#include "broker/broker_config.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "broker/storage/topic_config.h"

using namespace flumen;
using namespace flumen::broker;

namespace {

Status load(const std::string& text, BrokerConfig& cfg) {
  auto path = std::filesystem::temp_directory_path() / "flumen-broker-conf-test.properties";
  std::ofstream(path) << text;
  Status s = load_broker_properties(path.string(), cfg);
  std::filesystem::remove(path);
  return s;
}

}  // namespace

TEST_CASE("broker conf: Kafka's keys and units, finer keys winning") {
  BrokerConfig cfg;
  REQUIRE(load("num.partitions = 4\nlog.retention.hours = 24\nlog.retention.minutes = 30\n"
               "log.roll.hours = 2\nbroker.id = 3\nauto.create.topics.enable = false\n",
               cfg)
              .is_ok());
  CHECK(cfg.num_partitions == 4);
  CHECK(cfg.log.retention_ms == 30 * 60000);  // minutes win over hours
  CHECK(cfg.log.segment_ms == 2 * 3600000);
  CHECK(cfg.node_id == 3);
  CHECK_FALSE(cfg.auto_create_topics);
  BrokerConfig forever;
  REQUIRE(load("log.retention.hours = -1\n", forever).is_ok());
  CHECK(forever.log.retention_ms == -1);
}

TEST_CASE("broker conf: unknown keys and bad values are errors with file:line") {
  BrokerConfig cfg;
  Status s = load("num.partitions = 2\nlog.segment.byte = 100\nnum.partitions = 0\n", cfg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find(":2:") != std::string::npos);
  CHECK(s.message().find("log.segment.bytes") != std::string::npos);  // the nearest key
  CHECK(s.message().find("num.partitions") != std::string::npos);     // out of range
}

TEST_CASE("broker conf: the topic defaults the file sets are static, the others Kafka's defaults") {
  BrokerConfig cfg;
  REQUIRE(load("message.max.bytes = 200000\nlog.retention.hours = 24\n", cfg).is_ok());
  int8_t retention = -1, max_message = -1, segment = -1, cleanup = -1;
  for (const ConfigEntry& e : describe_topic_configs(cfg.log, {}, nullptr)) {
    if (e.name == "retention.ms") retention = e.source;
    if (e.name == "max.message.bytes") max_message = e.source;
    if (e.name == "segment.bytes") segment = e.source;
    if (e.name == "cleanup.policy") cleanup = e.source;
  }
  CHECK(retention == kConfigSourceStaticBroker);
  CHECK(max_message == kConfigSourceStaticBroker);
  // Not in the file: DEFAULT_CONFIG, as Apache Kafka answers (the Java admin client showed
  // flumen saying STATIC_BROKER_CONFIG here).
  CHECK(segment == kConfigSourceDefault);
  CHECK(cleanup == kConfigSourceDefault);
  BrokerConfig none;  // no conf file at all
  for (const ConfigEntry& e : describe_topic_configs(none.log, {}, nullptr))
    CHECK_MESSAGE(e.source == kConfigSourceDefault, e.name);
}
