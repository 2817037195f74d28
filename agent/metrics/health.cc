#include "agent/metrics/health.h"

#include <nlohmann/json.hpp>

namespace flumen::metrics {

namespace {

const MetricValue* value_of(const ComponentSnapshot& s, std::string_view name) {
  for (const auto& v : s.values)
    if (v.name == name) return &v;
  return nullptr;
}

const std::string* label_of(const ComponentSnapshot& s, std::string_view name) {
  for (const auto& [k, v] : s.labels)
    if (k == name) return &v;
  return nullptr;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The reason a component is failing, or "" when it runs.
std::string failure_of(const ComponentSnapshot& s) {
  const MetricValue* start = value_of(s, "StartTime");
  const MetricValue* stop = value_of(s, "StopTime");
  if (stop && stop->value > 0 && (!start || start->value <= stop->value)) return "stopped";
  if (s.type == "SINK") {
    if (const std::string* state = label_of(s, "State"); state && starts_with(*state, "backoff"))
      return *state;
    if (const MetricValue* f = value_of(s, "ConsecutiveFailures"); f && f->value > 0)
      return "failing (" + std::to_string(static_cast<int64_t>(f->value)) +
             " consecutive failures)";
  }
  if (s.type == "SINKGROUP") {
    if (const std::string* state = label_of(s, "RunnerState");
        state && starts_with(*state, "backoff"))
      return *state;
  }
  return "";
}

// A group that delivers while some members are penalised or backing off.
std::string degradation_of(const ComponentSnapshot& s) {
  if (s.type != "SINKGROUP") return "";
  const std::string* state = label_of(s, "State");
  if (!state) return "";
  if (state->find("penalised:") != std::string::npos ||
      state->find("backoff:") != std::string::npos)
    return *state;
  return "";
}

nlohmann::ordered_json problems_json(const std::vector<HealthProblem>& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : list)
    out.push_back({{"component", p.component}, {"reason", p.reason}});
  return out;
}

}  // namespace

HealthReport assess_health(const std::vector<ComponentSnapshot>& snapshots) {
  HealthReport r;
  r.components = snapshots.size();
  for (const auto& s : snapshots) {
    std::string id = s.type + "." + s.name;
    if (std::string why = failure_of(s); !why.empty()) {
      r.failing.push_back({std::move(id), std::move(why)});
    } else if (std::string why = degradation_of(s); !why.empty()) {
      r.degraded.push_back({std::move(id), std::move(why)});
    }
  }
  return r;
}

std::string format_health_json(const HealthReport& report) {
  nlohmann::ordered_json j;
  j["status"] = report.healthy() ? "ok" : "failing";
  j["components"] = report.components;
  j["failing"] = problems_json(report.failing);
  j["degraded"] = problems_json(report.degraded);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace flumen::metrics
