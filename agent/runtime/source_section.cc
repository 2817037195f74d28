// Sources: their channels, selector and interceptors, with Flume 1.11's rules
// (FlumeConfiguration.validateSources, SourceConfiguration, ChannelProcessor).
#include <algorithm>

#include "agent/runtime/framework_keys.h"
#include "agent/runtime/raw_agent.h"

namespace flumen::runtime::detail {

using config::ComponentEntries;
using config::Location;
using config::PropertyEntry;

namespace {

// The selector of one source. Flume's ChannelSelectorFactory fails the source on an unknown
// type, and its selectors fail it on a channel that is not the source's: both are errors.
void configure_selector(SourceConfig& src, std::vector<PropertyEntry> entries,
                        const std::string& prefix, const Location& fallback, BuildState& st) {
  const std::string who = "source '" + src.name + "'";
  auto sel_type = take(entries, "type");
  std::string type = sel_type ? config::to_lower(sel_type->value) : "replicating";
  const SelectorDef* def = find_selector(type);
  if (!def) {
    st.diags.error(sel_type->where, who + ": unknown selector type '" + sel_type->value +
                                        "' (supported: " + join(selector_names()) + ")");
    return;
  }
  src.selector.type = def->name;
  ComponentEntries sel;
  sel.key_prefix = prefix + "selector.";
  sel.where = sel_type ? sel_type->where : fallback;
  sel.description = who + " " + def->name + " selector";
  sel.entries = entries;
  def->parse(src.selector, sel, st.diags);
  for (const auto& e : entries) {
    if (!def->names_channels(e.key)) continue;
    for (const auto& ch : config::split_words(e.value))
      if (std::find(src.channels.begin(), src.channels.end(), ch) == src.channels.end())
        st.diags.error(e.where, who + ": selector names channel '" + ch +
                                    "', which is not one of the source's channels");
  }
}

// Interceptors in list order. Flume's ChannelProcessor fails the source for a listed
// interceptor without a type (an error here); one configured but not listed is never read.
void configure_interceptors(SourceConfig& src, const std::optional<PropertyEntry>& list,
                            const std::vector<PropertyEntry>& entries, const std::string& prefix,
                            BuildState& st) {
  const std::string who = "source '" + src.name + "'";
  std::vector<std::string> names =
      list ? config::split_words(list->value) : std::vector<std::string>{};
  for (const auto& iname : names) {
    std::vector<PropertyEntry> ie;
    for (const auto& e : entries) {
      if (e.key.size() > iname.size() + 1 && e.key.compare(0, iname.size() + 1, iname + ".") == 0) {
        PropertyEntry rel = e;
        rel.key = e.key.substr(iname.size() + 1);
        ie.push_back(std::move(rel));
      }
    }
    ComponentConfig ic;
    configure_component(ic, pipeline::PluginKind::kInterceptor, iname,
                        prefix + "interceptors." + iname + ".", std::move(ie), list->where, st.reg,
                        st.diags, /*type_required=*/true);
    src.interceptors.push_back(std::move(ic));
  }
  std::set<std::string> reported;
  for (const auto& e : entries) {
    std::string iname = e.key.substr(0, e.key.find('.'));
    if (std::find(names.begin(), names.end(), iname) != names.end()) continue;
    if (!reported.insert(iname).second) continue;
    std::string msg = who + ": interceptor '" + iname + "' is configured but not listed in " +
                      prefix + "interceptors";
    std::string near = config::nearest(iname, names);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    st.diags.warning(e.where, msg + " (ignored, as Flume ignores it)");
  }
}

// The channels a source puts into. Flume keeps the ones that exist and drops the source when
// none is left (warnings); false when the source was dropped.
bool resolve_channels(SourceConfig& src, const std::optional<PropertyEntry>& channels,
                      const Location& where, Outcome outcome, const std::string& prefix,
                      const std::string& who, BuildState& st) {
  if (!channels) {
    if (outcome == Outcome::kBuilt)
      st.drop(where, who, "has no channels (set " + prefix + "channels)");
    return false;
  }
  for (const auto& ch : config::split_words(channels->value)) {
    if (st.active_channels.count(ch)) {
      src.channels.push_back(ch);
      continue;
    }
    std::string msg = who + " refers to channel '" + ch + "', which is not a configured " +
                      "channel of " + st.agent + ".channels";
    std::string near = config::nearest(ch, {st.active_channels.begin(), st.active_channels.end()});
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    st.diags.warning(channels->where, msg + " (left out, as Flume leaves it out)");
  }
  if (src.channels.empty()) {
    if (outcome == Outcome::kBuilt) st.drop(channels->where, who, "has no channel left");
    return false;
  }
  return true;
}

}  // namespace

void build_sources(BuildState& st) {
  auto listed = st.raw.listed.find("sources");
  if (listed == st.raw.listed.end()) return;
  const auto& configured = st.raw.section("sources");
  for (const auto& name : listed->second) {
    const std::string who = "source '" + name + "'";
    auto it = configured.find(name);
    if (it == configured.end()) {
      st.drop(st.raw.list_where("sources"), who,
              "is listed in " + st.agent + ".sources but not configured");
      continue;
    }
    const std::string prefix = st.agent + ".sources." + name + ".";
    std::vector<PropertyEntry> entries = it->second.entries;
    SourceConfig src;
    src.fingerprint = fingerprint_of(entries);
    const FrameworkEntries fw = take_framework_keys(entries, "sources");
    const auto channels = fw.get("channels");
    Outcome outcome = configure_component(src, pipeline::PluginKind::kSource, name, prefix,
                                          std::move(entries), it->second.first, st.reg, st.diags);
    if (outcome == Outcome::kDropped) {
      st.out.dropped.push_back(who);
      continue;
    }
    const Location where = src.where.line ? src.where : it->second.first;
    if (!resolve_channels(src, channels, where, outcome, prefix, who, st)) continue;
    for (const auto& ch : src.channels) {
      st.used_channels.insert(ch);
      if (outcome == Outcome::kBuilt) st.check_batch(src, ch, who);
    }
    configure_selector(src, fw.under("selector."), prefix, it->second.first, st);
    configure_interceptors(src, fw.get("interceptors"), fw.under("interceptors."), prefix, st);
    if (outcome == Outcome::kBuilt) st.out.sources.push_back(std::move(src));
  }
}

}  // namespace flumen::runtime::detail
