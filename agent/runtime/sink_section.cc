// Sinks and sink groups, with Flume 1.11's rules (FlumeConfiguration.validateSinks and
// validateGroups, SinkConfiguration, SinkGroupConfiguration, AbstractConfigurationProvider).
#include <algorithm>

#include "agent/runtime/framework_keys.h"
#include "agent/runtime/raw_agent.h"

namespace flumen::runtime::detail {

using config::ComponentEntries;
using config::Location;
using config::PropertyEntry;

namespace {

// `workers` is flumen's own key: its problems are errors.
void read_workers(SinkConfig& sink, const std::optional<PropertyEntry>& workers,
                  const std::string& prefix, BuildState& st) {
  if (!workers) return;
  sink.workers_where = workers->where;
  auto n = config::parse_int(workers->value);
  if (!n || *n < 1 || *n > kMaxSinkWorkers)
    st.diags.error(workers->where, prefix + "workers must be a whole number from 1 to " +
                                       std::to_string(kMaxSinkWorkers) + ", not '" +
                                       workers->value + "'");
  else
    sink.workers = static_cast<int>(*n);
}

}  // namespace

void build_sinks(BuildState& st) {
  auto listed = st.raw.listed.find("sinks");
  if (listed == st.raw.listed.end()) return;
  const auto& configured = st.raw.section("sinks");
  for (const auto& name : listed->second) {
    const std::string who = "sink '" + name + "'";
    auto it = configured.find(name);
    if (it == configured.end()) {
      std::string why = "is listed in " + st.agent + ".sinks but not configured";
      if (st.raw.is_listed("sinkgroups", name))
        why += " (it is a sink group: list groups in " + st.agent + ".sinkgroups only)";
      st.drop(st.raw.list_where("sinks"), who, why);
      continue;
    }
    const std::string prefix = st.agent + ".sinks." + name + ".";
    std::vector<PropertyEntry> entries = it->second.entries;
    SinkConfig sink;
    sink.fingerprint = fingerprint_of(entries);
    const FrameworkEntries fw = take_framework_keys(entries, "sinks");
    const auto channel = fw.get("channel");
    read_workers(sink, fw.get("workers"), prefix, st);
    // Flume's SinkConfiguration reads `channel` only; `channels` is an unknown key to it.
    auto plural = channel ? std::nullopt : take(entries, "channels");
    const auto dead_letter = fw.get("deadLetterChannel");
    Outcome outcome = configure_component(sink, pipeline::PluginKind::kSink, name, prefix,
                                          std::move(entries), it->second.first, st.reg, st.diags);
    if (outcome == Outcome::kDropped) {
      st.out.dropped.push_back(who);
      continue;
    }
    const Location where = sink.where.line ? sink.where : it->second.first;
    if (sink.workers > 1 && sink.plugin && !sink.plugin->allows_workers)
      st.diags.error(sink.workers_where, who + ": a " + sink.plugin->name +
                                             " sink runs one worker (several would share its "
                                             "files); workers is for network sinks");
    if (!channel) {
      if (outcome != Outcome::kBuilt) continue;
      if (plural)
        st.drop(plural->where, who, "has no channel: Flume reads " + prefix + "channel (singular)");
      else
        st.drop(where, who, "has no channel (set " + prefix + "channel)");
      continue;
    }
    if (!st.active_channels.count(channel->value)) {
      if (outcome != Outcome::kBuilt) continue;
      std::string why = "refers to channel '" + channel->value + "', which is not a configured " +
                        "channel of " + st.agent + ".channels";
      if (config::split_words(channel->value).size() > 1)
        why = "takes exactly one channel, got '" + channel->value + "'";
      std::string near =
          config::nearest(channel->value, {st.active_channels.begin(), st.active_channels.end()});
      if (!near.empty()) why += " (did you mean '" + near + "'?)";
      st.drop(channel->where, who, why);
      continue;
    }
    sink.channel = channel->value;
    st.used_channels.insert(sink.channel);
    // flumen's own key (Flume has no dead-letter channel): its problems are errors.
    if (dead_letter) {
      const auto words = config::split_words(dead_letter->value);
      if (words.size() != 1) {
        st.diags.error(dead_letter->where, who + ": deadLetterChannel takes one channel, got '" +
                                               dead_letter->value + "'");
      } else if (words[0] == sink.channel) {
        st.diags.error(dead_letter->where,
                       who + ": deadLetterChannel must not be the sink's own channel '" + words[0] +
                           "' (a rejected event would come back to the sink that rejected it)");
      } else if (!st.active_channels.count(words[0])) {
        std::string msg = who + " refers to channel '" + words[0] +
                          "' (deadLetterChannel), which is not a configured channel of " +
                          st.agent + ".channels";
        std::string near =
            config::nearest(words[0], {st.active_channels.begin(), st.active_channels.end()});
        if (!near.empty()) msg += "; did you mean '" + near + "'?";
        st.diags.error(dead_letter->where, msg);
      } else {
        sink.dead_letter_channel = words[0];
        st.used_channels.insert(words[0]);
      }
    }
    if (outcome == Outcome::kBuilt) {
      st.check_batch(sink, sink.channel, who);
      st.out.sinks.push_back(std::move(sink));
    }
  }
}

void build_sink_groups(BuildState& st) {
  auto listed = st.raw.listed.find("sinkgroups");
  if (listed == st.raw.listed.end()) return;
  const auto& configured = st.raw.section("sinkgroups");
  std::map<std::string, std::string> group_of_sink;
  for (const auto& name : listed->second) {
    const std::string who = "sink group '" + name + "'";
    auto it = configured.find(name);
    if (it == configured.end()) {
      st.drop(st.raw.list_where("sinkgroups"), who,
              "is listed in " + st.agent + ".sinkgroups but not configured");
      continue;
    }
    const std::string prefix = st.agent + ".sinkgroups." + name + ".";
    std::vector<PropertyEntry> entries = it->second.entries;
    SinkGroupConfig g;
    g.fingerprint = fingerprint_of(entries);
    g.name = name;
    g.where = it->second.first;
    const FrameworkEntries fw = take_framework_keys(entries, "sinkgroups");
    const auto sinks = fw.get("sinks");
    auto proc_entries = fw.under("processor.");
    for (const auto& e : entries)
      st.diags.warning(e.where, "unknown property '" + prefix + e.key + "' for " + who +
                                    " (a sink group has sinks and processor.*; ignored, as "
                                    "Flume ignores it)");
    // Flume's SinkGroupConfiguration splits the `sinks` value without checking it is there: a
    // group configured without it is a NullPointerException that FlumeConfiguration does not
    // catch, and Flume 1.11 exits (whichever agent of the file it was asked to run).
    if (!sinks) {
      st.diags.error(g.where, who + " has no sinks (set " + prefix +
                                  "sinks): Flume 1.11 exits on a sink group without them");
      continue;
    }
    // Flume keeps the group's sinks that exist and are in no other group.
    {
      g.where = sinks->where;
      for (const auto& s : config::split_words(sinks->value)) {
        bool built = std::any_of(st.out.sinks.begin(), st.out.sinks.end(),
                                 [&](const SinkConfig& sc) { return sc.name == s; });
        if (!built) {
          st.diags.warning(sinks->where, who + " refers to sink '" + s +
                                             "', which is not a configured sink of " + st.agent +
                                             ".sinks (left out, as Flume leaves it out)");
          continue;
        }
        auto [pos, inserted] = group_of_sink.emplace(s, name);
        if (!inserted) {
          st.diags.warning(sinks->where, "sink '" + s + "' is in two sink groups: '" + pos->second +
                                             "' and '" + name + "' (left out of '" + name +
                                             "', as Flume leaves it out)");
          continue;
        }
        g.sinks.push_back(s);
      }
    }
    if (g.sinks.empty()) {
      st.drop(g.where, who, "has no sinks");
      continue;
    }
    auto ptype = take(proc_entries, "type");
    ComponentEntries pe;
    pe.key_prefix = prefix + "processor.";
    pe.where = ptype ? ptype->where : g.where;
    pe.entries = proc_entries;
    // Flume's SinkGroupConfiguration reads processor.type with no default, and its
    // SinkProcessorFactory then fails on the null type: the provider removes the group (ERROR),
    // and its sinks with it. Flume's guide documents `default` as the default, so say both.
    if (!ptype) {
      st.diags.error(g.where, who +
                                  " has no processor.type: Flume 1.11 fails to build its "
                                  "processor and removes the group and its sinks (set "
                                  "processor.type = failover, load_balance or default)");
      st.out.sink_groups.push_back(std::move(g));
      continue;
    }
    const ProcessorDef* def = find_processor(ptype->value);
    if (!def) {
      st.diags.error(pe.where, who + ": unknown processor type '" + ptype->value +
                                   "' (supported: " + join(processor_names()) + ")");
      st.out.sink_groups.push_back(std::move(g));
      continue;
    }
    g.processor = def->name;
    pe.description = who + " " + def->name + " processor";
    def->parse(g, pe, st.diags);
    def->check(g, who, pe.where, st.diags);
    st.out.sink_groups.push_back(std::move(g));
  }
  for (const auto& s : st.out.sinks)
    if (s.workers > 1 && group_of_sink.count(s.name))
      st.diags.error(s.workers_where, "sink '" + s.name + "' is in sink group '" +
                                          group_of_sink.at(s.name) +
                                          "': workers is for sinks outside groups (a group's "
                                          "processor sends each batch through one sink)");
}

}  // namespace flumen::runtime::detail
