// The channel selector types: one property table each, listed once in selector_defs().
#include <algorithm>

#include "agent/config/properties.h"
#include "agent/pipeline/channel_selector.h"
#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

using pipeline::Channel;
using pipeline::ChannelSelector;

namespace {

std::vector<Channel*> lookup_all(const std::vector<std::string>& names, const ChannelLookup& ch) {
  std::vector<Channel*> out;
  for (const auto& n : names)
    if (Channel* c = ch(n)) out.push_back(c);
  return out;
}

// Every channel of the source, in its order.
std::vector<Channel*> source_channels(const SourceConfig& src, const ChannelLookup& ch) {
  std::vector<Channel*> out;
  for (const auto& c : src.channels)
    out.push_back(ch(c));
  return out;
}

std::unique_ptr<ChannelSelector> make_replicating(const SourceConfig& src,
                                                  const ChannelLookup& ch) {
  std::vector<Channel*> required, optional;
  const auto& opt = src.selector.replicating.optional;
  for (const auto& c : src.channels)
    (std::find(opt.begin(), opt.end(), c) != opt.end() ? optional : required).push_back(ch(c));
  return std::make_unique<pipeline::ReplicatingSelector>(std::move(required), std::move(optional));
}

std::unique_ptr<ChannelSelector> make_multiplexing(const SourceConfig& src,
                                                   const ChannelLookup& ch) {
  const auto& mo = src.selector.multiplexing;
  std::map<std::string, pipeline::MultiplexingSelector::Rule> rules;
  for (const auto& [value, list] : mo.mapping)
    rules[value].required = lookup_all(config::split_words(list), ch);
  for (const auto& [value, list] : mo.optional)
    rules[value].optional = lookup_all(config::split_words(list), ch);
  return std::make_unique<pipeline::MultiplexingSelector>(
      mo.header, std::move(rules), lookup_all(mo.default_channels, ch), source_channels(src, ch));
}

std::unique_ptr<ChannelSelector> make_load_balancing(const SourceConfig& src,
                                                     const ChannelLookup& ch) {
  using Policy = pipeline::LoadBalancingSelector::Policy;
  return std::make_unique<pipeline::LoadBalancingSelector>(
      source_channels(src, ch),
      src.selector.load_balancing.policy == "random" ? Policy::kRandom : Policy::kRoundRobin);
}

}  // namespace

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

const config::PropertyTable<LoadBalancingSelectorOptions>& load_balancing_selector_table() {
  using T = LoadBalancingSelectorOptions;
  static const auto table = config::PropertyTable<T>().one_of(
      "policy", &T::policy, "round_robin", {"round_robin", "random"},
      "How each event's channel is picked among the source's channels.");
  return table;
}

const std::vector<SelectorDef>& selector_defs() {
  static const std::vector<SelectorDef> defs = {
      {"replicating",
       {"org.apache.flume.channel.replicatingchannelselector"},
       "Every event to every channel of the source (the default).",
       &replicating_selector_table(),
       [](SelectorConfig& s, const config::ComponentEntries& e, config::Diagnostics& d) {
         replicating_selector_table().parse(s.replicating, e, d);
       },
       [](const std::string& key) { return key == "optional"; },
       make_replicating},
      {"multiplexing",
       {"org.apache.flume.channel.multiplexingchannelselector"},
       "A header's value picks each event's channels.",
       &multiplexing_selector_table(),
       [](SelectorConfig& s, const config::ComponentEntries& e, config::Diagnostics& d) {
         multiplexing_selector_table().parse(s.multiplexing, e, d);
       },
       [](const std::string& key) { return key != "header"; },
       make_multiplexing},
      {"load_balancing",
       {"org.apache.flume.channel.loadbalancingchannelselector"},
       "Each event to one of the source's channels, in turn or at random (Flume 1.10+).",
       &load_balancing_selector_table(),
       [](SelectorConfig& s, const config::ComponentEntries& e, config::Diagnostics& d) {
         load_balancing_selector_table().parse(s.load_balancing, e, d);
       },
       [](const std::string&) { return false; },
       make_load_balancing},
  };
  return defs;
}

const SelectorDef* find_selector(const std::string& type) {
  const std::string t = config::to_lower(type);
  for (const auto& d : selector_defs()) {
    if (d.name == t) return &d;
    for (const auto& a : d.aliases)
      if (a == t) return &d;
  }
  return nullptr;
}

std::vector<std::string> selector_names() {
  std::vector<std::string> out;
  for (const auto& d : selector_defs())
    out.push_back(d.name);
  return out;
}

}  // namespace flumen::runtime
