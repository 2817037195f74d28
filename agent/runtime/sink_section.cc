// Sinks: their channel, workers and dead-letter channel, with Flume 1.11's rules
// (FlumeConfiguration.validateSinks, SinkConfiguration, AbstractConfigurationProvider). Sink
// groups are in sink_group_section.cc.
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

// The sink's one channel. Flume drops a sink without a channel, or with one that is not a
// configured channel (a warning each, as for every drop); false when the sink was dropped.
bool resolve_channel(SinkConfig& sink, const std::optional<PropertyEntry>& channel,
                     const std::optional<PropertyEntry>& plural, const Location& where,
                     Outcome outcome, const std::string& prefix, const std::string& who,
                     BuildState& st) {
  if (!channel) {
    if (outcome != Outcome::kBuilt) return false;
    if (plural)
      st.drop(plural->where, who, "has no channel: Flume reads " + prefix + "channel (singular)");
    else
      st.drop(where, who, "has no channel (set " + prefix + "channel)");
    return false;
  }
  if (!st.active_channels.count(channel->value)) {
    if (outcome != Outcome::kBuilt) return false;
    std::string why = "refers to channel '" + channel->value + "', which is not a configured " +
                      "channel of " + st.agent + ".channels";
    if (config::split_words(channel->value).size() > 1)
      why = "takes exactly one channel, got '" + channel->value + "'";
    std::string near =
        config::nearest(channel->value, {st.active_channels.begin(), st.active_channels.end()});
    if (!near.empty()) why += " (did you mean '" + near + "'?)";
    st.drop(channel->where, who, why);
    return false;
  }
  sink.channel = channel->value;
  st.used_channels.insert(sink.channel);
  return true;
}

// flumen's own key (Flume has no dead-letter channel): its problems are errors.
void read_dead_letter(SinkConfig& sink, const PropertyEntry& dead_letter, const std::string& who,
                      BuildState& st) {
  const auto words = config::split_words(dead_letter.value);
  if (words.size() != 1) {
    st.diags.error(dead_letter.where,
                   who + ": deadLetterChannel takes one channel, got '" + dead_letter.value + "'");
  } else if (words[0] == sink.channel) {
    st.diags.error(dead_letter.where,
                   who + ": deadLetterChannel must not be the sink's own channel '" + words[0] +
                       "' (a rejected event would come back to the sink that rejected it)");
  } else if (!st.active_channels.count(words[0])) {
    std::string msg = who + " refers to channel '" + words[0] +
                      "' (deadLetterChannel), which is not a configured channel of " + st.agent +
                      ".channels";
    std::string near =
        config::nearest(words[0], {st.active_channels.begin(), st.active_channels.end()});
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    st.diags.error(dead_letter.where, msg);
  } else {
    sink.dead_letter_channel = words[0];
    st.used_channels.insert(words[0]);
  }
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
    if (!resolve_channel(sink, channel, plural, where, outcome, prefix, who, st)) continue;
    if (dead_letter) read_dead_letter(sink, *dead_letter, who, st);
    if (outcome == Outcome::kBuilt) {
      st.check_batch(sink, sink.channel, who);
      st.out.sinks.push_back(std::move(sink));
    }
  }
}

}  // namespace flumen::runtime::detail
