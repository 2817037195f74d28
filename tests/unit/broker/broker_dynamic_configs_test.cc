#include "broker/broker_dynamic_configs.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "broker/storage/topic_store.h"
#include "tests/unit/broker/storage/temp_dir.h"

namespace flumen::broker {
namespace {

using Op = DynamicBrokerConfigs::Op;

std::string shown(const DynamicBrokerConfigs& c, std::string_view resource, const char* name,
                  int8_t* source = nullptr) {
  for (const auto& s : c.describe(resource)) {
    if (s.name != name) continue;
    if (source) *source = s.source;
    return s.value;
  }
  return "(absent)";
}

TEST_CASE("dynamic broker configs: the resource name is this node's id or the cluster default") {
  DynamicBrokerConfigs c(3);
  std::string why;
  CHECK(c.check_name("3", false, why) == 0);
  CHECK(c.check_name("", false, why) == 0);
  CHECK(c.check_name("4", false, why) == 42);
  CHECK(why == "Unexpected broker id, expected 3, but received 4");
  CHECK(c.check_name("x", true, why) == 42);
  CHECK(why == "Broker id must be an integer, but it is: x");
}

TEST_CASE("dynamic broker configs: SET, DELETE, APPEND, SUBTRACT and their precedence") {
  DynamicBrokerConfigs c(0);
  std::string why;
  int8_t source = 0;
  CHECK(shown(c, "0", "background.threads", &source) == "10");
  CHECK(source == 5);  // DEFAULT_CONFIG
  REQUIRE(c.alter("", {{"background.threads", 0, "5"}}, true, false, why) == 0);
  CHECK(shown(c, "0", "background.threads", &source) == "5");
  CHECK(source == 3);  // DYNAMIC_DEFAULT_BROKER_CONFIG
  REQUIRE(c.alter("0", {{"background.threads", 0, "9"}}, true, false, why) == 0);
  CHECK(shown(c, "0", "background.threads", &source) == "9");
  CHECK(source == 2);  // DYNAMIC_BROKER_CONFIG
  CHECK(shown(c, "", "background.threads") == "5");
  const char* rules = "sasl.kerberos.principal.to.local.rules";
  REQUIRE(c.alter("0", {{rules, 2, "a,DEFAULT"}, {rules, 2, "b,a"}}, true, false, why) == 0);
  CHECK(shown(c, "0", rules) == "DEFAULT,a,b");
  REQUIRE(c.alter("0", {{rules, 3, "DEFAULT"}, {"background.threads", 1, ""}}, true, false, why) ==
          0);
  CHECK(shown(c, "0", rules) == "a,b");
  CHECK(shown(c, "0", "background.threads") == "5");  // the cluster default again
  // validate_only changes nothing.
  REQUIRE(c.alter("0", {{"num.io.threads", 0, "4"}}, true, true, why) == 0);
  CHECK(shown(c, "0", "num.io.threads") == "8");
}

TEST_CASE("dynamic broker configs: what Kafka refuses, and nothing changes then") {
  DynamicBrokerConfigs c(0);
  std::string why;
  CHECK(c.alter("0", {{"background.threads", 0, "2"}, {"num.partitions", 0, "3"}}, true, false,
                why) == 42);
  CHECK(why == "Cannot update these configs dynamically: Set(num.partitions)");
  CHECK(shown(c, "0", "background.threads") == "10");
  CHECK(c.alter("0", {{"background.threads", 0, "0"}}, true, false, why) == 42);
  CHECK(why == "Invalid value 0 for configuration background.threads: Value must be at least 1");
  CHECK(c.alter("0", {{"sasl.kerberos.min.time.before.relogin", 0, "1.5"}}, true, false, why) ==
        42);
  CHECK(why ==
        "Invalid value 1.5 for configuration sasl.kerberos.min.time.before.relogin: Not a number "
        "of type LONG");
  CHECK(c.alter("", {{"sasl.kerberos.min.time.before.relogin", 0, "1"}}, true, false, why) == 42);
  CHECK(why.find("broker id must be specified") != std::string::npos);
  CHECK(c.alter("0", {{"background.threads", 0, "21"}}, true, false, why) == 42);
  CHECK(why ==
        "Invalid value org.apache.kafka.common.config.ConfigException: Dynamic thread count update "
        "validation failed for background.threads=21, value should not be greater than double the "
        "current value 10 for configuration Invalid dynamic configuration");
  CHECK(c.alter("0", {{"metric.reporters", 0, "a.B"}}, true, false, why) == 42);
  CHECK(c.alter("0", {{"background.threads", 2, "1"}}, true, false, why) == 40);
  CHECK(why == "Config value append is not allowed for config key: background.threads");
  // A name Kafka does not know is taken, as Kafka takes it.
  CHECK(c.alter("0", {{"custom.thing", 0, "x"}}, true, false, why) == 0);
  CHECK(shown(c, "0", "custom.thing") == "x");
}

TEST_CASE("dynamic broker configs: the legacy AlterConfigs replaces the overrides") {
  DynamicBrokerConfigs c(0);
  std::string why;
  REQUIRE(c.alter("0", {{"background.threads", 0, "6"}}, true, false, why) == 0);
  REQUIRE(c.alter("0", {{"num.io.threads", 0, "4"}}, false, false, why) == 0);
  CHECK(shown(c, "0", "background.threads") == "10");
  CHECK(shown(c, "0", "num.io.threads") == "4");
}

TEST_CASE("dynamic broker configs: kept in their file across a restart, a refusal leaves it") {
  testing::TempDir dir;
  const std::string path = (dir.path / "broker-configs.json").string();
  std::string why;
  {
    DynamicBrokerConfigs c(0);
    REQUIRE(c.load(path));  // no file yet: nothing set
    REQUIRE(c.alter("0", {{"background.threads", 0, "6"}}, true, false, why) == 0);
    REQUIRE(c.alter("", {{"num.io.threads", 0, "5"}}, true, false, why) == 0);
    REQUIRE(c.alter("0", {{"num.partitions", 0, "2"}}, true, false, why) == 42);
  }
  DynamicBrokerConfigs again(0);
  REQUIRE(again.load(path));
  int8_t source = 0;
  CHECK(shown(again, "0", "background.threads", &source) == "6");
  CHECK(source == 2);
  CHECK(shown(again, "0", "num.io.threads", &source) == "5");
  CHECK(source == 3);
  CHECK(shown(again, "0", "num.partitions") == "(absent)");

  std::ofstream(path) << "{not json";
  DynamicBrokerConfigs broken(0);
  CHECK(!broken.load(path));
}

}  // namespace
TEST_CASE("dynamic broker configs: the log.* topic defaults are validated as topic configs") {
  DynamicBrokerConfigs c(0);
  std::string why;
  REQUIRE(c.alter("", {{"log.retention.ms", 0, "3600000"}, {"log.cleanup.policy", 0, "compact"}},
                  true, false, why) == 0);
  REQUIRE(c.alter("0", {{"log.retention.ms", 0, "7200000"}, {"message.max.bytes", 0, "2000"}}, true,
                  false, why) == 0);
  const BrokerDefaults d = c.log_defaults();
  REQUIRE(d.size() == 3);
  CHECK(d.at("retention.ms").value == "7200000");  // this broker's own over the cluster's
  CHECK(d.at("retention.ms").source == kConfigSourceDynamicBroker);
  CHECK(d.at("cleanup.policy").value == "compact");
  CHECK(d.at("cleanup.policy").source == kConfigSourceDynamicDefaultBroker);
  CHECK(d.at("max.message.bytes").value == "2000");
  int8_t source = 0;
  CHECK(shown(c, "0", "log.cleanup.policy", &source) == "compact");  // the cluster's, in force
  CHECK(source == kConfigSourceDynamicDefaultBroker);
  CHECK(c.alter("", {{"log.retention.ms", 0, "soon"}}, true, false, why) == 42);
  CHECK(why.find("Invalid value soon for configuration log.retention.ms") == 0);
  CHECK(c.alter("", {{"log.cleanup.policy", 0, "shred"}}, true, false, why) == 42);
  CHECK(c.log_defaults().at("retention.ms").value == "7200000");  // unchanged by the refusals
}

TEST_CASE("topic store: a dynamic default reaches every topic that does not override it") {
  testing::TempDir dir;
  LogConfig log;
  auto store = TopicStore::open(dir.path.string(), log).value();
  std::string why;
  REQUIRE(store->create("plain", 2, {}, why) == 0);
  REQUIRE(store->create("own", 1, {{"retention.ms", "1000"}}, why) == 0);
  BrokerDefaults d;
  d["retention.ms"] = ConfigEntry{"retention.ms", "3600000", kConfigSourceDynamicDefaultBroker};
  store->set_broker_defaults(d);
  for (const auto& p : store->find("plain")->partitions)
    CHECK(p->config().retention_ms == 3600000);
  CHECK(store->find("own")->partitions[0]->config().retention_ms == 1000);
  bool described = false;
  for (const ConfigEntry& e :
       describe_topic_configs(log, store->broker_defaults(), &store->find("plain")->configs))
    if (e.name == "retention.ms") {
      described = true;
      CHECK(e.value == "3600000");
      CHECK(e.source == kConfigSourceDynamicDefaultBroker);
    }
  CHECK(described);
  store->set_broker_defaults({});  // deleted: back to the conf file's
  CHECK(store->find("plain")->partitions[0]->config().retention_ms == log.retention_ms);
}

}  // namespace flumen::broker
