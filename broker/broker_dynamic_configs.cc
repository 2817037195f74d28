#include "broker/broker_dynamic_configs.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/util/atomic_file.h"

namespace flumen::broker {

namespace {

constexpr int16_t kInvalidRequest = 42, kInvalidConfig = 40, kKafkaStorageError = 56;
constexpr int8_t kDynamicBroker = 2, kDynamicDefaultBroker = 3, kDefault = 5;

enum class Type { kInt, kLong, kDouble, kString, kList };

struct Def {
  const char* name;
  Type type;
  const char* kafka_default;
  double at_least;            // Kafka's range validator (atLeast), -1e300 when none
  bool per_broker;            // Kafka refuses it at the cluster-default level
  bool thread_count = false;  // Kafka: a new value between half and double the current one
};

constexpr double kNoMin = -1e300;

// The dynamic broker configs taken here: Kafka's names, types, defaults and lower bounds.
const std::vector<Def>& defs() {
  static const std::vector<Def> table = {
      {"background.threads", Type::kInt, "10", 1, false, true},
      {"max.connection.creation.rate", Type::kInt, "2147483647", 0, false},
      {"max.connections", Type::kInt, "2147483647", 0, false},
      {"max.connections.per.ip", Type::kInt, "2147483647", 0, false},
      {"num.io.threads", Type::kInt, "8", 1, false, true},
      {"num.network.threads", Type::kInt, "3", 1, false, true},
      {"num.recovery.threads.per.data.dir", Type::kInt, "2", 1, false, true},
      {"num.replica.fetchers", Type::kInt, "1", kNoMin, false, true},
      {"sasl.kerberos.kinit.cmd", Type::kString, "/usr/bin/kinit", kNoMin, true},
      {"sasl.kerberos.min.time.before.relogin", Type::kLong, "60000", kNoMin, true},
      {"sasl.kerberos.principal.to.local.rules", Type::kList, "DEFAULT", kNoMin, true},
      {"sasl.kerberos.ticket.renew.jitter", Type::kDouble, "0.05", kNoMin, true},
      {"sasl.kerberos.ticket.renew.window.factor", Type::kDouble, "0.8", kNoMin, true},
  };
  return table;
}

// Kafka's broker configs that are not taken here: read-only in Kafka, or dynamic in Kafka but
// with an effect this broker does not apply at run time (they come from its conf file).
bool fixed_here(std::string_view name) {
  if (!topic_config_of(name).empty()) return false;  // a topic default: applied
  static constexpr std::string_view kFixed[] = {
      "advertised.listeners",
      "auto.create.topics.enable",
      "broker.id",
      "connections.max.idle.ms",
      "delete.topic.enable",
      "listeners",
      "log.dir",
      "log.dirs",
      "metric.reporters",
      "node.id",
      "num.partitions",
      "process.roles",
      "sasl.enabled.mechanisms",
      "socket.request.max.bytes",
      "unclean.leader.election.enable",
      "min.insync.replicas",
  };
  if (std::find(std::begin(kFixed), std::end(kFixed), name) != std::end(kFixed)) return true;
  // The log.* topic defaults, the cleaner's settings, listener and SSL settings.
  for (std::string_view prefix : {"log.", "listener.", "ssl."})
    if (name.substr(0, prefix.size()) == prefix) return true;
  return false;
}

const Def* find_def(std::string_view name) {
  for (const Def& d : defs())
    if (name == d.name) return &d;
  return nullptr;
}

std::string kafka_set(const std::vector<std::string>& names) {
  std::string out = "Set(";
  for (size_t k = 0; k < names.size(); ++k)
    out += (k ? ", " : "") + names[k];
  return out + ")";
}

std::vector<std::string> split(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    if (std::string_view item = v.substr(0, comma); !item.empty()) out.emplace_back(item);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

// Kafka's ConfigDef parse and range check: an empty string, or ConfigException's message.
std::string type_error(const Def& d, const std::string& value) {
  auto bad = [&](const std::string& what) {
    return "Invalid value " + value + " for configuration " + d.name + ": " + what;
  };
  double number = 0;
  switch (d.type) {
    case Type::kInt:
    case Type::kLong: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      const bool is_int = d.type == Type::kInt;
      if (ec != std::errc() || p != value.data() + value.size() ||
          (is_int && (v < INT32_MIN || v > INT32_MAX)))
        return bad(std::string("Not a number of type ") + (is_int ? "INT" : "LONG"));
      number = static_cast<double>(v);
      break;
    }
    case Type::kDouble: {
      char* end = nullptr;
      number = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') return bad("Not a number of type DOUBLE");
      break;
    }
    case Type::kString:
    case Type::kList:
      return "";
  }
  if (number < d.at_least) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", d.at_least);
    return bad(std::string("Value must be at least ") + b);
  }
  return "";
}

}  // namespace

int16_t DynamicBrokerConfigs::check_name(std::string_view resource, bool describe,
                                         std::string& why) const {
  if (resource.empty()) return 0;
  int32_t id = 0;
  auto [p, ec] = std::from_chars(resource.data(), resource.data() + resource.size(), id);
  if (ec != std::errc() || p != resource.data() + resource.size()) {
    why = std::string(describe ? "Broker id must be an integer, but it is: "
                               : "Node id must be an integer, but it is: ") +
          std::string(resource);
    return kInvalidRequest;
  }
  if (id != node_id_) {
    why = "Unexpected broker id, expected " + std::to_string(node_id_) +
          (describe ? " or empty string" : "") + ", but received " + std::string(resource);
    return kInvalidRequest;
  }
  return 0;
}

int16_t DynamicBrokerConfigs::alter(std::string_view resource, const std::vector<Op>& ops,
                                    bool incremental, bool validate_only, std::string& why) {
  Overrides& target = resource.empty() ? cluster_ : per_broker_;
  Overrides next = incremental ? target : Overrides{};
  for (const Op& o : ops) {
    const Def* d = find_def(o.name);
    switch (incremental ? o.op : 0) {
      case 0:
        next[o.name] = o.value;
        break;
      case 1:
        next.erase(o.name);
        break;
      default: {
        if (fixed_here(o.name)) {  // refused below, whatever its type
          next[o.name] = o.value;
          break;
        }
        // Kafka: from the override, else the config's own default; LIST configs only.
        const std::string_view topic = topic_config_of(o.name);
        const bool list = d ? d->type == Type::kList : !topic.empty() && is_list_config(topic);
        if (!list) {
          why = std::string("Config value ") + (o.op == 2 ? "append" : "subtract") +
                " is not allowed for config key: " + o.name;
          return kInvalidConfig;
        }
        auto it = next.find(o.name);
        std::vector<std::string> items = split(it != next.end() ? it->second
                                               : d              ? d->kafka_default
                                                                : kafka_default_of(topic));
        for (const std::string& v : split(o.value)) {
          auto at = std::find(items.begin(), items.end(), v);
          if (o.op == 2 && at == items.end()) items.push_back(v);
          if (o.op == 3 && at != items.end()) items.erase(at);
        }
        next[o.name] = join(items);
      }
    }
  }
  // Kafka validates the resource's resulting configs as a whole (DynamicBrokerConfig).
  std::vector<std::string> fixed, per_broker;
  for (const auto& [name, value] : next) {
    if (fixed_here(name)) fixed.push_back(name);
    const Def* d = find_def(name);
    if (d && d->per_broker) per_broker.push_back(name);
  }
  if (!fixed.empty()) {
    why = "Cannot update these configs dynamically: " + kafka_set(fixed);
    return kInvalidRequest;
  }
  for (const auto& [name, value] : next) {
    if (std::string_view topic = topic_config_of(name); !topic.empty()) {
      std::string bad;
      if (validate_topic_config(topic, value, bad) != 0) {
        why = "Invalid value " + value + " for configuration " + name + ": " + bad;
        return kInvalidRequest;
      }
      continue;
    }
    const Def* d = find_def(name);
    if (!d) continue;
    if (std::string e = type_error(*d, value); !e.empty()) {
      why = e;
      return kInvalidRequest;
    }
    if (d->thread_count) {
      // Kafka's DynamicThreadPool: at most double, at least half the count in force.
      const int64_t now = std::strtoll(effective(name).c_str(), nullptr, 10);
      const int64_t v = std::strtoll(value.c_str(), nullptr, 10);
      const char* what = v > 2 * now   ? "should not be greater than double"
                         : v < now / 2 ? "should be at least half"
                                       : nullptr;
      if (what) {
        why =
            "Invalid value org.apache.kafka.common.config.ConfigException: Dynamic thread count "
            "update validation failed for " +
            name + "=" + value + ", value " + what + " the current value " + std::to_string(now) +
            " for configuration Invalid dynamic configuration";
        return kInvalidRequest;
      }
    }
  }
  if (resource.empty() && !per_broker.empty()) {
    why = "Cannot update these configs at default cluster level, broker id must be specified: " +
          kafka_set(per_broker);
    return kInvalidRequest;
  }
  if (validate_only) return 0;
  std::swap(target, next);
  if (Status s = save(); !s) {
    std::swap(target, next);  // as it was: the change did not reach the disk
    why = s.message();
    return kKafkaStorageError;
  }
  return 0;
}

Status DynamicBrokerConfigs::load(const std::string& path) {
  path_ = path;
  if (!std::filesystem::exists(path)) return Status::ok();
  try {
    std::ifstream in(path);
    nlohmann::json j;
    in >> j;
    per_broker_ = j.value("broker", Overrides{});
    cluster_ = j.value("cluster", Overrides{});
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorruption, path + " is not valid (" + e.what() +
                                                  "); restore it or remove it to start empty");
  }
  return Status::ok();
}

Status DynamicBrokerConfigs::save() const {
  if (path_.empty()) return Status::ok();
  const nlohmann::json j = {{"broker", per_broker_}, {"cluster", cluster_}};
  return write_file_atomically(path_, j.dump(2) + "\n", true);
}

std::string DynamicBrokerConfigs::effective(std::string_view name) const {
  if (auto it = per_broker_.find(name); it != per_broker_.end()) return it->second;
  if (auto it = cluster_.find(name); it != cluster_.end()) return it->second;
  const Def* d = find_def(name);
  return d ? d->kafka_default : "";
}

std::vector<DynamicBrokerConfigs::Shown> DynamicBrokerConfigs::describe(
    std::string_view resource) const {
  std::vector<Shown> out;
  if (resource.empty()) {
    for (const auto& [name, value] : cluster_)
      out.push_back({name, value, false, kDynamicDefaultBroker});
    return out;
  }
  for (const Def& d : defs()) {
    Shown s{d.name, d.kafka_default, false, kDefault};
    if (auto it = cluster_.find(d.name); it != cluster_.end())
      s = {d.name, it->second, false, kDynamicDefaultBroker};
    if (auto it = per_broker_.find(d.name); it != per_broker_.end())
      s = {d.name, it->second, false, kDynamicBroker};
    out.push_back(std::move(s));
  }
  for (const auto& [name, value] : per_broker_)
    if (!find_def(name)) out.push_back({name, value, false, kDynamicBroker});
  // The cluster-wide topic defaults this broker does not override are in force here too.
  for (const auto& [name, value] : cluster_)
    if (!topic_config_of(name).empty() && !per_broker_.count(name))
      out.push_back({name, value, false, kDynamicDefaultBroker});
  return out;
}

BrokerDefaults DynamicBrokerConfigs::log_defaults() const {
  BrokerDefaults out;
  auto add = [&](const Overrides& from, int8_t source) {
    for (const auto& [name, value] : from)
      if (std::string_view topic = topic_config_of(name); !topic.empty())
        out[std::string(topic)] = ConfigEntry{std::string(topic), value, source};
  };
  add(cluster_, kDynamicDefaultBroker);
  add(per_broker_, kDynamicBroker);  // this broker's own win
  return out;
}

}  // namespace flumen::broker
