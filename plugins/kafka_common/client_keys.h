#pragma once
// Flume confs pass Java Kafka client properties through kafka.producer.* / kafka.consumer.*;
// flumen's client is librdkafka. Each key is translated here, the same way at check time and at
// start (check validates what start will set):
//  - a key librdkafka knows by the same name (acks, linger.ms, compression.type, ...) passes;
//  - a Java key with a librdkafka meaning is renamed or converted (max.request.size ->
//    message.max.bytes, buffer.memory -> queue.buffering.max.kbytes, sasl.jaas.config for
//    PLAIN/SCRAM -> sasl.username/sasl.password, a PEM truststore -> ssl.ca.location, ...);
//  - a Java key that means nothing to a librdkafka client (serializers, max.block.ms) is
//    dropped with a warning;
//  - a Java key whose meaning librdkafka cannot give (a JKS truststore, a Java class) is an
//    error that names the replacement.
// validate_client_keys() then sets every resulting property on a scratch librdkafka conf, so an
// unknown key or a bad value is reported by `flumen check` with the line it came from.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/config/property_table.h"

namespace flumen::plugins::kafka {

enum class ClientRole { kProducer, kConsumer };

struct TranslatedKey {
  enum Kind { kPass, kConverted, kDropped, kRefused } kind = kPass;
  std::map<std::string, std::string> props;  // librdkafka properties to set (kPass, kConverted)
  std::string note;                          // why (kDropped: a warning; kRefused: an error)
};

// One Java (or librdkafka) client key and its value. `all` holds every key of the same map
// (a JKS check needs ssl.truststore.type, for instance).
TranslatedKey translate_client_key(const std::string& key, const std::string& value,
                                   const std::map<std::string, std::string>& all, ClientRole role);

// The librdkafka properties for a map of client keys (refused and dropped keys left out).
std::map<std::string, std::string> librdkafka_properties(
    const std::map<std::string, std::string>& keys, ClientRole role);

// Translates every entry of `where` under `prefix` (e.g. "kafka.producer.") and checks the
// result against librdkafka: warnings for dropped keys, errors for refused keys and for
// properties librdkafka rejects, each at its own line.
void validate_client_keys(const std::map<std::string, std::string>& keys, ClientRole role,
                          const std::string& prefix, const config::ComponentEntries& where,
                          config::Diagnostics& diags);

}  // namespace flumen::plugins::kafka
