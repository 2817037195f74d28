#include "broker/broker_config.h"

#include "agent/config/properties.h"
#include "agent/config/property_table.h"
#include "agent/net/tls_options.h"
#include "broker/storage/topic_config.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace flumen::broker {

namespace {

// The conf file's keys as Kafka names them, in Kafka's units; turned into BrokerConfig below.
// -1 marks "not given" where Kafka lets a finer key win over a coarser one (ms > minutes >
// hours).
struct BrokerProperties {
  int64_t num_partitions = 1;
  int64_t broker_id = -1;
  int64_t node_id = -1;
  std::string cluster_id = "flumen";
  bool auto_create_topics = true;
  int64_t segment_bytes = 1 << 30;
  int64_t roll_ms = -1;
  int64_t roll_hours = 168;
  int64_t retention_bytes = -1;
  int64_t retention_ms = -1;
  int64_t retention_minutes = -1;
  int64_t retention_hours = 168;
  int64_t index_interval_bytes = 4096;
  int64_t message_max_bytes = 1048588;
  int64_t socket_request_max_bytes = 100 << 20;
  int64_t idle_ms = 600000;
  int64_t flush_interval_ms = -1;
  int64_t retention_check_ms = 300000;
  std::string cleanup_policy = "delete";
  bool cleaner_enable = true;
  int64_t cleaner_dedupe_buffer_size = 134217728;
  int64_t cleaner_backoff_ms = 15000;
  double cleaner_io_max_bytes_per_second = -1;
  double cleaner_min_cleanable_ratio = 0.5;
  int64_t cleaner_delete_retention_ms = 86400000;
  int64_t cleaner_min_compaction_lag_ms = 0;
  int64_t cleaner_max_compaction_lag_ms = INT64_MAX;
  bool delete_topic_enable = true;
  std::string listeners;
  std::string advertised_listeners;
  std::string protocol_map;
  std::string keystore_location, keystore_type, keystore_password, key_password;
  std::string truststore_location, truststore_type, truststore_password;
  std::string client_auth = "none";
  std::string sasl_mechanisms = "PLAIN";
  std::string sasl_users_file;
  std::map<std::string, std::string> listener_name;  // listener.name.*
  std::map<std::string, std::string> ignored;
};

const config::PropertyTable<BrokerProperties>& broker_table() {
  using T = BrokerProperties;
  constexpr int64_t kMax = INT64_MAX / 3600000;  // hours still fit in milliseconds
  static const auto table =
      config::PropertyTable<T>()
          .integer("num.partitions", &T::num_partitions, "1", 1, 10000,
                   "Partitions of an auto-created topic.")
          .integer("broker.id", &T::broker_id, "-1", -1, INT32_MAX,
                   "The node id in Metadata (-1 = not set: node.id, else 0).")
          .integer("node.id", &T::node_id, "-1", -1, INT32_MAX,
                   "The same as broker.id; wins over it (-1 = not set).")
          .string("cluster.id", &T::cluster_id, "flumen", "The cluster id in Metadata.")
          .boolean("auto.create.topics.enable", &T::auto_create_topics, "true",
                   "Create a topic on its first Metadata or Produce request.")
          .integer("log.segment.bytes", &T::segment_bytes, "1073741824", 1024, INT32_MAX,
                   "A partition's segment rolls at this size.")
          .integer("log.roll.ms", &T::roll_ms, "-1", -1, INT64_MAX,
                   "A segment also rolls at this age (ms; -1 = not set: log.roll.hours applies).")
          .integer("log.roll.hours", &T::roll_hours, "168", 1, kMax,
                   "A segment also rolls at this age (hours).")
          .integer("log.retention.bytes", &T::retention_bytes, "-1", -1, INT64_MAX,
                   "Old segments go beyond this size per partition (-1 = no limit).")
          .integer("log.retention.ms", &T::retention_ms, "-1", -1, INT64_MAX,
                   "Old segments go after this time (ms; -1 = not set: minutes or hours apply).")
          .integer("log.retention.minutes", &T::retention_minutes, "-1", -1, kMax,
                   "The same in minutes.")
          .integer("log.retention.hours", &T::retention_hours, "168", -1, kMax,
                   "The same in hours (-1 = keep forever).")
          .integer("log.index.interval.bytes", &T::index_interval_bytes, "4096", 1, INT32_MAX,
                   "Log bytes between two offset index entries.")
          .integer("message.max.bytes", &T::message_max_bytes, "1048588", 64, INT32_MAX,
                   "Largest record batch accepted.")
          .integer("socket.request.max.bytes", &T::socket_request_max_bytes, "104857600", 1024,
                   INT32_MAX, "Largest request; a larger one closes the connection.")
          .integer("connections.max.idle.ms", &T::idle_ms, "600000", 1000, INT64_MAX,
                   "Idle connections are closed after this.")
          .integer("log.flush.interval.ms", &T::flush_interval_ms, "-1", -1, INT64_MAX,
                   "fsync at least this often (-1 = only for acks=all).")
          .integer("log.retention.check.interval.ms", &T::retention_check_ms, "300000", 1000,
                   INT64_MAX, "How often retention is applied.")
          .one_of("log.cleanup.policy", &T::cleanup_policy, "delete",
                  {"delete", "compact", "compact,delete", "delete,compact"},
                  "Topics' default cleanup.policy: delete (retention) or compact (the latest "
                  "record per key is kept), or both.")
          .boolean("log.cleaner.enable", &T::cleaner_enable, "true",
                   "Run the log cleaner for compacted topics (false: they only grow).")
          .integer("log.cleaner.dedupe.buffer.size", &T::cleaner_dedupe_buffer_size, "134217728",
                   1 << 16, INT64_MAX,
                   "Memory for the cleaner's key -> offset map (24 bytes a key; allocated for "
                   "the keys of the log being cleaned, at most this).")
          .integer("log.cleaner.backoff.ms", &T::cleaner_backoff_ms, "15000", 0, INT64_MAX,
                   "How long the cleaner waits when no log needs cleaning.")
          .decimal("log.cleaner.io.max.bytes.per.second", &T::cleaner_io_max_bytes_per_second, "-1",
                   -1, INT64_MAX, "Cap on the cleaner's reads (-1 = no cap).")
          .decimal("log.cleaner.min.cleanable.ratio", &T::cleaner_min_cleanable_ratio, "0.5", 0, 1,
                   "Topics' default min.cleanable.dirty.ratio.")
          .integer("log.cleaner.delete.retention.ms", &T::cleaner_delete_retention_ms, "86400000",
                   0, INT64_MAX, "Topics' default delete.retention.ms.")
          .integer("log.cleaner.min.compaction.lag.ms", &T::cleaner_min_compaction_lag_ms, "0", 0,
                   INT64_MAX, "Topics' default min.compaction.lag.ms.")
          .integer("log.cleaner.max.compaction.lag.ms", &T::cleaner_max_compaction_lag_ms,
                   "9223372036854775807", 1, INT64_MAX, "Topics' default max.compaction.lag.ms.")
          .boolean("delete.topic.enable", &T::delete_topic_enable, "true",
                   "DeleteTopics removes topics (false: it answers TOPIC_DELETION_DISABLED).")
          .string("listeners", &T::listeners, "",
                  "NAME://host:port,... (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL); replaces "
                  "--listen. An empty host is every interface.")
          .string("advertised.listeners", &T::advertised_listeners, "",
                  "NAME://host:port,...: what Metadata answers to clients of each listener.")
          .string("listener.security.protocol.map", &T::protocol_map, "",
                  "NAME:PROTOCOL,... for listener names that are not protocol names.")
          .string("ssl.keystore.location", &T::keystore_location, "",
                  "PEM file with this broker's private key and certificate chain.")
          .string("ssl.keystore.type", &T::keystore_type, "PEM",
                  "PEM only (JKS and PKCS12 keystores are refused with how to convert).")
          .string("ssl.keystore.password", &T::keystore_password, "",
                  "Password of an encrypted key in the keystore.")
          .string("ssl.key.password", &T::key_password, "",
                  "The same (Kafka's key password wins over the keystore's).")
          .string("ssl.truststore.location", &T::truststore_location, "",
                  "PEM CA bundle that client certificates must chain to.")
          .string("ssl.truststore.type", &T::truststore_type, "PEM", "PEM only.")
          .string("ssl.truststore.password", &T::truststore_password, "",
                  "Not used (a PEM truststore has no password).")
          .one_of("ssl.client.auth", &T::client_auth, "none", {"none", "requested", "required"},
                  "Client certificates: required refuses clients without one signed by the "
                  "truststore; requested verifies one if sent.")
          .string("sasl.enabled.mechanisms", &T::sasl_mechanisms, "PLAIN",
                  "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (comma-separated).")
          .string("sasl.users.file", &T::sasl_users_file, "",
                  "flumen: users of SASL listeners, 'name = password' lines.")
          .map("listener.name.", &T::listener_name,
               "listener.name.<l>.<mechanism>.sasl.jaas.config: its user_NAME=\"password\" "
               "entries are users (PlainLoginModule form).")
          .map("security.inter.broker.", &T::ignored, "Accepted, no effect (one node).")
          .map("sasl.mechanism.inter.broker.", &T::ignored, "Accepted, no effect (one node).")
          .map("inter.broker.", &T::ignored, "Accepted, no effect (one node).");
  return table;
}

std::vector<std::string> split(const std::string& v) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= v.size()) {
    size_t comma = v.find(',', at);
    std::string part(config::trim(std::string_view(v).substr(at, comma - at)));
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Status keystore_is_pem(const std::string& key, const std::string& path, const std::string& type) {
  const std::string pem_keys =
      "ssl.keystore.type = PEM with ssl.keystore.location (the key and the certificate chain in "
      "one PEM file), and ssl.truststore.type = PEM with ssl.truststore.location (CA "
      "certificates)";
  if (auto kind = net::java_keystore_kind(path))
    return make_error(ErrorCode::kInvalidConfig,
                      net::java_keystore_message(key, path, *kind, pem_keys));
  if (upper(type) != "PEM")
    return make_error(ErrorCode::kInvalidConfig,
                      key + ": type " + type + " is not supported; use " + pem_keys);
  return Status::ok();
}

Status apply_security(const std::string& path, const BrokerProperties& p, BrokerConfig& cfg) {
  auto bad = [&](const std::string& m) {
    return make_error(ErrorCode::kInvalidConfig, path + ": " + m);
  };
  if (!p.listeners.empty()) {
    auto ls = parse_listeners(p.listeners, p.protocol_map);
    if (!ls) return bad(ls.error().message);
    cfg.listeners = std::move(ls).value();
  }
  if (!p.advertised_listeners.empty()) {
    auto adv = parse_listeners(p.advertised_listeners, p.protocol_map);
    if (!adv) return bad("advertised." + adv.error().message);
    for (const BrokerListener& a : adv.value()) {
      auto it = std::find_if(cfg.listeners.begin(), cfg.listeners.end(),
                             [&](const BrokerListener& l) { return l.name == a.name; });
      if (it == cfg.listeners.end())
        return bad("advertised.listeners names '" + a.name + "', which is not in listeners");
      it->advertised_host = a.host;
      it->advertised_port = a.port;
    }
  }
  bool any_tls = false, any_sasl = false;
  for (const BrokerListener& l : cfg.listeners) {
    any_tls |= l.tls;
    any_sasl |= l.sasl;
  }
  if (!p.keystore_location.empty())
    if (Status s = keystore_is_pem("ssl.keystore.location", p.keystore_location, p.keystore_type);
        !s)
      return bad(s.message());
  if (!p.truststore_location.empty())
    if (Status s =
            keystore_is_pem("ssl.truststore.location", p.truststore_location, p.truststore_type);
        !s)
      return bad(s.message());
  cfg.tls.cert_file = cfg.tls.key_file = p.keystore_location;
  cfg.tls.key_password = !p.key_password.empty() ? p.key_password : p.keystore_password;
  cfg.tls.ca_file = p.truststore_location;
  cfg.tls.require_client_cert = p.client_auth == "required";
  cfg.tls.request_client_cert = p.client_auth == "requested";
  if (any_tls) {
    if (p.keystore_location.empty())
      return bad(
          "an SSL or SASL_SSL listener needs ssl.keystore.location (a PEM file with the "
          "key and the certificate chain)");
    auto ctx = net::TlsContext::make(net::TlsRole::kServer, cfg.tls);
    if (!ctx) return bad(ctx.error().message);
  }
  cfg.sasl_mechanisms.clear();
  for (const std::string& m : split(p.sasl_mechanisms)) {
    if (!sasl_mechanism_supported(upper(m)))
      return bad("sasl.enabled.mechanisms: " + m +
                 " is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
    cfg.sasl_mechanisms.push_back(upper(m));
  }
  auto users = std::make_shared<SaslUsers>();
  if (!p.sasl_users_file.empty()) {
    auto loaded = SaslUsers::load_file(p.sasl_users_file);
    if (!loaded) return bad(loaded.error().message);
    *users = std::move(loaded).value();
  }
  for (const auto& [k, v] : p.listener_name) {
    if (k.find(".sasl.jaas.config") != std::string::npos) {
      users->add_jaas(v);
    } else if (k.find(".sasl.enabled.mechanisms") == std::string::npos) {
      return bad("listener.name." + k +
                 ": only <listener>.<mechanism>.sasl.jaas.config and "
                 "<listener>.sasl.enabled.mechanisms are read per listener");
    }
  }
  if (any_sasl && users->size() == 0)
    return bad(
        "a SASL listener needs users: sasl.users.file or "
        "listener.name.<l>.plain.sasl.jaas.config with user_NAME=\"password\" entries");
  cfg.sasl_users = std::move(users);
  return Status::ok();
}

}  // namespace

const config::PropertyTableBase& broker_property_table() {
  return broker_table();
}

Status load_broker_properties(const std::string& path, BrokerConfig& cfg) {
  config::Diagnostics diags;
  auto file = config::PropertiesFile::load(path, diags);
  if (!file) return make_error(ErrorCode::kInvalidConfig, diags.format());
  config::ComponentEntries in;
  in.description = "the broker";
  in.where = {path, 1};
  in.entries = file->entries();
  BrokerProperties p;
  if (!broker_table().parse(p, in, diags))
    return make_error(ErrorCode::kInvalidConfig, diags.format());
  cfg.num_partitions = static_cast<int32_t>(p.num_partitions);
  if (p.broker_id >= 0) cfg.node_id = static_cast<int32_t>(p.broker_id);
  if (p.node_id >= 0) cfg.node_id = static_cast<int32_t>(p.node_id);
  cfg.cluster_id = p.cluster_id;
  cfg.auto_create_topics = p.auto_create_topics;
  cfg.log.segment_bytes = p.segment_bytes;
  cfg.log.segment_ms = p.roll_ms >= 0 ? p.roll_ms : p.roll_hours * 3600000;
  cfg.log.retention_bytes = p.retention_bytes;
  cfg.log.retention_ms = p.retention_ms >= 0        ? p.retention_ms
                         : p.retention_minutes >= 0 ? p.retention_minutes * 60000
                         : p.retention_hours >= 0   ? p.retention_hours * 3600000
                                                    : -1;
  cfg.log.index_interval_bytes = p.index_interval_bytes;
  cfg.log.max_message_bytes = p.message_max_bytes;
  cfg.log.set_in_conf = 0;
  for (const config::PropertyEntry& e : file->entries()) {
    const std::string& k = e.key;
    if (k == "log.segment.bytes") cfg.log.set_in_conf |= kConfSegmentBytes;
    if (k == "log.roll.ms" || k == "log.roll.hours") cfg.log.set_in_conf |= kConfSegmentMs;
    if (k == "log.retention.bytes") cfg.log.set_in_conf |= kConfRetentionBytes;
    if (k == "log.retention.ms" || k == "log.retention.minutes" || k == "log.retention.hours")
      cfg.log.set_in_conf |= kConfRetentionMs;
    if (k == "log.index.interval.bytes") cfg.log.set_in_conf |= kConfIndexIntervalBytes;
    if (k == "message.max.bytes") cfg.log.set_in_conf |= kConfMaxMessageBytes;
    if (k == "log.cleanup.policy") cfg.log.set_in_conf |= kConfCleanupPolicy;
    if (k == "log.cleaner.min.cleanable.ratio") cfg.log.set_in_conf |= kConfMinCleanableRatio;
    if (k == "log.cleaner.delete.retention.ms") cfg.log.set_in_conf |= kConfDeleteRetentionMs;
    if (k == "log.cleaner.min.compaction.lag.ms") cfg.log.set_in_conf |= kConfMinCompactionLagMs;
    if (k == "log.cleaner.max.compaction.lag.ms") cfg.log.set_in_conf |= kConfMaxCompactionLagMs;
  }
  set_cleanup_policy(cfg.log, p.cleanup_policy);
  cfg.log.min_cleanable_dirty_ratio = p.cleaner_min_cleanable_ratio;
  cfg.log.delete_retention_ms = p.cleaner_delete_retention_ms;
  cfg.log.min_compaction_lag_ms = p.cleaner_min_compaction_lag_ms;
  cfg.log.max_compaction_lag_ms = p.cleaner_max_compaction_lag_ms;
  cfg.cleaner.enable = p.cleaner_enable;
  cfg.cleaner.dedupe_buffer_bytes = p.cleaner_dedupe_buffer_size;
  cfg.cleaner.backoff_ms = p.cleaner_backoff_ms;
  cfg.cleaner.io_max_bytes_per_second = static_cast<int64_t>(p.cleaner_io_max_bytes_per_second);
  cfg.max_request_bytes = p.socket_request_max_bytes;
  cfg.idle_timeout_ms = p.idle_ms;
  cfg.flush_interval_ms = p.flush_interval_ms;
  cfg.retention_check_ms = p.retention_check_ms;
  cfg.delete_topic_enable = p.delete_topic_enable;
  return apply_security(path, p, cfg);
}

Result<std::vector<BrokerListener>> parse_listeners(const std::string& value,
                                                    const std::string& protocol_map) {
  std::map<std::string, std::string> protocols;
  for (const std::string& e : split(protocol_map)) {
    size_t colon = e.find(':');
    if (colon == std::string::npos)
      return make_error(ErrorCode::kInvalidConfig,
                        "listener.security.protocol.map: expected NAME:PROTOCOL, not '" + e + "'");
    protocols[upper(e.substr(0, colon))] = upper(e.substr(colon + 1));
  }
  std::vector<BrokerListener> out;
  for (const std::string& e : split(value)) {
    size_t sep = e.find("://");
    size_t colon = e.rfind(':');
    if (sep == std::string::npos || colon <= sep + 2)
      return make_error(ErrorCode::kInvalidConfig,
                        "listeners: expected NAME://host:port, not '" + e + "'");
    BrokerListener l;
    l.name = upper(e.substr(0, sep));
    l.host = e.substr(sep + 3, colon - sep - 3);
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']')
      l.host = l.host.substr(1, l.host.size() - 2);
    auto port = config::parse_int(e.substr(colon + 1));
    if (!port || *port < 0 || *port > 65535)
      return make_error(ErrorCode::kInvalidConfig, "listeners: bad port in '" + e + "'");
    l.port = static_cast<int>(*port);
    auto mapped = protocols.find(l.name);
    const std::string proto = mapped != protocols.end() ? mapped->second : l.name;
    if (proto == "PLAINTEXT") {
    } else if (proto == "SSL") {
      l.tls = true;
    } else if (proto == "SASL_PLAINTEXT") {
      l.sasl = true;
    } else if (proto == "SASL_SSL") {
      l.tls = l.sasl = true;
    } else {
      return make_error(ErrorCode::kInvalidConfig,
                        "listeners: '" + l.name +
                            "' is not a protocol (PLAINTEXT, SSL, "
                            "SASL_PLAINTEXT, SASL_SSL); map it in listener.security.protocol.map");
    }
    for (const BrokerListener& o : out)
      if (o.name == l.name)
        return make_error(ErrorCode::kInvalidConfig, "listeners: '" + l.name + "' twice");
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace flumen::broker
