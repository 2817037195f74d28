#include "agent/runtime/agent_config.h"

#include <algorithm>
#include <set>

#include "agent/runtime/raw_agent.h"

namespace flumen::runtime {

using config::Diagnostics;
using config::Location;
using config::PropertyEntry;
using detail::BuildState;
using detail::Outcome;

namespace {

void report_missing_agent(const config::PropertiesFile& props, const std::string& agent_name,
                          Diagnostics& diags) {
  std::set<std::string> agents;
  for (const auto& e : props.entries()) {
    size_t dot = e.key.find('.');
    if (dot != std::string::npos) agents.insert(e.key.substr(0, dot));
  }
  std::string file = props.entries().empty() ? "" : props.entries().front().where.file;
  diags.error({file, 0},
              "no configuration for agent '" + agent_name + "'" +
                  (agents.empty() ? std::string(" (the file defines no agent)")
                                  : " (agents in this configuration: " +
                                        detail::join({agents.begin(), agents.end()}) + ")"));
}

// Configured but never listed: Flume never reads these keys.
void report_unlisted(const detail::RawAgent& raw, const std::string& agent_name,
                     Diagnostics& diags) {
  for (const auto& [section, comps] : raw.components) {
    if (section == "configfilters") continue;
    auto lit = raw.listed.find(section);
    const std::vector<std::string> names =
        lit == raw.listed.end() ? std::vector<std::string>{} : lit->second;
    for (const auto& [name, rc] : comps) {
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      std::string msg = detail::singular(section) + " '" + name +
                        "' is configured but not listed in " + agent_name + "." + section;
      std::string near = config::nearest(name, names);
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      diags.warning(rc.first, msg + " (ignored, as Flume ignores it)");
    }
  }
}

// FlumeConfiguration validates every agent of the file before Flume runs the one -n names, and
// an exception there other than the ConfigurationException it catches stops Flume, whichever
// agent it was to run. The one a conf without Java classes reaches: a sink group listed and
// configured without `sinks` (SinkGroupConfiguration splits a null), in an agent with a channel
// that has a type (validateGroups runs only after validateChannels kept one).
void report_other_agents_stopping_flume(const config::PropertiesFile& props,
                                        const std::string& agent_name, Diagnostics& diags) {
  std::set<std::string> agents;
  for (const auto& e : props.entries()) {
    size_t dot = e.key.find('.');
    if (dot != std::string::npos) agents.insert(e.key.substr(0, dot));
  }
  auto has_key = [](const detail::RawComponent& rc, const std::string& key) {
    return std::any_of(rc.entries.begin(), rc.entries.end(),
                       [&](const PropertyEntry& e) { return e.key == key; });
  };
  for (const auto& other : agents) {
    if (other == agent_name) continue;
    Diagnostics scratch;  // the other agent's own findings are reported when it is checked
    detail::RawAgent raw = detail::collect(props, other, scratch);
    const auto& channels = raw.section("channels");
    bool typed_channel = false;
    for (const auto& name : raw.listed["channels"]) {
      auto it = channels.find(name);
      if (it != channels.end() && has_key(it->second, "type")) typed_channel = true;
    }
    if (!typed_channel) continue;
    const auto& groups = raw.section("sinkgroups");
    for (const auto& name : raw.listed["sinkgroups"]) {
      auto it = groups.find(name);
      if (it == groups.end() || has_key(it->second, "sinks")) continue;
      diags.warning(it->second.first, "agent '" + other + "' has sink group '" + name +
                                          "' without sinks: Flume 1.11 exits on this file "
                                          "whichever agent it runs (flumen runs '" +
                                          agent_name + "')");
    }
  }
}

void build_channels(BuildState& st) {
  auto listed = st.raw.listed.find("channels");
  if (listed == st.raw.listed.end()) return;
  const auto& configured = st.raw.section("channels");
  for (const auto& name : listed->second) {
    const std::string who = "channel '" + name + "'";
    auto it = configured.find(name);
    if (it == configured.end()) {
      st.drop(st.raw.list_where("channels"), who,
              "is listed in " + st.agent + ".channels but not configured");
      continue;
    }
    ComponentConfig c;
    c.fingerprint = detail::fingerprint_of(it->second.entries);
    Outcome outcome = detail::configure_component(
        c, pipeline::PluginKind::kChannel, name, st.agent + ".channels." + name + ".",
        it->second.entries, it->second.first, st.reg, st.diags);
    if (outcome == Outcome::kDropped) {
      st.out.dropped.push_back(who);
      continue;
    }
    // A channel of an unknown type stays in the active set, so that its users are not also
    // reported as dangling: the type error is the one problem.
    st.active_channels.insert(name);
    if (outcome == Outcome::kBuilt) st.out.channels.push_back(std::move(c));
  }
}

void report_config_filters(detail::RawAgent& raw, Diagnostics& diags) {
  if (!raw.lists.count("configfilters") && !raw.components.count("configfilters")) return;
  const auto& where = raw.lists.count("configfilters")
                          ? raw.lists["configfilters"].where
                          : raw.components["configfilters"].begin()->second.first;
  diags.error(where, "config filters are not supported yet; use ${env:NAME} substitution");
}

void check_channels_left(BuildState& st) {
  const auto listed = st.raw.listed.find("channels");
  if (listed == st.raw.listed.end() || listed->second.empty())
    st.diags.error(st.raw.list_where("channels"),
                   "agent '" + st.agent + "' lists no channels (" + st.agent + ".channels)");
  else if (st.active_channels.empty())
    st.diags.error(st.raw.list_where("channels"),
                   "agent '" + st.agent + "' has no configured channel: Flume would run nothing");
}

// A channel no source or sink uses: Flume's provider removes it.
void drop_unused_channels(BuildState& st) {
  auto& channels = st.out.channels;
  for (auto it = channels.begin(); it != channels.end();) {
    if (st.used_channels.count(it->name)) {
      ++it;
      continue;
    }
    st.drop(it->where, "channel '" + it->name + "'", "is used by no source and no sink");
    it = channels.erase(it);
  }
}

// Reported only when nothing else was: it is what every other error leads to.
void check_runs_something(BuildState& st) {
  if (!st.active_channels.empty() && st.out.sources.empty() && st.out.sinks.empty())
    st.diags.error(st.raw.list_where("channels"), "agent '" + st.agent +
                                                      "' has no sources and no sinks: Flume would "
                                                      "run nothing");
}

}  // namespace

std::optional<AgentConfig> build_agent_config(const config::PropertiesFile& props,
                                              const std::string& agent_name,
                                              const pipeline::Registry& reg, Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  detail::RawAgent raw = detail::collect(props, agent_name, diags);
  AgentConfig agent;
  agent.name = agent_name;

  if (raw.lists.empty() && raw.components.empty()) {
    report_missing_agent(props, agent_name, diags);
    return std::nullopt;
  }
  report_config_filters(raw, diags);
  report_unlisted(raw, agent_name, diags);
  report_other_agents_stopping_flume(props, agent_name, diags);

  BuildState st{agent_name, raw, reg, diags, agent, {}, {}};
  // Flume's order: channels, then sources and sinks against the channels that survived, then
  // groups against the sinks that survived.
  build_channels(st);
  check_channels_left(st);
  detail::build_sources(st);
  detail::build_sinks(st);
  detail::build_sink_groups(st);

  drop_unused_channels(st);
  if (diags.error_count() == errors_before) check_runs_something(st);

  if (diags.error_count() != errors_before) return std::nullopt;
  return agent;
}

}  // namespace flumen::runtime
