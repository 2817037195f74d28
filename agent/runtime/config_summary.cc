#include "agent/runtime/config_summary.h"

#include <vector>

namespace flumen::runtime {

namespace {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

}  // namespace

std::string describe_pipeline(const AgentConfig& c) {
  std::vector<std::string> parts;
  for (const auto& s : c.sources) {
    std::string p = "source " + s.name + " (" + s.type;
    if (!s.interceptors.empty()) {
      std::vector<std::string> names;
      for (const auto& i : s.interceptors)
        names.push_back(i.name);
      p += ", interceptors " + joined(names, " ");
    }
    if (s.selector.type != "replicating") p += ", " + s.selector.type;
    p += ") -> " + joined(s.channels, " ");
    parts.push_back(std::move(p));
  }
  for (const auto& ch : c.channels)
    parts.push_back("channel " + ch.name + " (" + ch.type + ")");
  for (const auto& k : c.sinks) {
    std::string p = "sink " + k.name + " (" + k.type;
    if (k.workers > 1) p += ", " + std::to_string(k.workers) + " workers";
    parts.push_back(p + ") <- " + k.channel);
  }
  for (const auto& g : c.sink_groups)
    parts.push_back("sink group " + g.name + " (" + g.processor + ": " + joined(g.sinks, " ") +
                    ")");
  return joined(parts, "; ");
}

Fingerprints fingerprints_of(const AgentConfig& c) {
  Fingerprints out;
  for (const auto& s : c.sources) {
    std::string fp = s.fingerprint;
    for (const auto& i : s.interceptors)
      fp += "\n" + i.fingerprint;
    out["source " + s.name] = fp;
  }
  for (const auto& ch : c.channels)
    out["channel " + ch.name] = ch.fingerprint;
  for (const auto& k : c.sinks)
    out["sink " + k.name] = k.fingerprint + "\nchannel=" + k.channel;
  for (const auto& g : c.sink_groups)
    out["sink group " + g.name] = g.fingerprint;
  return out;
}

std::string describe_changes(const Fingerprints& before, const Fingerprints& after) {
  std::vector<std::string> changed, added, removed;
  size_t unchanged = 0;
  for (const auto& [name, fp] : after) {
    auto it = before.find(name);
    if (it == before.end())
      added.push_back(name);
    else if (it->second != fp)
      changed.push_back(name);
    else
      ++unchanged;
  }
  for (const auto& [name, fp] : before)
    if (!after.count(name)) removed.push_back(name);
  std::vector<std::string> parts;
  if (!changed.empty()) parts.push_back("changed: " + joined(changed, ", "));
  if (!added.empty()) parts.push_back("added: " + joined(added, ", "));
  if (!removed.empty()) parts.push_back("removed: " + joined(removed, ", "));
  if (parts.empty()) return "nothing changed";
  parts.push_back("unchanged: " + std::to_string(unchanged));
  return joined(parts, "; ");
}

}  // namespace flumen::runtime
