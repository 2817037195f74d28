#include "agent/runtime/topology.h"

#include <algorithm>
#include <map>
#include <set>

#include "agent/config/property_table.h"

namespace flumen::runtime {

namespace {

std::string safe_id(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out;
}

class Builder {
 public:
  explicit Builder(std::string agent) { t_.agent = std::move(agent); }

  std::string node(const std::string& kind, const std::string& name, const std::string& type,
                   const std::string& metrics_key) {
    std::string id = safe_id(t_.agent) + "_" + kind + "_" + safe_id(name);
    while (ids_.count(id))
      id += "_";  // "a-b" and "a_b" are different components
    ids_.insert(id);
    t_.nodes.push_back({id, kind, name, type, metrics_key});
    return id;
  }
  // A second route between the same two nodes joins the first one's label ("drive, default").
  void edge(const std::string& from, const std::string& to, std::string label = "") {
    for (auto& e : t_.edges) {
      if (e.from != from || e.to != to) continue;
      if (!label.empty()) e.label += (e.label.empty() ? "" : ", ") + label;
      return;
    }
    t_.edges.push_back({from, to, std::move(label)});
  }
  // Nodes in the order data flows, which is also the order of the pictures' columns.
  Topology done() {
    auto rank = [](const std::string& kind) {
      for (int i = 0;
           const char* k : {"source", "interceptor", "selector", "channel", "sinkgroup"}) {
        if (kind == k) return i;
        ++i;
      }
      return 5;
    };
    std::stable_sort(t_.nodes.begin(), t_.nodes.end(),
                     [&](const auto& a, const auto& b) { return rank(a.kind) < rank(b.kind); });
    return std::move(t_);
  }

 private:
  Topology t_;
  std::set<std::string> ids_;
};

}  // namespace

Topology topology_of(const AgentConfig& c) {
  Builder b(c.name);
  std::map<std::string, std::string> channel_id;
  for (const auto& ch : c.channels)
    channel_id[ch.name] = b.node("channel", ch.name, ch.type, "CHANNEL." + ch.name);
  auto to_channels = [&](const std::string& from, const std::vector<std::string>& names,
                         const std::string& label) {
    for (const auto& n : names)
      if (auto it = channel_id.find(n); it != channel_id.end()) b.edge(from, it->second, label);
  };

  for (const auto& s : c.sources) {
    std::string last = b.node("source", s.name, s.type, "SOURCE." + s.name);
    for (const auto& i : s.interceptors) {
      std::string id = b.node("interceptor", s.name + "." + i.name, i.type, "");
      b.edge(last, id);
      last = id;
    }
    const SelectorConfig& sel = s.selector;
    if (sel.type == "multiplexing") {
      std::string id = b.node("selector", s.name, "multiplexing " + sel.multiplexing.header, "");
      b.edge(last, id);
      for (const auto& [value, list] : sel.multiplexing.mapping)
        to_channels(id, config::split_words(list), value);
      for (const auto& [value, list] : sel.multiplexing.optional)
        to_channels(id, config::split_words(list), value + "?");
      to_channels(id, sel.multiplexing.default_channels, "default");
    } else if (!sel.replicating.optional.empty()) {
      std::string id = b.node("selector", s.name, "replicating", "");
      b.edge(last, id);
      std::set<std::string> optional(sel.replicating.optional.begin(),
                                     sel.replicating.optional.end());
      for (const auto& ch : s.channels)
        to_channels(id, {ch}, optional.count(ch) ? "optional" : "");
    } else {
      to_channels(last, s.channels, "");
    }
  }

  std::map<std::string, const SinkGroupConfig*> group_of;
  for (const auto& g : c.sink_groups)
    for (const auto& s : g.sinks)
      group_of[s] = &g;
  std::map<std::string, std::string> sink_id;
  for (const auto& k : c.sinks) {
    std::string type = k.type;
    if (k.workers > 1) type += " x" + std::to_string(k.workers);
    sink_id[k.name] = b.node("sink", k.name, type, "SINK." + k.name);
  }
  for (const auto& g : c.sink_groups) {
    std::string gid = b.node("sinkgroup", g.name, g.processor, "SINKGROUP." + g.name);
    std::set<std::string> linked;  // one channel edge per channel into the group
    for (const auto& s : g.sinks) {
      for (const auto& k : c.sinks)
        if (k.name == s && channel_id.count(k.channel) && linked.insert(k.channel).second)
          b.edge(channel_id[k.channel], gid);
      auto p = g.priorities.find(s);
      std::string label = g.processor == "failover" && p != g.priorities.end()
                              ? "priority " + std::to_string(p->second)
                              : "";
      if (sink_id.count(s)) b.edge(gid, sink_id[s], label);
    }
  }
  for (const auto& k : c.sinks)
    if (!group_of.count(k.name) && channel_id.count(k.channel))
      b.edge(channel_id[k.channel], sink_id[k.name]);
  return b.done();
}

namespace {

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* dot_shape(const std::string& kind) {
  if (kind == "source") return "box, style=\"rounded,filled\", fillcolor=\"#dbeafe\"";
  if (kind == "interceptor") return "box, style=dashed";
  if (kind == "selector") return "diamond";
  if (kind == "channel") return "cylinder, style=filled, fillcolor=\"#fef3c7\"";
  if (kind == "sinkgroup") return "hexagon";
  return "box, style=filled, fillcolor=\"#dcfce7\"";
}

std::string display_name(const TopologyNode& n) {
  if (n.kind == "interceptor") return n.name.substr(n.name.find('.') + 1);
  if (n.kind == "selector") return "selector";
  return n.name;
}

// Mermaid labels are quoted; a quote inside is written as an entity.
std::string mermaid_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"')
      out += "#quot;";
    else if (c == '|')
      out += "#124;";
    else
      out += c;
  }
  return out;
}

std::string mermaid_node(const TopologyNode& n) {
  const std::string label =
      "\"" + mermaid_text(display_name(n)) + "<br/><small>" + mermaid_text(n.type) + "</small>\"";
  if (n.kind == "source") return n.id + "([" + label + "])";
  if (n.kind == "interceptor") return n.id + "[/" + label + "/]";
  if (n.kind == "selector") return n.id + "{" + label + "}";
  if (n.kind == "channel") return n.id + "[(" + label + ")]";
  if (n.kind == "sinkgroup") return n.id + "{{" + label + "}}";
  return n.id + "[" + label + "]";
}

}  // namespace

std::string format_dot(const std::vector<Topology>& agents) {
  std::string out = "digraph flumen {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (const auto& t : agents) {
    out += "  subgraph " + dot_quote("cluster_" + t.agent) +
           " {\n    label=" + dot_quote("agent " + t.agent) + ";\n";
    for (const auto& n : t.nodes)
      out += "    " + n.id + " [label=" + dot_quote(display_name(n) + "\n" + n.type) +
             ", shape=" + dot_shape(n.kind) + "];\n";
    for (const auto& e : t.edges) {
      out += "    " + e.from + " -> " + e.to;
      if (!e.label.empty()) out += " [label=" + dot_quote(e.label) + "]";
      out += ";\n";
    }
    out += "  }\n";
  }
  return out + "}\n";
}

std::string format_mermaid(const std::vector<Topology>& agents) {
  std::string out = "flowchart LR\n";
  for (const auto& t : agents) {
    out += "  subgraph " + safe_id(t.agent) + "[\"agent " + mermaid_text(t.agent) + "\"]\n";
    for (const auto& n : t.nodes)
      out += "    " + mermaid_node(n) + "\n";
    for (const auto& e : t.edges) {
      out += "    " + e.from + " -->";
      if (!e.label.empty()) out += "|\"" + mermaid_text(e.label) + "\"|";
      out += " " + e.to + "\n";
    }
    out += "  end\n";
  }
  return out;
}

}  // namespace flumen::runtime
