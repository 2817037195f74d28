#include "plugins/kafka_common/client_keys.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>

#include <memory>
#include <sstream>

namespace flumen::plugins::kafka {

namespace {

using Kind = TranslatedKey::Kind;

TranslatedKey pass(const std::string& key, const std::string& value) {
  return {Kind::kPass, {{key, value}}, ""};
}
TranslatedKey converted(std::map<std::string, std::string> props) {
  return {Kind::kConverted, std::move(props), ""};
}
TranslatedKey dropped(std::string why) {
  return {Kind::kDropped, {}, std::move(why)};
}
TranslatedKey refused(std::string why) {
  return {Kind::kRefused, {}, std::move(why)};
}

std::string lookup_lower(const std::map<std::string, std::string>& all, const std::string& key,
                         const std::string& fallback) {
  auto it = all.find(key);
  return config::to_lower(it == all.end() ? fallback : it->second);
}

// sasl.jaas.config: `<LoginModule class> <flag> name="value" ... ;` (Java's JAAS syntax).
struct Jaas {
  std::string module;
  std::map<std::string, std::string> options;
  bool ok = false;
};
Jaas parse_jaas(std::string_view s) {
  Jaas j;
  auto skip_ws = [&] {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
      s.remove_prefix(1);
  };
  auto word = [&] {
    skip_ws();
    size_t n = 0;
    while (n < s.size() && !std::isspace(static_cast<unsigned char>(s[n])) && s[n] != '=' &&
           s[n] != ';')
      ++n;
    std::string w(s.substr(0, n));
    s.remove_prefix(n);
    return w;
  };
  j.module = word();
  std::string flag = word();  // required | requisite | sufficient | optional
  if (j.module.empty() || flag.empty()) return j;
  for (;;) {
    skip_ws();
    if (s.empty() || s.front() == ';') break;
    std::string name = word();
    skip_ws();
    if (name.empty() || s.empty() || s.front() != '=') return j;
    s.remove_prefix(1);
    skip_ws();
    std::string value;
    if (!s.empty() && s.front() == '"') {
      s.remove_prefix(1);
      bool closed = false;
      while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '\\' && !s.empty()) {
          value += s.front();
          s.remove_prefix(1);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return j;
    } else {
      value = word();
    }
    j.options[name] = value;
  }
  j.ok = true;
  return j;
}

TranslatedKey translate_jaas(const std::string& value) {
  Jaas j = parse_jaas(value);
  if (!j.ok) return refused("cannot be read as JAAS (<LoginModule> required name=\"value\" ...;)");
  const std::string& m = j.module;
  auto ends_with = [&](std::string_view tail) {
    return m.size() >= tail.size() && m.compare(m.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with("PlainLoginModule") || ends_with("ScramLoginModule")) {
    if (!j.options.count("username") || !j.options.count("password"))
      return refused(m + " needs username=\"...\" and password=\"...\"");
    return converted(
        {{"sasl.username", j.options["username"]}, {"sasl.password", j.options["password"]}});
  }
  if (ends_with("Krb5LoginModule")) {
    std::map<std::string, std::string> props;
    if (j.options.count("keyTab")) props["sasl.kerberos.keytab"] = j.options["keyTab"];
    if (j.options.count("principal")) props["sasl.kerberos.principal"] = j.options["principal"];
    if (props.empty())
      return refused(
          "Krb5LoginModule without keyTab and principal: librdkafka runs kinit with "
          "sasl.kerberos.keytab and sasl.kerberos.principal; set those");
    return converted(std::move(props));
  }
  if (ends_with("OAuthBearerLoginModule"))
    return refused(
        "OAuthBearerLoginModule: set sasl.oauthbearer.method = oidc with "
        "sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret and "
        "sasl.oauthbearer.token.endpoint.url instead");
  return refused("login module " + m +
                 " is a Java class; librdkafka supports PLAIN, SCRAM "
                 "(sasl.username/sasl.password), GSSAPI (sasl.kerberos.*) and OAUTHBEARER");
}

// partition.assignment.strategy: Java assignor classes -> librdkafka's names.
TranslatedKey translate_assignors(const std::string& value) {
  std::string out;
  for (std::string item : config::split_words(std::string(value.begin(), value.end()))) {
    for (std::string part; !item.empty();) {
      size_t comma = item.find(',');
      part = item.substr(0, comma);
      item = comma == std::string::npos ? "" : item.substr(comma + 1);
      if (part.empty()) continue;
      std::string name =
          part.substr(part.rfind('.') == std::string::npos ? 0 : part.rfind('.') + 1);
      std::string mapped;
      if (name == "RangeAssignor" || name == "range")
        mapped = "range";
      else if (name == "RoundRobinAssignor" || name == "roundrobin")
        mapped = "roundrobin";
      else if (name == "CooperativeStickyAssignor" || name == "cooperative-sticky")
        mapped = "cooperative-sticky";
      else if (name == "StickyAssignor")
        return refused("librdkafka has no eager sticky assignor: use cooperative-sticky");
      else
        return refused("assignor '" + part +
                       "' is unknown to librdkafka (range, roundrobin, "
                       "cooperative-sticky)");
      out += (out.empty() ? "" : ",") + mapped;
    }
  }
  return converted({{"partition.assignment.strategy", out}});
}

TranslatedKey translate_partitioner(const std::string& value) {
  std::string name = value.substr(value.rfind('.') == std::string::npos ? 0 : value.rfind('.') + 1);
  // The Java client's default hashes keys with murmur2 and spreads keyless records.
  if (name == "DefaultPartitioner" || name == "UniformStickyPartitioner" ||
      name == "BuiltInPartitioner")
    return converted({{"partitioner", "murmur2_random"}});
  return refused("Java partitioner class '" + value +
                 "': set partitioner (murmur2_random is the "
                 "Java client's default; also random, consistent, fnv1a) or defaultPartitionId / "
                 "partitionIdHeader on the sink");
}

// librdkafka's property names, as rd_kafka_conf_properties_show prints them (one table row per
// property: name, C/P, range, default, importance, description), for did-you-mean.
const std::vector<std::string>& librdkafka_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    char* buf = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    if (!f) return out;
    rd_kafka_conf_properties_show(f);
    fclose(f);
    std::istringstream in(std::string(buf, len));
    free(buf);
    for (std::string line; std::getline(in, line);) {
      std::string name = line.substr(0, line.find_first_of(" |"));
      if (name.empty() || name.find('.') == std::string::npos ||
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._") != std::string::npos)
        continue;
      out.push_back(name);
    }
    return out;
  }();
  return names;
}

}  // namespace

TranslatedKey translate_client_key(const std::string& key, const std::string& value,
                                   const std::map<std::string, std::string>& all, ClientRole role) {
  const bool producer = role == ClientRole::kProducer;
  // Sizes and buffers.
  if (key == "max.request.size" && producer) return converted({{"message.max.bytes", value}});
  if (key == "buffer.memory" && producer) {
    auto bytes = config::parse_int(value);
    if (!bytes || *bytes < 1) return refused("expected a size in bytes, got '" + value + "'");
    return converted({{"queue.buffering.max.kbytes", std::to_string((*bytes + 1023) / 1024)}});
  }
  if (key == "receive.buffer.bytes" || key == "send.buffer.bytes") {
    auto bytes = config::parse_int(value);
    // Java's -1 is the OS default, librdkafka's 0.
    std::string v = bytes && *bytes < 0 ? "0" : value;
    return converted({{"socket." + key, v}});
  }
  // TLS.
  if (key == "ssl.disableTLSHostnameVerification")  // Flume's own key
    return config::to_lower(value) == "true"
               ? converted({{"ssl.endpoint.identification.algorithm", "none"}})
               : converted({});
  if (key == "ssl.truststore.location") {
    if (lookup_lower(all, "ssl.truststore.type", "JKS") == "pem")
      return converted({{"ssl.ca.location", value}});
    return refused("a Java truststore (" + lookup_lower(all, "ssl.truststore.type", "JKS") +
                   ") cannot be read by librdkafka: export its CA certificates as PEM (keytool "
                   "-exportcert -rfc -keystore " +
                   value +
                   " -alias <alias>) and set "
                   "ssl.ca.location to that file instead");
  }
  if (key == "ssl.truststore.type" || key == "ssl.truststore.password" ||
      key == "ssl.keystore.type")
    return converted({});  // read together with the location
  if (key == "ssl.truststore.certificates") return converted({{"ssl.ca.pem", value}});
  if (key == "ssl.keystore.certificate.chain") return converted({{"ssl.certificate.pem", value}});
  if (key == "ssl.keystore.key") return converted({{"ssl.key.pem", value}});
  if (key == "ssl.keystore.location") {
    std::string type = lookup_lower(all, "ssl.keystore.type", "JKS");
    if (type == "pkcs12") return pass(key, value);  // librdkafka reads PKCS#12 keystores
    if (type == "pem")
      return converted({{"ssl.certificate.location", value}, {"ssl.key.location", value}});
    return refused(
        "a JKS keystore cannot be read by librdkafka: convert it (keytool "
        "-importkeystore -srckeystore " +
        value +
        " -destkeystore <file>.p12 "
        "-deststoretype PKCS12) and set ssl.keystore.type = PKCS12, or set "
        "ssl.certificate.location and ssl.key.location to PEM files");
  }
  if (key == "ssl.keystore.password") {
    if (lookup_lower(all, "ssl.keystore.type", "JKS") == "pkcs12") return pass(key, value);
    return converted({});
  }
  if (key == "ssl.protocol" || key == "ssl.enabled.protocols" ||
      key == "ssl.keymanager.algorithm" || key == "ssl.trustmanager.algorithm" ||
      key == "ssl.secure.random.implementation")
    return dropped(
        "Java TLS setting; librdkafka negotiates TLS with OpenSSL (see "
        "ssl.cipher.suites, ssl.curves.list)");
  // SASL.
  if (key == "sasl.jaas.config") return translate_jaas(value);
  if (key == "sasl.login.callback.handler.class" || key == "sasl.client.callback.handler.class" ||
      key == "sasl.login.class")
    return refused("a Java class; librdkafka has no plug-in login classes");
  // Serialisation: flumen moves bytes.
  if (key == "key.serializer" || key == "value.serializer" || key == "key.deserializer" ||
      key == "value.deserializer")
    return dropped(
        "Java serializer class; flumen sends and reads the event body as bytes, as "
        "Flume's default (Byte/String) serializers do");
  if (key == "interceptor.classes") return refused("Java interceptor classes cannot be loaded");
  if (key == "metric.reporters" || key == "metrics.sample.window.ms" ||
      key == "metrics.num.samples" || key == "metrics.recording.level" ||
      key == "client.dns.lookup" || key == "security.providers" ||
      key == "auto.include.jmx.reporter")
    return dropped("Java client setting with no librdkafka counterpart");
  // Producer.
  if (producer && key == "max.block.ms")
    return dropped("librdkafka's produce never blocks; a full queue makes the sink retry");
  if (producer && key == "partitioner.class") return translate_partitioner(value);
  // Consumer.
  if (!producer && (key == "enable.auto.commit" || key == "auto.commit.interval.ms"))
    return dropped(
        "the kafka source commits offsets itself, after the channel committed "
        "(Flume forces enable.auto.commit = false too)");
  if (!producer && key == "max.poll.records")
    return dropped("the source's batchSize bounds each channel transaction");
  if (!producer && (key == "default.api.timeout.ms" || key == "exclude.internal.topics"))
    return dropped("Java consumer setting with no librdkafka counterpart");
  if (!producer && key == "partition.assignment.strategy") return translate_assignors(value);
  return pass(key, value);
}

std::map<std::string, std::string> librdkafka_properties(
    const std::map<std::string, std::string>& keys, ClientRole role) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : keys) {
    TranslatedKey t = translate_client_key(k, v, keys, role);
    if (t.kind == Kind::kPass || t.kind == Kind::kConverted)
      for (const auto& [pk, pv] : t.props)
        out[pk] = pv;
  }
  return out;
}

void validate_client_keys(const std::map<std::string, std::string>& keys, ClientRole role,
                          const std::string& prefix, const config::ComponentEntries& where,
                          config::Diagnostics& diags) {
  auto line_of = [&](const std::string& key) {
    for (const auto& e : where.entries)
      if (e.key == prefix + key) return e.where;
    return where.where;
  };
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> scratch(
      rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  char err[512];
  for (const auto& [k, v] : keys) {
    const std::string full = where.key_prefix + prefix + k;
    TranslatedKey t = translate_client_key(k, v, keys, role);
    if (t.kind == Kind::kDropped) {
      diags.warning(line_of(k), full + ": " + t.note + " (ignored)");
      continue;
    }
    if (t.kind == Kind::kRefused) {
      diags.error(line_of(k), full + ": " + t.note);
      continue;
    }
    for (const auto& [pk, pv] : t.props) {
      if (rd_kafka_conf_set(scratch.get(), pk.c_str(), pv.c_str(), err, sizeof err) ==
          RD_KAFKA_CONF_OK)
        continue;
      std::string as = pk == k ? "" : " (as librdkafka's " + pk + ")";
      std::string msg = full + as + ": " + err;
      if (std::string_view(err).find("No such configuration property") != std::string_view::npos) {
        std::string near = config::nearest(pk, librdkafka_names());
        msg += near.empty() ? "; flumen's Kafka client is librdkafka: see its CONFIGURATION.md "
                              "for the equivalent property"
                            : "; did you mean librdkafka's '" + near + "'?";
      }
      diags.error(line_of(k), msg);
    }
  }
}

}  // namespace flumen::plugins::kafka
