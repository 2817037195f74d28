#include "plugins/kafka_common/client_keys.h"

#include <doctest/doctest.h>

namespace flumen::plugins::kafka {
namespace {

struct Validated {
  config::Diagnostics diags;
  std::string text() const { return diags.format(); }
  bool has(const std::string& s) const { return text().find(s) != std::string::npos; }
};

// Runs validate_client_keys over `lines` ("key = value", one per conf line 1, 2, ...).
Validated validate(const std::vector<std::pair<std::string, std::string>>& lines, ClientRole role,
                   const std::string& prefix = "kafka.producer.") {
  Validated v;
  config::ComponentEntries where;
  where.key_prefix = "a1.sinks.k1.";
  where.where = {"t.conf", 1};
  std::map<std::string, std::string> keys;
  int line = 1;
  for (const auto& [k, val] : lines) {
    where.entries.push_back({prefix + k, val, {"t.conf", line++}});
    keys[k] = val;
  }
  validate_client_keys(keys, role, prefix, where, v.diags);
  return v;
}

TEST_CASE("Java producer keys with a librdkafka meaning are translated") {
  std::map<std::string, std::string> java = {
      {"max.request.size", "2097152"},
      {"buffer.memory", "33554432"},
      {"acks", "1"},
      {"linger.ms", "20"},
      {"sasl.jaas.config",
       "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"flume\" "
       "password=\"s3\\\"cret\";"},
      {"send.buffer.bytes", "-1"},
      {"key.serializer", "org.apache.kafka.common.serialization.StringSerializer"},
  };
  auto props = librdkafka_properties(java, ClientRole::kProducer);
  CHECK(props.at("message.max.bytes") == "2097152");
  CHECK(props.at("queue.buffering.max.kbytes") == "32768");
  CHECK(props.at("acks") == "1");
  CHECK(props.at("linger.ms") == "20");
  CHECK(props.at("sasl.username") == "flume");
  CHECK(props.at("sasl.password") == "s3\"cret");
  CHECK(props.at("socket.send.buffer.bytes") == "0");
  CHECK(props.count("key.serializer") == 0);
  CHECK(props.count("max.request.size") == 0);
}

TEST_CASE("check reports what librdkafka refuses and what has no librdkafka meaning") {
  auto v =
      validate({{"ssl.truststore.location", "/etc/kafka/truststore.jks"},
                {"value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"},
                {"max.request.size", "lots"},
                {"no.such.property", "1"},
                {"compression.type", "lz4"},
                {"interceptor.classes", "com.example.Interceptor"}},
               ClientRole::kProducer);
  INFO(v.text());
  CHECK(
      v.has("t.conf:1: error: a1.sinks.k1.kafka.producer.ssl.truststore.location: a Java "
            "truststore (jks) cannot be read by librdkafka"));
  CHECK(v.has("set ssl.ca.location"));
  CHECK(v.has("t.conf:2: warning: a1.sinks.k1.kafka.producer.value.serializer: Java serializer"));
  CHECK(
      v.has("t.conf:3: error: a1.sinks.k1.kafka.producer.max.request.size (as librdkafka's "
            "message.max.bytes): "));
  CHECK(
      v.has("t.conf:4: error: a1.sinks.k1.kafka.producer.no.such.property: No such "
            "configuration property"));
  CHECK(v.has("t.conf:6: error: a1.sinks.k1.kafka.producer.interceptor.classes"));
  CHECK_FALSE(v.has("compression.type"));
  CHECK(v.diags.error_count() == 4);
}

TEST_CASE(
    "a PEM truststore, Kerberos JAAS and Java assignors translate; a consumer's auto commit "
    "is the source's") {
  std::map<std::string, std::string> java = {
      {"ssl.truststore.location", "/etc/ca.pem"},
      {"ssl.truststore.type", "PEM"},
      {"sasl.jaas.config",
       "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
       "keyTab=\"/etc/flume.keytab\" principal=\"flume@EXAMPLE.COM\";"},
      {"partition.assignment.strategy",
       "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer."
       "CooperativeStickyAssignor"},
      {"enable.auto.commit", "true"},
  };
  auto props = librdkafka_properties(java, ClientRole::kConsumer);
  CHECK(props.at("ssl.ca.location") == "/etc/ca.pem");
  CHECK(props.at("sasl.kerberos.keytab") == "/etc/flume.keytab");
  CHECK(props.at("sasl.kerberos.principal") == "flume@EXAMPLE.COM");
  CHECK(props.at("partition.assignment.strategy") == "range,cooperative-sticky");
  CHECK(props.count("enable.auto.commit") == 0);
  CHECK(props.count("ssl.truststore.type") == 0);
}

}  // namespace
}  // namespace flumen::plugins::kafka
