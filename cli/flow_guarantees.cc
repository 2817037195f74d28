#include "cli/flow_guarantees.h"

#include <algorithm>

#include "plugins/channels/file/config.h"
#include "plugins/sinks/forward/config.h"
#include "plugins/sinks/kafka/config.h"

namespace flumen::cli {

namespace {

struct Part {
  Guarantee g;
  std::string why;
};

// What the source promises into a durable channel (a memory channel loses everything anyway).
Part source_part(const runtime::SourceConfig& s) {
  const std::string& t = s.plugin ? s.plugin->name : s.type;
  if (t == "taildir" || t == "spooldir" || t == "kafka") return {Guarantee::kExactlyOnce, ""};
  if (t == "forward")
    return {Guarantee::kExactlyOnce,
            "from flumen forward senders on durable channels; Avro RPC senders (Apache Flume) "
            "are at least once"};
  if (t == "netcat" || t == "http")
    return {Guarantee::kAtLeastOnce,
            t + " source: a client that got no answer before the kill sends again"};
  if (t == "seq") return {Guarantee::kAtLeastOnce, "seq source: counts again from 0 at start"};
  return {Guarantee::kMayLose,
          t + " source: what its senders or command had handed over but not yet committed is "
              "gone (no acknowledgement to resend on)"};
}

Part sink_part(const runtime::SinkConfig& k, const runtime::SinkGroupConfig* group) {
  const std::string& t = k.plugin ? k.plugin->name : k.type;
  if (k.workers > 1)
    return {Guarantee::kAtLeastOnce,
            "workers = " + std::to_string(k.workers) +
                ": after a kill a worker may resend another worker's take"};
  if (t == "file_roll" || t == "hdfs" || t == "null") return {Guarantee::kExactlyOnce, ""};
  if (t == "forward") {
    const auto* o = static_cast<const plugins::ForwardSinkOptions*>(k.options.get());
    if (o && o->protocol == "flume")
      return {Guarantee::kAtLeastOnce,
              "forward sink with protocol = flume: Avro RPC numbers "
              "no batch, a resent batch is put again"};
    if (group && group->processor != "default")
      return {Guarantee::kExactlyOnce,
              "while no member of sink group " + group->name +
                  " fails over: a take moved to another member after a failure is at least "
                  "once (EventInDoubtCount)"};
    return {Guarantee::kExactlyOnce, ""};
  }
  if (t == "kafka") {
    const auto* o = static_cast<const plugins::KafkaSinkOptions*>(k.options.get());
    const std::string acks = !o                          ? "all"
                             : o->producer.count("acks") ? o->producer.at("acks")
                             : !o->required_acks.empty() ? o->required_acks
                                                         : "all";
    if (o && !o->exactly_once)
      return {Guarantee::kAtLeastOnce,
              "kafka sink: records the broker acknowledged before the kill are sent again (the "
              "idempotent producer only covers retries within a run); exactlyOnce = true makes "
              "it exactly once for read_committed consumers"};
    if (acks != "all" && acks != "-1")
      return {Guarantee::kAtLeastOnce,
              "kafka sink with acks = " + acks + ": no transactions without acks = all"};
    return {Guarantee::kExactlyOnce,
            "kafka sink: for read_committed consumers, with a broker that has transactions (one "
            "without: at least once, said at start)"};
  }
  return {Guarantee::kAtLeastOnce, t + " sink: writes again what it wrote before the kill"};
}

}  // namespace

const char* guarantee_name(Guarantee g) {
  switch (g) {
    case Guarantee::kExactlyOnce:
      return "exactly once";
    case Guarantee::kAtLeastOnce:
      return "at least once";
    case Guarantee::kMayLose:
      return "may lose on kill";
  }
  return "?";
}

std::vector<FlowGuarantee> flow_guarantees(const runtime::AgentConfig& cfg) {
  std::vector<FlowGuarantee> out;
  auto group_of = [&](const std::string& sink) -> const runtime::SinkGroupConfig* {
    for (const auto& g : cfg.sink_groups)
      if (std::find(g.sinks.begin(), g.sinks.end(), sink) != g.sinks.end()) return &g;
    return nullptr;
  };
  // Takers side by side on a channel: its ungrouped sinks (each worker counts) and its groups.
  auto takers = [&](const std::string& channel) {
    int n = 0;
    std::vector<const runtime::SinkGroupConfig*> groups;
    for (const auto& k : cfg.sinks) {
      if (k.channel != channel) continue;
      const auto* g = group_of(k.name);
      if (!g) {
        n += std::max(1, k.workers);
      } else if (std::find(groups.begin(), groups.end(), g) == groups.end()) {
        groups.push_back(g);
        ++n;
      }
    }
    return n;
  };
  for (const auto& src : cfg.sources) {
    for (const auto& ch_name : src.channels) {
      auto ch = std::find_if(cfg.channels.begin(), cfg.channels.end(),
                             [&](const auto& c) { return c.name == ch_name; });
      const bool durable =
          ch != cfg.channels.end() && (ch->plugin ? ch->plugin->name : ch->type) == "file";
      bool any_sink = false;
      for (const auto& k : cfg.sinks) {
        if (k.channel != ch_name) continue;
        any_sink = true;
        FlowGuarantee f{src.name, ch_name, k.name, Guarantee::kExactlyOnce, ""};
        const auto* fo =
            durable ? static_cast<const plugins::FileChannelOptions*>(ch->options.get()) : nullptr;
        if (!durable) {
          f.guarantee = Guarantee::kMayLose;
          f.why = "channel " + ch_name + " is a memory channel: its events die with the agent";
        } else if (fo && !fo->exactly_once) {
          f.guarantee = std::max(Guarantee::kAtLeastOnce, source_part(src).g);
          f.why = "channel " + ch_name +
                  " has exactlyOnce = false: it keeps no positions or records with the events";
        } else {
          // The weaker of the two ends decides; both reasons are said when they are weaker.
          Part a = source_part(src), b = sink_part(k, group_of(k.name));
          // A file channel's head stays below the oldest open take: after a kill, a take that
          // committed above another taker's open one is delivered again.
          if (const int n = takers(ch_name); n > 1 && b.g == Guarantee::kExactlyOnce)
            b = {Guarantee::kAtLeastOnce,
                 "channel " + ch_name + " has " + std::to_string(n) +
                     " takers side by side (sinks or workers): a take committed while an "
                     "older one was open is delivered again after a kill"};
          f.guarantee = std::max(a.g, b.g);
          for (const Part* p : {&a, &b})
            if (!p->why.empty() && (p->g == f.guarantee || f.guarantee == Guarantee::kExactlyOnce))
              f.why += (f.why.empty() ? "" : "; ") + p->why;
        }
        out.push_back(std::move(f));
      }
      if (!any_sink)
        out.push_back({src.name, ch_name, "", durable ? source_part(src).g : Guarantee::kMayLose,
                       "no sink drains channel " + ch_name});
    }
  }
  return out;
}

}  // namespace flumen::cli
