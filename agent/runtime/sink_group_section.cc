// Sink groups: their sinks and processor, with Flume 1.11's rules (FlumeConfiguration's
// validateGroups, SinkGroupConfiguration, SinkProcessorFactory). The processors' own rules are
// theirs (processors.cc).
#include <algorithm>

#include "agent/runtime/framework_keys.h"
#include "agent/runtime/raw_agent.h"

namespace flumen::runtime::detail {

using config::ComponentEntries;
using config::PropertyEntry;

namespace {

// Flume keeps the group's sinks that exist and are in no other group; `group_of_sink` records
// which group took each sink.
void collect_group_sinks(SinkGroupConfig& g, const PropertyEntry& sinks, const std::string& who,
                         std::map<std::string, std::string>& group_of_sink, BuildState& st) {
  g.where = sinks.where;
  for (const auto& s : config::split_words(sinks.value)) {
    bool built = std::any_of(st.out.sinks.begin(), st.out.sinks.end(),
                             [&](const SinkConfig& sc) { return sc.name == s; });
    if (!built) {
      st.diags.warning(sinks.where, who + " refers to sink '" + s +
                                        "', which is not a configured sink of " + st.agent +
                                        ".sinks (left out, as Flume leaves it out)");
      continue;
    }
    auto [pos, inserted] = group_of_sink.emplace(s, g.name);
    if (!inserted) {
      st.diags.warning(sinks.where, "sink '" + s + "' is in two sink groups: '" + pos->second +
                                        "' and '" + g.name + "' (left out of '" + g.name +
                                        "', as Flume leaves it out)");
      continue;
    }
    g.sinks.push_back(s);
  }
}

// The processor of a group with sinks: its type, its keys and its rules on the group.
void configure_processor(SinkGroupConfig& g, std::vector<PropertyEntry> proc_entries,
                         const std::string& prefix, const std::string& who, BuildState& st) {
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
    return;
  }
  const ProcessorDef* def = find_processor(ptype->value);
  if (!def) {
    st.diags.error(pe.where, who + ": unknown processor type '" + ptype->value +
                                 "' (supported: " + join(processor_names()) + ")");
    return;
  }
  g.processor = def->name;
  pe.description = who + " " + def->name + " processor";
  def->parse(g, pe, st.diags);
  def->check(g, who, pe.where, st.diags);
}

void check_grouped_workers(const std::map<std::string, std::string>& group_of_sink,
                           BuildState& st) {
  for (const auto& s : st.out.sinks)
    if (s.workers > 1 && group_of_sink.count(s.name))
      st.diags.error(s.workers_where, "sink '" + s.name + "' is in sink group '" +
                                          group_of_sink.at(s.name) +
                                          "': workers is for sinks outside groups (a group's "
                                          "processor sends each batch through one sink)");
}

}  // namespace

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
    collect_group_sinks(g, *sinks, who, group_of_sink, st);
    if (g.sinks.empty()) {
      st.drop(g.where, who, "has no sinks");
      continue;
    }
    configure_processor(g, fw.under("processor."), prefix, who, st);
    st.out.sink_groups.push_back(std::move(g));
  }
  check_grouped_workers(group_of_sink, st);
}

}  // namespace flumen::runtime::detail
