#include "agent/metrics/metrics_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace flumen::metrics {

namespace {

// ---------------------------------------------------------------------------------------------
// Number formatting

// Shortest round-trip representation of v in the given format ("0.12", "1e+07").
std::string shortest(double v, std::chars_format fmt) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

bool fits_int64(double v) {
  // 2^63 is exactly representable; every double strictly below it converts without overflow.
  return std::isfinite(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0;
}

// Roughly Java's Double.toString: plain decimal with at least one fractional digit for
// 1e-3 <= |v| < 1e7 (and zero), otherwise computerized scientific notation ("1.0E7").
std::string java_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  double a = std::fabs(v);
  if (a == 0.0 || (a >= 1e-3 && a < 1e7)) {
    std::string s = shortest(v, std::chars_format::fixed);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  std::string s = shortest(v, std::chars_format::scientific);  // e.g. "1.5e+07", "1e-05"
  size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  return mantissa + "E" + std::to_string(exp);
}

std::string flume_value(const MetricValue& v) {
  if (v.integral && fits_int64(v.value)) return std::to_string(static_cast<int64_t>(v.value));
  return java_double(v.value);
}

std::string prometheus_value(const MetricValue& v) {
  if (std::isnan(v.value)) return "NaN";
  if (std::isinf(v.value)) return v.value > 0 ? "+Inf" : "-Inf";
  if (v.integral && fits_int64(v.value)) return std::to_string(static_cast<int64_t>(v.value));
  return shortest(v.value, std::chars_format::general);
}

// ---------------------------------------------------------------------------------------------
// Prometheus naming and escaping

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "EventReceivedCount" -> "event_received_count", "HTTPRequests" -> "http_requests"; anything
// outside [A-Za-z0-9] becomes '_' so the result is a valid Prometheus name fragment.
std::string snake_case(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 8);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (is_upper(c)) {
      if (i > 0) {
        char prev = name[i - 1];
        bool next_lower = i + 1 < name.size() && is_lower(name[i + 1]);
        if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower)) out += '_';
      }
      out += static_cast<char>(c - 'A' + 'a');
    } else if (is_lower(c) || is_digit(c)) {
      out += c;
    } else if (out.empty() || out.back() != '_') {
      out += '_';
    }
  }
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string escape_label_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_name(std::string_view attr) {
  std::string n = snake_case(attr);
  if (n.empty()) n = "attr";
  if (is_digit(n[0])) n.insert(0, "_");
  if (n == "agent" || n == "type" || n == "component" || n.rfind("__", 0) == 0) {
    n.insert(0, "attr_");
  }
  return n;
}

std::string base_labels(const std::string& agent, const ComponentSnapshot& s) {
  return "agent=\"" + escape_label_value(agent) + "\",type=\"" +
         escape_label_value(lower_ascii(s.type)) + "\",component=\"" + escape_label_value(s.name) +
         "\"";
}

}  // namespace

std::string format_flume_json(const std::vector<ComponentSnapshot>& snapshots) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const auto& s : snapshots) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    obj["Type"] = s.type;
    for (const auto& v : s.values)
      obj[v.name] = flume_value(v);
    for (const auto& [k, val] : s.labels)
      obj[k] = val;
    root[s.type + "." + s.name] = std::move(obj);
  }
  // Names come from configuration; never let a stray byte turn a scrape into an exception.
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string format_prometheus(const std::vector<ComponentSnapshot>& snapshots,
                              const std::string& agent_name) {
  struct Family {
    std::string name;
    std::string flume_name;
    MetricKind kind;
    std::string samples;
  };
  std::vector<Family> families;
  std::map<std::string, size_t> index;  // prometheus name -> families[i]
  std::string info_samples;

  for (const auto& s : snapshots) {
    const std::string labels = base_labels(agent_name, s);
    for (const auto& v : s.values) {
      std::string name = "flumen_" + snake_case(v.name);
      auto [it, inserted] = index.emplace(name, families.size());
      if (inserted) families.push_back({name, v.name, v.kind, {}});
      std::string& out = families[it->second].samples;
      out += name;
      out += '{';
      out += labels;
      out += "} ";
      out += prometheus_value(v);
      out += '\n';
    }
    if (!s.labels.empty()) {
      std::string line = "flumen_component_info{" + labels;
      std::unordered_set<std::string> seen;
      for (const auto& [k, val] : s.labels) {
        std::string ln = label_name(k);
        if (!seen.insert(ln).second) continue;  // duplicate label names are invalid
        line += ',' + ln + "=\"" + escape_label_value(val) + '"';
      }
      line += "} 1\n";
      info_samples += line;
    }
  }

  std::string out;
  for (const auto& f : families) {
    const std::string& name = f.name;
    out += "# HELP " + name + " Flume metric " + escape_help(f.flume_name) + '\n';
    out += "# TYPE " + name + (f.kind == MetricKind::kCounter ? " counter\n" : " gauge\n");
    out += f.samples;
  }
  if (!info_samples.empty()) {
    out += "# HELP flumen_component_info String attributes of a component\n";
    out += "# TYPE flumen_component_info gauge\n";
    out += info_samples;
  }
  return out;
}

namespace {

// Flume's counter classes: the attributes with a set<Name> method are gauges; those with
// neither increment/addTo nor set are not exported.
bool flume_gauge(std::string_view name) {
  return name == "ChannelSize" || name == "ChannelCapacity" || name == "OpenConnectionCount";
}
bool flume_exported(std::string_view name) {
  return name != "StartTime" && name != "StopTime" && name != "ChannelFillPercentage";
}

}  // namespace

std::string format_flume_prometheus(const std::vector<ComponentSnapshot>& snapshots) {
  struct Family {
    std::string name;  // as written in the samples
    std::string help;
    bool counter;
    std::string samples;
  };
  std::vector<Family> families;
  std::map<std::string, size_t> index;
  for (const auto& s : snapshots) {
    for (const auto& v : s.values) {
      if (!flume_exported(v.name)) continue;
      const bool counter = !flume_gauge(v.name);
      const std::string base = "Flume_" + v.name;
      const std::string name = counter ? base + "_total" : base;
      auto [it, inserted] = index.emplace(name, families.size());
      if (inserted) families.push_back({name, base, counter, {}});
      std::string& out = families[it->second].samples;
      out += name + "{component=\"" + escape_label_value(s.name) + "\",} " + java_double(v.value) +
             '\n';
    }
  }
  std::string out;
  for (const auto& f : families) {
    out += "# HELP " + f.name + " " + escape_help(f.help) + '\n';
    out += "# TYPE " + f.name + (f.counter ? " counter\n" : " gauge\n");
    out += f.samples;
  }
  return out;
}

bool accepts_prometheus(std::string_view accept) {
  // The first media range that names one of the formats decides (Prometheus lists
  // openmetrics, then text/plain; browsers and Flume tools list JSON or */*).
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = range.find(';');
    std::string type = lower_ascii(range.substr(0, semi));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
      type.erase(0, 1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
      type.pop_back();
    if (type == "application/openmetrics-text" || type == "text/plain") return true;
    if (type == "application/json") return false;
  }
  return false;
}

}  // namespace flumen::metrics
