#include "agent/runtime/framework_keys.h"

#include <cassert>

#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

namespace {

// The option structs only give the rows their types; nothing is parsed into them.
struct AgentKeys {
  std::vector<std::string> sources, channels, sinks, sinkgroups;
};
struct ChannelKeys {
  std::string type;
};
struct SourceKeys {
  std::string type, selector_type;
  std::vector<std::string> channels, interceptors;
  std::map<std::string, std::string> selector, interceptor_keys;
};
struct SinkKeys {
  std::string type, channel, dead_letter;
  int64_t workers = 1;
};
struct SinkGroupKeys {
  std::vector<std::string> sinks;
  std::string processor_type;
  std::map<std::string, std::string> processor;
};

const config::PropertyTable<AgentKeys>& agent_table() {
  using T = AgentKeys;
  static const auto table =
      config::PropertyTable<T>()
          .list("sources", &T::sources, "",
                "The sources to run (space-separated). A listed source without keys is "
                "dropped with a warning, as Flume drops it.")
          .list("channels", &T::channels, "", "The channels (at least one must be configured).")
          .required()
          .list("sinks", &T::sinks, "", "The sinks.")
          .list("sinkgroups", &T::sinkgroups, "", "The sink groups.");
  return table;
}

const config::PropertyTable<ChannelKeys>& channel_table() {
  using T = ChannelKeys;
  static const auto table = config::PropertyTable<T>()
                                .string("type", &T::type, "",
                                        "The channel type, or Flume's class "
                                        "name; a channel without one is "
                                        "dropped, as Flume drops it.")
                                .required();
  return table;
}

const config::PropertyTable<SourceKeys>& source_table() {
  using T = SourceKeys;
  static const auto table =
      config::PropertyTable<T>()
          .string("type", &T::type, "", "The source type, or Flume's class name.")
          .required()
          .list("channels", &T::channels, "",
                "Channels the source puts into; channels that do not exist are left out "
                "(warning), a source with none left is dropped.")
          .required()
          .string("selector.type", &T::selector_type, "replicating",
                  "replicating, multiplexing or load_balancing (or Flume's class name); its "
                  "keys are under selector. (the selector tables below).")
          .map("selector.", &T::selector, "The selector's own keys.")
          .list("interceptors", &T::interceptors, "",
                "Interceptor names, in chain order; each configured under "
                "interceptors.<name>. with a type.")
          .map("interceptors.", &T::interceptor_keys,
               "interceptors.<name>.type and the interceptor's own keys.");
  return table;
}

const config::PropertyTable<SinkKeys>& sink_table() {
  using T = SinkKeys;
  static const auto table =
      config::PropertyTable<T>()
          .string("type", &T::type, "", "The sink type, or Flume's class name.")
          .required()
          .string("channel", &T::channel, "",
                  "The one channel the sink drains (singular, as Flume reads it).")
          .required()
          .integer("workers", &T::workers, "1", 1, kMaxSinkWorkers,
                   "flumen: instances draining the channel side by side (network sinks outside "
                   "groups).")
          .string("deadLetterChannel", &T::dead_letter, "",
                  "flumen: the channel that receives the events this sink rejects for good, "
                  "with the reason as a header.");
  return table;
}

const config::PropertyTable<SinkGroupKeys>& sink_group_table() {
  using T = SinkGroupKeys;
  static const auto table =
      config::PropertyTable<T>()
          .list("sinks", &T::sinks, "", "The group's sinks; a sink in no group runs alone.")
          .required()
          .string("processor.type", &T::processor_type, "",
                  "default, failover or load_balance (or Flume's class name); Flume has no "
                  "default for it. Its keys are under processor. (the processor tables below).")
          .required()
          .map("processor.", &T::processor, "The processor's own keys.");
  return table;
}

bool is_prefix_row(const config::PropertyInfo& row) {
  return row.type == config::PropType::kMap;
}

// A key the table documents inside one of its own prefix rows (selector.type).
bool under_prefix_row(const config::PropertyTableBase& table, const std::string& key) {
  for (const auto& r : table.rows())
    if (is_prefix_row(r) && key.size() > r.key.size() && key.compare(0, r.key.size(), r.key) == 0)
      return true;
  return false;
}

}  // namespace

const std::vector<FrameworkScope>& framework_scopes() {
  static const std::vector<FrameworkScope> scopes = {
      {"", "agent (`<agent>.`)", &agent_table()},
      {"sources", "source (`<agent>.sources.<source>.`)", &source_table()},
      {"channels", "channel (`<agent>.channels.<channel>.`)", &channel_table()},
      {"sinks", "sink (`<agent>.sinks.<sink>.`)", &sink_table()},
      {"sinkgroups", "sink group (`<agent>.sinkgroups.<group>.`)", &sink_group_table()},
  };
  return scopes;
}

const config::PropertyTableBase* framework_table(const std::string& section) {
  for (const auto& s : framework_scopes())
    if (s.section == section) return s.table;
  return nullptr;
}

std::optional<config::PropertyEntry> FrameworkEntries::get(const std::string& key) const {
  auto it = keys.find(key);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

std::vector<config::PropertyEntry> FrameworkEntries::under(const std::string& prefix) const {
  auto it = prefixed.find(prefix);
  return it == prefixed.end() ? std::vector<config::PropertyEntry>{} : it->second;
}

FrameworkEntries take_framework_keys(std::vector<config::PropertyEntry>& entries,
                                     const std::string& section) {
  const config::PropertyTableBase* table = framework_table(section);
  assert(table && "a section without a framework table");
  FrameworkEntries out;
  for (const auto& row : table->rows()) {
    if (!is_prefix_row(row)) continue;
    std::vector<config::PropertyEntry>& dst = out.prefixed[row.key];
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->key.size() > row.key.size() && it->key.compare(0, row.key.size(), row.key) == 0) {
        config::PropertyEntry e = *it;
        e.key = e.key.substr(row.key.size());
        dst.push_back(std::move(e));
        it = entries.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& row : table->rows()) {
    if (is_prefix_row(row) || row.key == "type" || under_prefix_row(*table, row.key)) continue;
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->key == row.key) {
        out.keys.emplace(row.key, *it);
        entries.erase(it);
        break;
      }
    }
  }
  return out;
}

}  // namespace flumen::runtime
