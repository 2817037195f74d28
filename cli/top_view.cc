// gcc's maybe-uninitialized analysis misfires under AddressSanitizer on libstdc++'s <regex>
// (std::function moved inside _NFA::_M_insert_subexpr_*, at -O1: scripts/sanitize.sh). Only that
// build is affected; every other warning still fails it.
#if defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cli/top_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

namespace flumen::cli::top {

namespace {

using Json = nlohmann::ordered_json;

// Flume's JSON prints every value as a string.
std::optional<double> num(const Json& obj, const std::string& key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (!it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

int64_t count(const Json& obj, const std::string& key) {
  return static_cast<int64_t>(num(obj, key).value_or(0));
}

std::string text(const Json& obj, const std::string& key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A counter's increase per second between the two answers; the endpoint's one-minute rate when
// there is no usable previous answer.
std::optional<double> rate(const Json& now, const Json* before, double seconds,
                           const std::string& counter) {
  auto v = num(now, counter);
  if (!v) return std::nullopt;
  if (before && seconds > 0.05) {
    if (auto p = num(*before, counter); p && *v >= *p) return (*v - *p) / seconds;
  }
  std::string base = counter;
  if (base.size() > 5 && base.compare(base.size() - 5, 5, "Count") == 0)
    base.resize(base.size() - 5);
  return num(now, base + "OneMinuteRate").value_or(0.0);
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

int kind_rank(const std::string& kind) {
  static const char* kOrder[] = {"source", "channel", "sinkgroup", "sink", "broker"};
  for (int i = 0; i < 5; ++i)
    if (kind == kOrder[i]) return i;
  return 5;
}

std::string fit(std::string s, size_t width) {
  if (s.size() <= width) return s;
  if (width == 0) return "";
  s.resize(width - 1);
  return s + "~";
}

std::string pad_right(const std::string& s, size_t width) {
  std::string out = fit(s, width);
  out.resize(width, ' ');
  return out;
}

std::string pad_left(const std::string& s, size_t width) {
  std::string out = fit(s, width);
  return std::string(width - out.size(), ' ') + out;
}

std::string fmt(const char* format, double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

}  // namespace

std::string short_number(double v) {
  const double a = std::fabs(v);
  if (a < 9.95 && a != std::floor(a)) return fmt("%.1f", v);
  if (a < 9999.5) return fmt("%.0f", v);
  if (a < 999950) return fmt("%.1fk", v / 1e3);
  if (a < 999950000) return fmt("%.1fM", v / 1e6);
  return fmt("%.1fG", v / 1e9);
}

std::string short_bytes(double v) {
  if (v < 1024) return fmt("%.0fB", v);
  if (v < 1024 * 1024) return fmt("%.0fKB", v / 1024);
  if (v < 1024.0 * 1024 * 1024) return fmt("%.1fMB", v / (1024 * 1024));
  return fmt("%.1fGB", v / (1024.0 * 1024 * 1024));
}

std::string short_state(const std::string& state) {
  std::smatch m;
  // SinkRunner::state(): "backoff (3 failures, next try in 800 ms)"
  static const std::regex backoff(R"(backoff \((\d+) failures?, next try in (\d+) ms\))");
  if (std::regex_search(state, m, backoff))
    return "backoff " + m[1].str() + "x " + fmt("%.1fs", std::stod(m[2].str()) / 1000);
  std::string out = state;
  // Processor states: "active=k2 penalised:k3=2900ms", "round_robin backoff:k3=800ms".
  static const std::regex ms(R"(=(\d+)ms)");
  std::string result;
  auto begin = std::sregex_iterator(out.begin(), out.end(), ms);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    result += out.substr(last, static_cast<size_t>(it->position()) - last);
    result += " " + fmt("%.1fs", std::stod((*it)[1].str()) / 1000);
    last = static_cast<size_t>(it->position() + it->length());
  }
  result += out.substr(last);
  auto replace_all = [](std::string& s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
      s.replace(p, from.size(), to);
  };
  replace_all(result, "active=", "on ");
  replace_all(result, " penalised:", ", pen ");
  replace_all(result, " backoff:", ", off ");
  replace_all(result, "round_robin", "rr");
  return result;
}

SortKey next_sort(SortKey k) {
  return static_cast<SortKey>((static_cast<int>(k) + 1) % 6);
}

const char* sort_name(SortKey k) {
  switch (k) {
    case SortKey::kPipeline:
      return "pipeline";
    case SortKey::kName:
      return "name";
    case SortKey::kIn:
      return "in";
    case SortKey::kOut:
      return "out";
    case SortKey::kFill:
      return "fill";
    case SortKey::kErrors:
      return "errors";
  }
  return "pipeline";
}

std::optional<SortKey> parse_sort(const std::string& s) {
  for (int i = 0; i < 6; ++i)
    if (s == sort_name(static_cast<SortKey>(i))) return static_cast<SortKey>(i);
  return std::nullopt;
}

Model::Agent& Model::agent(const std::string& address) {
  for (auto& a : agents_)
    if (a.address == address) return a;
  agents_.push_back({});
  agents_.back().address = address;
  agents_.back().label = address;
  return agents_.back();
}

void Model::update(const std::string& address, const Json& metrics, const Json* topology,
                   Clock::time_point at) {
  Agent& a = agent(address);
  a.error.clear();
  a.previous = std::move(a.current);
  a.current = Sample{metrics, at};
  if (topology) {
    a.topology = *topology;
    if (auto it = topology->find("agent"); it != topology->end() && it->is_string())
      a.label = it->get<std::string>();
  }
}

void Model::fail(const std::string& address, const std::string& error) {
  Agent& a = agent(address);
  a.error = error;
  // Rates across the gap would mix two periods: start again from the next answer.
  a.previous.reset();
}

std::vector<Row> Model::rows_of(const Agent& a) const {
  std::vector<Row> rows;
  if (!a.current) return rows;
  const Json& now = a.current->metrics;
  const Json* before = a.previous ? &a.previous->metrics : nullptr;
  const double seconds =
      a.previous ? std::chrono::duration<double>(a.current->at - a.previous->at).count() : 0;

  // Pipeline order and plugin types from the topology; sink-group members from its edges.
  std::map<std::string, size_t> order;
  std::map<std::string, std::string> type_of, key_of_id;
  std::map<std::string, std::vector<std::string>> members;  // SINKGROUP.g -> SINK.k...
  if (a.topology.is_object()) {
    size_t i = 0;
    for (const auto& n : a.topology.value("nodes", Json::array())) {
      const std::string key = n.value("metrics", "");
      key_of_id[n.value("id", "")] = key;
      if (key.empty()) continue;
      order.emplace(key, i++);
      type_of[key] = n.value("type", "");
    }
    for (const auto& e : a.topology.value("edges", Json::array())) {
      const std::string from = key_of_id[e.value("from", "")];
      const std::string to = key_of_id[e.value("to", "")];
      if (from.rfind("SINKGROUP.", 0) == 0 && to.rfind("SINK.", 0) == 0)
        members[from].push_back(to);
    }
  }

  size_t unordered = order.size();
  for (const auto& [key, obj] : now.items()) {
    if (!obj.is_object()) continue;
    Row r;
    r.key = key;
    const size_t dot = key.find('.');
    r.kind = lower(dot == std::string::npos ? key : key.substr(0, dot));
    r.name = dot == std::string::npos ? key : key.substr(dot + 1);
    r.type = type_of.count(key) ? type_of[key] : "";
    const Json* prev = nullptr;
    if (before)
      if (auto it = before->find(key); it != before->end()) prev = &*it;
    auto start = num(obj, "StartTime").value_or(0);
    auto stop = num(obj, "StopTime").value_or(0);
    if (stop > 0 && stop >= start) {
      r.failing = true;
      r.state = "stopped";
    }
    if (r.kind == "source") {
      r.in_rate = rate(obj, prev, seconds, "EventReceivedCount");
      r.out_rate = rate(obj, prev, seconds, "EventAcceptedCount");
      r.errors = count(obj, "EventReadFail") + count(obj, "ChannelWriteFail") +
                 count(obj, "GenericProcessingFail");
      if (auto conns = num(obj, "OpenConnectionCount"); conns && *conns > 0 && r.state.empty())
        r.state = "conns " + short_number(*conns);
    } else if (r.kind == "channel") {
      r.in_rate = rate(obj, prev, seconds, "EventPutSuccessCount");
      r.out_rate = rate(obj, prev, seconds, "EventTakeSuccessCount");
      r.fill = num(obj, "ChannelFillPercentage");
      r.backlog = num(obj, "ChannelSize");
      r.errors = count(obj, "EventPutErrorCount") + count(obj, "EventTakeErrorCount");
      if (count(obj, "Unhealthy") > 0) {
        r.failing = true;
        r.state = "unhealthy";
      } else if (r.state.empty() && r.fill && *r.fill >= 100) {
        r.state = "full";
      }
    } else if (r.kind == "sink") {
      r.in_rate = rate(obj, prev, seconds, "EventDrainAttemptCount");
      r.out_rate = rate(obj, prev, seconds, "EventDrainSuccessCount");
      r.errors = count(obj, "EventWriteFail") + count(obj, "ChannelReadFail") +
                 count(obj, "ConnectionFailedCount");
      r.rejected = count(obj, "EventRejectedCount");
      const std::string state = text(obj, "State");
      if (!state.empty() && r.state.empty()) r.state = short_state(state);
      if (state.rfind("backoff", 0) == 0) r.failing = true;
    } else if (r.kind == "sinkgroup") {
      // A group is started by its runner, which has no StartTime of its own.
      if (r.state == "stopped" && start == 0) {
        r.state.clear();
        r.failing = false;
      }
      const std::string runner = text(obj, "RunnerState");
      std::string state = short_state(text(obj, "State"));
      if (runner.rfind("backoff", 0) == 0) {
        state = short_state(runner) + (state.empty() ? "" : "; " + state);
        r.failing = true;
      }
      r.state = state;
      if (r.type.empty()) r.type = text(obj, "ProcessorType");
    } else if (r.kind == "broker") {
      r.in_rate = rate(obj, prev, seconds, "BatchAppendCount");
      r.out_rate = rate(obj, prev, seconds, "RequestCount");
      r.errors = count(obj, "ProtocolErrorCount");
      r.state = "conns " + short_number(num(obj, "OpenConnectionCount").value_or(0)) + ", topics " +
                short_number(num(obj, "TopicCount").value_or(0));
    } else {
      r.kind = "other";
    }
    r.order = order.count(key) ? order[key] : unordered++;
    rows.push_back(std::move(r));

    // TAILDIR: FileGroup.<g>.LineCount / .LagBytes / .OpenFiles.
    if (rows.back().kind != "source") continue;
    const int parent = static_cast<int>(rows.size() - 1);
    std::vector<std::string> groups;
    for (const auto& [field, value] : obj.items()) {
      constexpr std::string_view kPrefix = "FileGroup.", kLag = ".LagBytes";
      if (field.rfind(kPrefix, 0) != 0 || field.size() <= kPrefix.size() + kLag.size() ||
          field.compare(field.size() - kLag.size(), kLag.size(), kLag) != 0)
        continue;
      groups.push_back(field.substr(kPrefix.size(), field.size() - kPrefix.size() - kLag.size()));
    }
    for (const auto& g : groups) {
      const std::string prefix = "FileGroup." + g + ".";
      Row fg;
      fg.kind = "filegroup";
      fg.key = key + "/" + g;
      fg.name = g;
      fg.in_rate = rate(obj, prev, seconds, prefix + "LineCount");
      fg.backlog = num(obj, prefix + "LagBytes");
      fg.backlog_bytes = true;
      fg.state = "files " + short_number(num(obj, prefix + "OpenFiles").value_or(0));
      fg.order = rows[parent].order;
      fg.parent = parent;
      rows.push_back(std::move(fg));
    }
  }
  // A sink group moves what its sinks move.
  for (auto& r : rows) {
    if (r.kind != "sinkgroup" || !members.count(r.key)) continue;
    double in = 0, out = 0;
    bool any = false;
    for (const auto& m : members[r.key])
      for (const auto& s : rows)
        if (s.key == m) {
          in += s.in_rate.value_or(0);
          out += s.out_rate.value_or(0);
          r.errors += s.errors;
          r.rejected += s.rejected;
          any = true;
        }
    if (any) {
      r.in_rate = in;
      r.out_rate = out;
    }
  }
  // Without a topology (or for what it does not name): sources, channels, groups, sinks.
  if (order.empty())
    for (auto& r : rows)
      r.order = static_cast<size_t>(kind_rank(r.kind == "filegroup" ? "source" : r.kind)) * 10000 +
                r.order;
  return rows;
}

std::vector<AgentView> Model::views() const {
  std::vector<AgentView> out;
  for (const auto& a : agents_)
    out.push_back({a.address, a.label, a.error, rows_of(a)});
  return out;
}

namespace {

// Column widths at 80 columns; wider terminals give the extra to STATE and COMPONENT.
struct Columns {
  size_t kind = 4, name = 15, in = 7, out = 7, fill = 4, backlog = 7, err = 4, rej = 4, state = 0;
};

Columns columns_for(int width) {
  Columns c;
  const size_t w = static_cast<size_t>(std::max(width, 40));
  const size_t fixed = c.kind + c.name + c.in + c.out + c.fill + c.backlog + c.err + c.rej + 8;
  c.state = w > fixed ? w - fixed : 0;
  if (c.state > 30) {  // a wide terminal: longer names first, then the state
    size_t extra = std::min<size_t>(c.state - 30, 16);
    c.name += extra;
    c.state -= extra;
  }
  return c;
}

const char* kind_label(const std::string& kind) {
  if (kind == "source") return "src";
  if (kind == "filegroup") return " fg";
  if (kind == "channel") return "chan";
  if (kind == "sinkgroup") return "grp";
  if (kind == "sink") return "sink";
  if (kind == "broker") return "brkr";
  return "?";
}

std::string opt_number(const std::optional<double>& v) {
  return v ? short_number(*v) : "-";
}

double sort_value(const Row& r, SortKey key) {
  switch (key) {
    case SortKey::kIn:
      return r.in_rate.value_or(-1);
    case SortKey::kOut:
      return r.out_rate.value_or(-1);
    case SortKey::kFill:
      return r.fill.value_or(-1);
    case SortKey::kErrors:
      return static_cast<double>(r.errors + r.rejected);
    default:
      return 0;
  }
}

// Top-level rows sorted by the key (numbers highest first), each followed by its file groups.
std::vector<const Row*> sorted_rows(const std::vector<Row>& rows, SortKey key, bool reverse) {
  std::vector<size_t> top;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].parent < 0) top.push_back(i);
  auto less = [&](size_t a, size_t b) {
    const Row& x = rows[a];
    const Row& y = rows[b];
    if (key == SortKey::kPipeline) return x.order < y.order;
    if (key == SortKey::kName) return x.name != y.name ? x.name < y.name : x.kind < y.kind;
    double vx = sort_value(x, key), vy = sort_value(y, key);
    if (vx != vy) return vx > vy;
    return x.order < y.order;
  };
  std::stable_sort(top.begin(), top.end(), less);
  if (reverse) std::reverse(top.begin(), top.end());
  std::vector<const Row*> out;
  for (size_t i : top) {
    out.push_back(&rows[i]);
    for (const auto& r : rows)
      if (r.parent == static_cast<int>(i)) out.push_back(&r);
  }
  return out;
}

}  // namespace

std::vector<Line> render(const std::vector<AgentView>& agents, const Frame& frame) {
  const Columns c = columns_for(frame.width);
  const size_t width = static_cast<size_t>(std::max(frame.width, 1));
  std::vector<Line> lines;
  auto add = [&](std::string text, Line::Style style) {
    lines.push_back({fit(std::move(text), width), style});
  };

  std::string title = "flumen top  " + std::to_string(agents.size()) +
                      (agents.size() == 1 ? " agent" : " agents") + "  every " +
                      short_number(frame.interval_s) + "s  sort " + sort_name(frame.sort) +
                      (frame.reverse ? " (rev)" : "");
  const std::string keys = "s:sort r:rev q:quit";
  std::string right = keys + "  " + frame.clock;
  if (title.size() + 2 + right.size() <= width)
    title += std::string(width - title.size() - right.size(), ' ') + right;
  add(title, Line::Style::kTitle);

  std::string header = pad_right("KIND", c.kind) + " " + pad_right("COMPONENT", c.name) + " " +
                       pad_left("IN/s", c.in) + " " + pad_left("OUT/s", c.out) + " " +
                       pad_left("FILL", c.fill) + " " + pad_left("BACKLOG", c.backlog) + " " +
                       pad_left("ERR", c.err) + " " + pad_left("REJ", c.rej) + " " +
                       pad_right("STATE", c.state);
  add(header, Line::Style::kHeader);

  for (const auto& a : agents) {
    std::string head = "== " + a.label;
    if (a.label != a.address) head += " (" + a.address + ")";
    if (!a.error.empty()) head += "  " + a.error;
    head += " ";
    if (head.size() < width) head += std::string(width - head.size(), '=');
    add(head, a.error.empty() ? Line::Style::kAgent : Line::Style::kFailing);
    for (const Row* r : sorted_rows(a.rows, frame.sort, frame.reverse)) {
      std::string name = r->kind == "filegroup" ? " " + r->name : r->name;
      if (!r->type.empty() && name.size() + 1 + r->type.size() <= c.name) name += " " + r->type;
      std::string fill = r->fill ? fmt("%.0f%%", *r->fill) : "-";
      std::string backlog =
          r->backlog ? (r->backlog_bytes ? short_bytes(*r->backlog) : short_number(*r->backlog))
                     : "-";
      std::string line = pad_right(kind_label(r->kind), c.kind) + " " + pad_right(name, c.name) +
                         " " + pad_left(opt_number(r->in_rate), c.in) + " " +
                         pad_left(opt_number(r->out_rate), c.out) + " " + pad_left(fill, c.fill) +
                         " " + pad_left(backlog, c.backlog) + " " +
                         pad_left(short_number(static_cast<double>(r->errors)), c.err) + " " +
                         pad_left(short_number(static_cast<double>(r->rejected)), c.rej) + " " +
                         fit(r->state, c.state);
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      Line::Style style = Line::Style::kNormal;
      if (r->failing)
        style = Line::Style::kFailing;
      else if ((r->fill && *r->fill >= 90) || r->errors > 0 || r->rejected > 0)
        style = Line::Style::kWarning;
      add(line, style);
    }
  }
  if (frame.height > 0 && lines.size() > static_cast<size_t>(frame.height)) {
    const size_t keep = static_cast<size_t>(std::max(frame.height - 1, 1));
    const size_t hidden = lines.size() - keep;
    lines.resize(keep);
    add("... " + std::to_string(hidden) + " more lines (a taller terminal, or sort)",
        Line::Style::kHeader);
  }
  return lines;
}

}  // namespace flumen::cli::top
