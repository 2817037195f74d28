#pragma once
// What `flumen top` shows, apart from the terminal: a model fed with the answers of each agent's
// /metrics (Flume JSON) and /topology, and a renderer that turns it into lines of a given width.
// No I/O here, so both are unit-tested (tests/unit/cli/top_view_test.cc).
//
// Rates are counter increases between two answers divided by the time between them; before a
// second answer (and when a counter went down: a component rebuilt by a reload) the endpoint's
// own one-minute rate is shown instead.
//
// Rows per agent, in the order data flows unless sorted otherwise:
//   source     in: events received/s, out: accepted/s; a TAILDIR source is followed by one row
//              per file group (lines/s, bytes behind the files' ends as BACKLOG, open files)
//   channel    in: puts/s, out: takes/s, FILL %, BACKLOG events
//   sink group in/out: its sinks' summed; STATE the active sink and the penalised ones
//   sink       in: events taken/s, out: delivered/s, STATE idle/delivering/backoff
//   broker     in: batches appended/s, out: requests/s, STATE connections and topics
// ERR sums a component's failure counters, REJ what sinks rejected (dead-lettered included).

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace flumen::cli::top {

using Clock = std::chrono::steady_clock;

struct Row {
  std::string kind;  // source | filegroup | channel | sinkgroup | sink | broker | other
  std::string key;   // "SOURCE.r1"; a file group: "SOURCE.r1/f1"
  std::string name;  // "r1"; a file group: its name
  std::string type;  // plugin type from /topology ("taildir"), or ""
  std::optional<double> in_rate, out_rate;  // events per second
  std::optional<double> fill;               // percent
  std::optional<double> backlog;            // events (channel) or bytes (file group)
  bool backlog_bytes = false;
  int64_t errors = 0, rejected = 0;
  std::string state;
  bool failing = false;  // stopped, backing off, or failing deliveries
  size_t order = 0;      // pipeline order within the agent
  int parent = -1;       // a file group: the index of its source's row
};

struct AgentView {
  std::string address;
  std::string label;  // the agent's name (from /topology), else the address
  std::string error;  // why it could not be read; rows are from the last good answer
  std::vector<Row> rows;
};

class Model {
 public:
  // One answer of `address`'s /metrics taken at `at`; `topology` is its /topology (null when it
  // has none, as the broker).
  void update(const std::string& address, const nlohmann::ordered_json& metrics,
              const nlohmann::ordered_json* topology, Clock::time_point at);
  // The agent at `address` could not be read.
  void fail(const std::string& address, const std::string& error);
  // In the order the addresses were first seen.
  std::vector<AgentView> views() const;

 private:
  struct Sample {
    nlohmann::ordered_json metrics;
    Clock::time_point at;
  };
  struct Agent {
    std::string address;
    std::string label;
    std::string error;
    std::optional<Sample> previous, current;
    nlohmann::ordered_json topology;
  };
  std::vector<Row> rows_of(const Agent& a) const;
  Agent& agent(const std::string& address);

  std::vector<Agent> agents_;
};

enum class SortKey { kPipeline, kName, kIn, kOut, kFill, kErrors };
SortKey next_sort(SortKey k);
const char* sort_name(SortKey k);
// "pipeline", "name", "in", "out", "fill", "errors"; nullopt otherwise.
std::optional<SortKey> parse_sort(const std::string& s);

struct Line {
  enum class Style { kNormal, kTitle, kHeader, kAgent, kFailing, kWarning };
  std::string text;  // ASCII, at most `width` characters
  Style style = Style::kNormal;
};

struct Frame {
  int width = 80;
  int height = 24;  // 0: no limit (a snapshot on a pipe)
  SortKey sort = SortKey::kPipeline;
  bool reverse = false;
  double interval_s = 1;
  std::string clock;  // "23:41:07"
};

std::vector<Line> render(const std::vector<AgentView>& agents, const Frame& frame);

// Short forms for narrow columns: 950 -> "950", 12345 -> "12.3k", 2.5e6 -> "2.5M"; bytes with
// "B"/"KB"/"MB"; the processor and runner states ("backoff (3 failures, next try in 800 ms)" ->
// "backoff 3x 0.8s", "active=k2 penalised:k3=2900ms" -> "on k2, pen k3 2.9s").
std::string short_number(double v);
std::string short_bytes(double v);
std::string short_state(const std::string& state);

}  // namespace flumen::cli::top
