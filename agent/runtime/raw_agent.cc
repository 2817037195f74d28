#include "agent/runtime/raw_agent.h"

#include <algorithm>

namespace flumen::runtime::detail {

using config::Diagnostics;
using config::Location;
using config::PropertyEntry;
using pipeline::PluginKind;

namespace {

const std::vector<std::string> kSections = {"sources", "channels", "sinks", "sinkgroups",
                                            "configfilters"};

}  // namespace

std::string singular(const std::string& section) {
  if (section == "sources") return "source";
  if (section == "channels") return "channel";
  if (section == "sinks") return "sink";
  if (section == "sinkgroups") return "sink group";
  return "config filter";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

Location RawAgent::list_where(const std::string& section) const {
  auto it = lists.find(section);
  return it == lists.end() ? Location{} : it->second.where;
}

const std::map<std::string, RawComponent>& RawAgent::section(const std::string& name) const {
  static const std::map<std::string, RawComponent> kNone;
  auto it = components.find(name);
  return it == components.end() ? kNone : it->second;
}

bool RawAgent::is_listed(const std::string& section, const std::string& name) const {
  auto it = listed.find(section);
  return it != listed.end() &&
         std::find(it->second.begin(), it->second.end(), name) != it->second.end();
}

RawAgent collect(const config::PropertiesFile& props, const std::string& agent,
                 Diagnostics& diags) {
  RawAgent raw;
  const std::string prefix = agent + ".";
  for (const PropertyEntry& e : props.entries()) {
    if (e.key.compare(0, prefix.size(), prefix) != 0) continue;  // another agent's key
    if (e.value.empty()) {
      // FlumeConfiguration.addRawProperty: "Configuration property ignored".
      diags.warning(e.where, "'" + e.key + "' has an empty value (ignored, as Flume ignores it)");
      continue;
    }
    std::string rest = e.key.substr(prefix.size());
    size_t dot = rest.find('.');
    std::string section = rest.substr(0, dot);
    if (std::find(kSections.begin(), kSections.end(), section) == kSections.end()) {
      std::string msg = "unknown agent property '" + e.key + "' (an agent has sources, channels, " +
                        "sinks, sinkgroups and configfilters)";
      std::string near = config::nearest(section, kSections);
      if (!near.empty()) msg += "; did you mean '" + prefix + near + "'?";
      diags.warning(e.where, msg + " (ignored, as Flume ignores it)");
      continue;
    }
    if (dot == std::string::npos) {
      raw.lists[section] = e;
      continue;
    }
    std::string after = rest.substr(dot + 1);
    size_t dot2 = after.find('.');
    if (dot2 == std::string::npos || dot2 == 0 || dot2 + 1 == after.size()) {
      diags.warning(e.where, "malformed key '" + e.key + "': expected " + prefix + section +
                                 ".<name>.<property> (ignored, as Flume ignores it)");
      continue;
    }
    std::string name = after.substr(0, dot2);
    PropertyEntry rel = e;
    rel.key = after.substr(dot2 + 1);
    RawComponent& rc = raw.components[section][name];
    if (rc.entries.empty()) rc.first = e.where;
    rc.entries.push_back(std::move(rel));
  }
  // Listed names per section; Flume keeps them in a set, so a name listed twice counts once.
  for (const auto& [section, entry] : raw.lists) {
    std::vector<std::string>& names = raw.listed[section];
    for (const auto& n : config::split_words(entry.value)) {
      if (std::find(names.begin(), names.end(), n) != names.end()) {
        diags.warning(entry.where, singular(section) + " '" + n + "' is listed twice in " + agent +
                                       "." + section);
        continue;
      }
      names.push_back(n);
    }
  }
  return raw;
}

std::optional<PropertyEntry> take(std::vector<PropertyEntry>& entries, const std::string& key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      PropertyEntry e = *it;
      entries.erase(it);
      return e;
    }
  }
  return std::nullopt;
}

std::string fingerprint_of(std::vector<PropertyEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const PropertyEntry& a, const PropertyEntry& b) { return a.key < b.key; });
  std::string out;
  for (const auto& e : entries)
    out += e.key + "=" + e.value + "\n";
  return out;
}

Outcome configure_component(ComponentConfig& out, PluginKind kind, const std::string& name,
                            const std::string& key_prefix, std::vector<PropertyEntry> entries,
                            const Location& fallback, const pipeline::Registry& reg,
                            Diagnostics& diags, bool type_required) {
  const std::string kind_name = pipeline::plugin_kind_name(kind);
  out.name = name;
  auto type = take(entries, "type");
  if (!type) {
    std::string msg = kind_name + " '" + name + "' has no type (set " + key_prefix + "type)";
    if (type_required) {
      diags.error(fallback, msg);
      return Outcome::kFailed;
    }
    diags.warning(fallback, msg + "; dropped, as Flume drops it");
    return Outcome::kDropped;
  }
  out.type = type->value;
  out.where = type->where;
  out.plugin = reg.find(kind, type->value);
  if (!out.plugin) {
    if (std::string why = reg.module_error(kind, type->value); !why.empty()) {
      diags.error(type->where, kind_name + " type '" + type->value + "' is unavailable: " + why);
      return Outcome::kFailed;
    }
    std::vector<std::string> names = reg.names(kind);
    std::string msg;
    if (type->value.find('.') != std::string::npos) {
      msg = "unknown " + kind_name + " class '" + type->value +
            "': flumen runs no Java classes; supported " + kind_name + " types: " + join(names);
    } else {
      msg = "unknown " + kind_name + " type '" + type->value + "'";
      std::string near = config::nearest(type->value, names);
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      msg += " (supported: " + join(names) + ")";
    }
    diags.error(type->where, msg);
    return Outcome::kFailed;
  }
  config::ComponentEntries ce;
  ce.description = kind_name + " '" + name + "' (type " + out.plugin->name + ")";
  ce.key_prefix = key_prefix;
  ce.where = type->where;
  ce.entries = std::move(entries);
  out.options = out.plugin->configure(ce, diags);
  return Outcome::kBuilt;
}

void BuildState::drop(const Location& where, const std::string& what, const std::string& why) {
  diags.warning(where, what + " " + why + "; dropped, as Flume drops it");
  out.dropped.push_back(what);
}

void BuildState::check_batch(const ComponentConfig& comp, const std::string& ch,
                             const std::string& who) {
  const ComponentConfig* channel = nullptr;
  for (const auto& c : out.channels)
    if (c.name == ch) channel = &c;
  if (!comp.options || !comp.plugin->batch_size || !channel || !channel->options ||
      !channel->plugin->transaction_capacity)
    return;
  int64_t batch = comp.plugin->batch_size(comp.options.get());
  int64_t cap = channel->plugin->transaction_capacity(channel->options.get());
  if (batch > cap)
    diags.error(comp.where, who + ": " + comp.plugin->batch_key + " " + std::to_string(batch) +
                                " exceeds transactionCapacity " + std::to_string(cap) +
                                " of channel '" + ch + "'");
}

}  // namespace flumen::runtime::detail
