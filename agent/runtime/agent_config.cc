#include "agent/runtime/agent_config.h"

#include <algorithm>
#include <set>

namespace flumen::runtime {

using config::ComponentEntries;
using config::Diagnostics;
using config::Location;
using config::PropertyEntry;
using pipeline::PluginDef;
using pipeline::PluginKind;

const config::PropertyTable<ReplicatingOptions>& replicating_selector_table() {
  using T = ReplicatingOptions;
  static const auto table = config::PropertyTable<T>().list(
      "optional", &T::optional, "",
      "Channels whose put failures are counted but do not fail the source's put.");
  return table;
}

const config::PropertyTable<MultiplexingOptions>& multiplexing_selector_table() {
  using T = MultiplexingOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("header", &T::header, "flume.selector.header",
                  "Header whose value selects the channels.")
          .map("mapping.", &T::mapping, "mapping.<value> = channels for events with that value.")
          .map("optional.", &T::optional,
               "optional.<value> = optional channels for events with that value.")
          .list("default", &T::default_channels, "",
                "Channels for events whose value has no mapping.");
  return table;
}

const config::PropertyTable<FailoverOptions>& failover_processor_table() {
  using T = FailoverOptions;
  static const auto table =
      config::PropertyTable<T>()
          .map("priority.", &T::priority,
               "priority.<sink> = integer; the live sink with the highest priority is used.")
          .integer("maxpenalty", &T::max_penalty_ms, "30000", 0, 86'400'000,
                   "Longest back-off (ms) of a failed sink; doubles from 1 s per failure.");
  return table;
}

const config::PropertyTable<LoadBalanceOptions>& load_balance_processor_table() {
  using T = LoadBalanceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .one_of("selector", &T::selector, "round_robin", {"round_robin", "random"},
                  "Order in which sinks are tried for each batch.")
          .boolean("backoff", &T::backoff, "false",
                   "Skip a failed sink for an exponentially growing time.")
          .integer("selector.maxTimeOut", &T::max_timeout_ms, "30000", 0, 86'400'000,
                   "Longest back-off (ms) of a failed sink when backoff is on.");
  return table;
}

namespace {

// Keys of one listed or configured component, before interpretation.
struct RawComponent {
  std::vector<PropertyEntry> entries;  // relative keys
  Location first;                      // first key seen
};

struct RawAgent {
  std::map<std::string, PropertyEntry> lists;  // "sources", "channels", "sinks", "sinkgroups"
  std::map<std::string, std::map<std::string, RawComponent>> components;  // kind -> name -> keys
};

const std::vector<std::string> kSections = {"sources", "channels", "sinks", "sinkgroups",
                                            "configfilters"};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string singular(const std::string& section) {
  if (section == "sources") return "source";
  if (section == "channels") return "channel";
  if (section == "sinks") return "sink";
  if (section == "sinkgroups") return "sink group";
  return "config filter";
}

RawAgent collect(const config::PropertiesFile& props, const std::string& agent,
                 Diagnostics& diags) {
  RawAgent raw;
  const std::string prefix = agent + ".";
  for (const PropertyEntry& e : props.entries()) {
    if (e.key.compare(0, prefix.size(), prefix) != 0) continue;  // another agent's key
    std::string rest = e.key.substr(prefix.size());
    size_t dot = rest.find('.');
    std::string section = rest.substr(0, dot);
    if (std::find(kSections.begin(), kSections.end(), section) == kSections.end()) {
      std::string msg = "unknown agent property '" + e.key + "' (an agent has sources, channels, " +
                        "sinks, sinkgroups and configfilters)";
      std::string near = config::nearest(section, kSections);
      if (!near.empty()) msg += "; did you mean '" + prefix + near + "'?";
      diags.error(e.where, msg);
      continue;
    }
    if (dot == std::string::npos) {
      raw.lists[section] = e;
      continue;
    }
    std::string after = rest.substr(dot + 1);
    size_t dot2 = after.find('.');
    if (dot2 == std::string::npos || dot2 == 0 || dot2 + 1 == after.size()) {
      diags.error(e.where, "malformed key '" + e.key + "': expected " + prefix + section +
                               ".<name>.<property>");
      continue;
    }
    std::string name = after.substr(0, dot2);
    PropertyEntry rel = e;
    rel.key = after.substr(dot2 + 1);
    RawComponent& rc = raw.components[section][name];
    if (rc.entries.empty()) rc.first = e.where;
    rc.entries.push_back(std::move(rel));
  }
  return raw;
}

// Pulls out (and removes) the entry with exactly this key.
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

// Pulls out every entry under "prefix." with the prefix stripped.
std::vector<PropertyEntry> take_prefix(std::vector<PropertyEntry>& entries,
                                       const std::string& prefix) {
  std::vector<PropertyEntry> out;
  for (auto it = entries.begin(); it != entries.end();) {
    if (it->key.size() > prefix.size() && it->key.compare(0, prefix.size(), prefix) == 0) {
      PropertyEntry e = *it;
      e.key = e.key.substr(prefix.size());
      out.push_back(std::move(e));
      it = entries.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

// Resolves a `type` value to a plugin and parses the plugin's keys.
bool configure_component(ComponentConfig& out, PluginKind kind, const std::string& name,
                         const std::string& key_prefix, std::vector<PropertyEntry> entries,
                         const Location& fallback, const pipeline::Registry& reg,
                         Diagnostics& diags) {
  const char* kind_name = pipeline::plugin_kind_name(kind);
  out.name = name;
  auto type = take(entries, "type");
  if (!type || type->value.empty()) {
    diags.error(fallback, std::string(kind_name) + " '" + name + "' has no type (set " +
                              key_prefix + "type)");
    return false;
  }
  out.type = type->value;
  out.where = type->where;
  out.plugin = reg.find(kind, type->value);
  if (!out.plugin) {
    if (std::string why = reg.module_error(kind, type->value); !why.empty()) {
      diags.error(type->where,
                  std::string(kind_name) + " type '" + type->value + "' is unavailable: " + why);
      return false;
    }
    std::vector<std::string> names = reg.names(kind);
    std::string msg;
    if (type->value.find('.') != std::string::npos) {
      msg = "unknown " + std::string(kind_name) + " class '" + type->value +
            "': flumen runs no Java classes; supported " + kind_name + " types: " + join(names);
    } else {
      msg = "unknown " + std::string(kind_name) + " type '" + type->value + "'";
      std::string near = config::nearest(type->value, names);
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      msg += " (supported: " + join(names) + ")";
    }
    diags.error(type->where, msg);
    return false;
  }
  ComponentEntries ce;
  ce.description = std::string(kind_name) + " '" + name + "' (type " + out.plugin->name + ")";
  ce.key_prefix = key_prefix;
  ce.where = type->where;
  ce.entries = std::move(entries);
  out.options = out.plugin->configure(ce, diags);
  return out.options != nullptr;
}

std::string fingerprint_of(std::vector<PropertyEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const PropertyEntry& a, const PropertyEntry& b) { return a.key < b.key; });
  std::string out;
  for (const auto& e : entries)
    out += e.key + "=" + e.value + "\n";
  return out;
}

}  // namespace

std::optional<AgentConfig> build_agent_config(const config::PropertiesFile& props,
                                              const std::string& agent_name,
                                              const pipeline::Registry& reg, Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  RawAgent raw = collect(props, agent_name, diags);
  AgentConfig agent;
  agent.name = agent_name;

  if (raw.lists.empty() && raw.components.empty()) {
    std::set<std::string> agents;
    for (const auto& e : props.entries()) {
      size_t dot = e.key.find('.');
      if (dot != std::string::npos) agents.insert(e.key.substr(0, dot));
    }
    std::string file = props.entries().empty() ? "" : props.entries().front().where.file;
    diags.error({file, 0}, "no configuration for agent '" + agent_name + "'" +
                               (agents.empty() ? std::string(" (the file defines no agent)")
                                               : " (agents in this configuration: " +
                                                     join({agents.begin(), agents.end()}) + ")"));
    return std::nullopt;
  }

  // Listed names per section; a name listed twice is reported once.
  std::map<std::string, std::vector<std::string>> listed;
  for (const auto& section : {"sources", "channels", "sinks", "sinkgroups"}) {
    auto it = raw.lists.find(section);
    if (it == raw.lists.end()) continue;
    std::vector<std::string> names;
    for (const auto& n : config::split_words(it->second.value)) {
      if (std::find(names.begin(), names.end(), n) != names.end()) {
        diags.warning(it->second.where, singular(section) + " '" + n + "' is listed twice in " +
                                            agent_name + "." + section);
        continue;
      }
      names.push_back(n);
    }
    listed[section] = names;
  }
  if (raw.lists.count("configfilters") || raw.components.count("configfilters")) {
    const auto& where = raw.lists.count("configfilters")
                            ? raw.lists["configfilters"].where
                            : raw.components["configfilters"].begin()->second.first;
    diags.error(where, "config filters are not supported yet; use ${env:NAME} substitution");
  }
  if (listed["channels"].empty())
    diags.error(raw.lists.count("channels") ? raw.lists["channels"].where : Location{},
                "agent '" + agent_name + "' lists no channels (" + agent_name + ".channels)");

  // Configured but never listed: Flume ignores these silently; a typo in a list is a real bug.
  for (auto& [section, comps] : raw.components) {
    if (section == "configfilters") continue;
    for (auto& [name, rc] : comps) {
      const auto& names = listed[section];
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string msg = singular(section) + " '" + name + "' is configured but not listed in " +
                          agent_name + "." + section;
        std::string near = config::nearest(name, names);
        if (!near.empty()) msg += "; did you mean '" + near + "'?";
        diags.error(rc.first, msg);
      }
    }
  }
  auto list_where = [&](const std::string& section) {
    return raw.lists.count(section) ? raw.lists[section].where : Location{};
  };

  // Channels.
  std::map<std::string, const ComponentConfig*> channel_by_name;
  for (const auto& name : listed["channels"]) {
    auto it = raw.components["channels"].find(name);
    if (it == raw.components["channels"].end()) {
      diags.error(list_where("channels"), "channel '" + name + "' is listed but not configured");
      continue;
    }
    ComponentConfig c;
    c.fingerprint = fingerprint_of(it->second.entries);
    configure_component(c, PluginKind::kChannel, name, agent_name + ".channels." + name + ".",
                        it->second.entries, it->second.first, reg, diags);
    agent.channels.push_back(std::move(c));
  }
  for (const auto& c : agent.channels)
    channel_by_name[c.name] = &c;
  std::set<std::string> used_channels;

  auto check_channel_ref = [&](const std::string& ch, const Location& where,
                               const std::string& who) -> bool {
    if (std::find(listed["channels"].begin(), listed["channels"].end(), ch) !=
        listed["channels"].end()) {
      used_channels.insert(ch);
      return true;
    }
    std::string msg =
        who + " refers to channel '" + ch + "', which is not in " + agent_name + ".channels";
    std::string near = config::nearest(ch, listed["channels"]);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    diags.error(where, msg);
    return false;
  };
  // batchSize above transactionCapacity: Flume drops the component at startup; we refuse.
  auto check_batch = [&](const ComponentConfig& comp, const std::string& ch,
                         const std::string& who) {
    auto cit = channel_by_name.find(ch);
    if (!comp.options || !comp.plugin->batch_size || cit == channel_by_name.end() ||
        !cit->second->options || !cit->second->plugin->transaction_capacity)
      return;
    int64_t batch = comp.plugin->batch_size(comp.options.get());
    int64_t cap = cit->second->plugin->transaction_capacity(cit->second->options.get());
    if (batch > cap)
      diags.error(comp.where, who + ": " + comp.plugin->batch_key + " " + std::to_string(batch) +
                                  " exceeds transactionCapacity " + std::to_string(cap) +
                                  " of channel '" + ch + "'");
  };

  // Sources.
  for (const auto& name : listed["sources"]) {
    auto it = raw.components["sources"].find(name);
    if (it == raw.components["sources"].end()) {
      diags.error(list_where("sources"), "source '" + name + "' is listed but not configured");
      continue;
    }
    const std::string prefix = agent_name + ".sources." + name + ".";
    std::vector<PropertyEntry> entries = it->second.entries;
    SourceConfig src;
    src.fingerprint = fingerprint_of(entries);
    auto channels = take(entries, "channels");
    auto selector_entries = take_prefix(entries, "selector.");
    auto interceptor_list = take(entries, "interceptors");
    auto interceptor_entries = take_prefix(entries, "interceptors.");
    configure_component(src, PluginKind::kSource, name, prefix, std::move(entries),
                        it->second.first, reg, diags);
    const std::string who = "source '" + name + "'";
    if (!channels || config::split_words(channels->value).empty()) {
      diags.error(src.where.line ? src.where : it->second.first,
                  who + " has no channels (set " + prefix + "channels)");
    } else {
      src.channels = config::split_words(channels->value);
      for (const auto& ch : src.channels)
        if (check_channel_ref(ch, channels->where, who)) check_batch(src, ch, who);
    }
    // Selector.
    auto sel_type = take(selector_entries, "type");
    if (sel_type) src.selector.type = config::to_lower(sel_type->value);
    ComponentEntries sel;
    sel.key_prefix = prefix + "selector.";
    sel.where = sel_type ? sel_type->where : it->second.first;
    sel.entries = selector_entries;
    auto check_sel_channels = [&](const std::string& list, const Location& where) {
      for (const auto& ch : config::split_words(list)) {
        if (std::find(src.channels.begin(), src.channels.end(), ch) == src.channels.end())
          diags.error(where, who + ": selector names channel '" + ch +
                                 "', which is not one of the source's channels");
      }
    };
    if (src.selector.type == "replicating" ||
        src.selector.type == "org.apache.flume.channel.replicatingchannelselector") {
      src.selector.type = "replicating";
      sel.description = who + " replicating selector";
      replicating_selector_table().parse(src.selector.replicating, sel, diags);
      for (const auto& e : sel.entries)
        if (e.key == "optional") check_sel_channels(e.value, e.where);
    } else if (src.selector.type == "multiplexing" ||
               src.selector.type == "org.apache.flume.channel.multiplexingchannelselector") {
      src.selector.type = "multiplexing";
      sel.description = who + " multiplexing selector";
      multiplexing_selector_table().parse(src.selector.multiplexing, sel, diags);
      for (const auto& e : sel.entries)
        if (e.key != "header") check_sel_channels(e.value, e.where);
    } else {
      diags.error(sel_type->where, who + ": unknown selector type '" + sel_type->value +
                                       "' (supported: replicating, multiplexing)");
    }
    // Interceptors, in list order.
    if (interceptor_list) {
      for (const auto& iname : config::split_words(interceptor_list->value)) {
        std::vector<PropertyEntry> ie;
        for (const auto& e : interceptor_entries) {
          if (e.key.size() > iname.size() + 1 &&
              e.key.compare(0, iname.size() + 1, iname + ".") == 0) {
            PropertyEntry rel = e;
            rel.key = e.key.substr(iname.size() + 1);
            ie.push_back(std::move(rel));
          }
        }
        ComponentConfig ic;
        configure_component(ic, PluginKind::kInterceptor, iname,
                            prefix + "interceptors." + iname + ".", std::move(ie),
                            interceptor_list->where, reg, diags);
        src.interceptors.push_back(std::move(ic));
      }
    }
    for (const auto& e : interceptor_entries) {
      std::string iname = e.key.substr(0, e.key.find('.'));
      std::vector<std::string> names = interceptor_list
                                           ? config::split_words(interceptor_list->value)
                                           : std::vector<std::string>{};
      if (std::find(names.begin(), names.end(), iname) == names.end())
        diags.error(e.where, who + ": interceptor '" + iname +
                                 "' is configured but not listed in " + prefix + "interceptors");
    }
    agent.sources.push_back(std::move(src));
  }

  // Sinks.
  for (const auto& name : listed["sinks"]) {
    auto it = raw.components["sinks"].find(name);
    if (it == raw.components["sinks"].end()) {
      diags.error(list_where("sinks"), "sink '" + name + "' is listed but not configured");
      continue;
    }
    const std::string prefix = agent_name + ".sinks." + name + ".";
    std::vector<PropertyEntry> entries = it->second.entries;
    SinkConfig sink;
    sink.fingerprint = fingerprint_of(entries);
    auto channel = take(entries, "channel");
    if (auto workers = take(entries, "workers")) {
      sink.workers_where = workers->where;
      auto n = config::parse_int(workers->value);
      if (!n || *n < 1 || *n > kMaxSinkWorkers)
        diags.error(workers->where, prefix + "workers must be a whole number from 1 to " +
                                        std::to_string(kMaxSinkWorkers) + ", not '" +
                                        workers->value + "'");
      else
        sink.workers = static_cast<int>(*n);
    }
    if (auto plural = take(entries, "channels")) {
      diags.error(plural->where, "sink '" + name + "' takes exactly one channel: use " + prefix +
                                     "channel (singular)");
      if (!channel) channel = plural;
    }
    auto dead_letter = take(entries, "deadLetterChannel");
    configure_component(sink, PluginKind::kSink, name, prefix, std::move(entries), it->second.first,
                        reg, diags);
    const std::string who = "sink '" + name + "'";
    if (sink.workers > 1 && sink.plugin && !sink.plugin->allows_workers)
      diags.error(sink.workers_where, who + ": a " + sink.plugin->name +
                                          " sink runs one worker (several would share its "
                                          "files); workers is for network sinks");
    if (!channel || channel->value.empty()) {
      diags.error(sink.where.line ? sink.where : it->second.first,
                  who + " has no channel (set " + prefix + "channel)");
    } else if (config::split_words(channel->value).size() != 1) {
      diags.error(channel->where, who + " takes exactly one channel, got '" + channel->value + "'");
    } else {
      sink.channel = channel->value;
      if (check_channel_ref(sink.channel, channel->where, who))
        check_batch(sink, sink.channel, who);
    }
    if (dead_letter) {
      const auto words = config::split_words(dead_letter->value);
      if (words.size() != 1) {
        diags.error(dead_letter->where, who + ": deadLetterChannel takes one channel, got '" +
                                            dead_letter->value + "'");
      } else if (words[0] == sink.channel) {
        diags.error(dead_letter->where,
                    who + ": deadLetterChannel must not be the sink's own channel '" + words[0] +
                        "' (a rejected event would come back to the sink that rejected it)");
      } else if (check_channel_ref(words[0], dead_letter->where, who)) {
        sink.dead_letter_channel = words[0];
      }
    }
    agent.sinks.push_back(std::move(sink));
  }

  // Sink groups.
  std::map<std::string, std::string> group_of_sink;
  for (const auto& name : listed["sinkgroups"]) {
    auto it = raw.components["sinkgroups"].find(name);
    if (it == raw.components["sinkgroups"].end()) {
      diags.error(list_where("sinkgroups"),
                  "sink group '" + name + "' is listed but not configured");
      continue;
    }
    const std::string prefix = agent_name + ".sinkgroups." + name + ".";
    const std::string who = "sink group '" + name + "'";
    std::vector<PropertyEntry> entries = it->second.entries;
    SinkGroupConfig g;
    g.fingerprint = fingerprint_of(entries);
    g.name = name;
    g.where = it->second.first;
    auto sinks = take(entries, "sinks");
    auto proc_entries = take_prefix(entries, "processor.");
    for (const auto& e : entries)
      diags.error(e.where, "unknown property '" + prefix + e.key + "' for " + who +
                               " (a sink group has sinks and processor.*)");
    if (!sinks || config::split_words(sinks->value).empty()) {
      diags.error(g.where, who + " has no sinks (set " + prefix + "sinks)");
    } else {
      g.where = sinks->where;
      g.sinks = config::split_words(sinks->value);
      for (const auto& s : g.sinks) {
        if (std::find(listed["sinks"].begin(), listed["sinks"].end(), s) == listed["sinks"].end()) {
          diags.error(sinks->where, who + " refers to sink '" + s + "', which is not in " +
                                        agent_name + ".sinks");
          continue;
        }
        auto [pos, inserted] = group_of_sink.emplace(s, name);
        if (!inserted)
          diags.error(sinks->where, "sink '" + s + "' is in two sink groups: '" + pos->second +
                                        "' and '" + name + "'");
      }
    }
    auto ptype = take(proc_entries, "type");
    ComponentEntries pe;
    pe.key_prefix = prefix + "processor.";
    pe.where = ptype ? ptype->where : g.where;
    pe.entries = proc_entries;
    std::string type = ptype ? config::to_lower(ptype->value) : "default";
    if (type == "default" || type == "org.apache.flume.sink.defaultsinkprocessor") {
      g.processor = "default";
      for (const auto& e : proc_entries)
        diags.error(e.where, "unknown property '" + prefix + "processor." + e.key +
                                 "' for the default processor (it has none)");
      if (g.sinks.size() > 1)
        diags.error(pe.where, who +
                                  ": the default processor drives one sink; use failover or "
                                  "load_balance for " +
                                  std::to_string(g.sinks.size()));
    } else if (type == "failover" || type == "org.apache.flume.sink.failoversinkprocessor") {
      g.processor = "failover";
      pe.description = who + " failover processor";
      failover_processor_table().parse(g.failover, pe, diags);
      // Flume gives unset priorities -1, -2, ... in list order and silently drops a sink whose
      // priority duplicates another's; we reject duplicates instead.
      std::map<int64_t, std::string> by_priority;
      int64_t next_default = -1;
      for (const auto& s : g.sinks) {
        int64_t p;
        auto pit = g.failover.priority.find(s);
        if (pit == g.failover.priority.end()) {
          p = next_default--;
        } else if (auto v = config::parse_int(pit->second)) {
          p = *v;
        } else {
          diags.error(pe.where, who + ": priority of sink '" + s + "' must be an integer, got '" +
                                    pit->second + "'");
          continue;
        }
        auto [bp, fresh] = by_priority.emplace(p, s);
        if (!fresh)
          diags.error(pe.where, who + ": sinks '" + bp->second + "' and '" + s +
                                    "' have the same priority " + std::to_string(p) +
                                    " (Flume would silently drop one)");
        g.priorities[s] = p;
      }
      for (const auto& [s, v] : g.failover.priority)
        if (std::find(g.sinks.begin(), g.sinks.end(), s) == g.sinks.end())
          diags.error(pe.where,
                      who + ": priority set for sink '" + s + "', which is not in the group");
    } else if (type == "load_balance" ||
               type == "org.apache.flume.sink.loadbalancingsinkprocessor") {
      g.processor = "load_balance";
      pe.description = who + " load_balance processor";
      load_balance_processor_table().parse(g.load_balance, pe, diags);
      if (g.sinks.size() < 2)
        diags.error(pe.where, who + ": load_balance needs at least two sinks");
    } else {
      diags.error(pe.where, who + ": unknown processor type '" + (ptype ? ptype->value : "") +
                                "' (supported: default, failover, load_balance)");
    }
    agent.sink_groups.push_back(std::move(g));
  }
  for (const auto& s : agent.sinks)
    if (s.workers > 1 && group_of_sink.count(s.name))
      diags.error(s.workers_where, "sink '" + s.name + "' is in sink group '" +
                                       group_of_sink.at(s.name) +
                                       "': workers is for sinks outside groups (a group's "
                                       "processor sends each batch through one sink)");

  for (const auto& c : agent.channels)
    if (!used_channels.count(c.name))
      diags.warning(c.where, "channel '" + c.name + "' is used by no source and no sink");
  if (listed["sources"].empty() && listed["sinks"].empty())
    diags.error(list_where("channels"), "agent '" + agent_name + "' has no sources and no sinks");

  if (diags.error_count() != errors_before) return std::nullopt;
  return agent;
}

}  // namespace flumen::runtime
