#include "agent/metrics/live_history.h"

namespace flumen::metrics {

void LiveHistory::sample(const std::vector<ComponentSnapshot>& snapshots, Clock::time_point at) {
  Reading r;
  r.at = at;
  for (const auto& s : snapshots)
    for (const auto& v : s.values)
      if (v.kind == MetricKind::kCounter)
        r.counters[s.type + "." + s.name + "/" + v.name] = v.value;
  readings_.push_back(std::move(r));
  // Keep one reading older than the window, so a full window is always measured.
  while (readings_.size() > 2 && at - readings_[1].at >= window_)
    readings_.pop_front();
}

nlohmann::ordered_json LiveHistory::rates(const std::vector<ComponentSnapshot>& now,
                                          Clock::time_point at) const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  // Start at the newest reading at least a window old (or the oldest there is); a counter that
  // appeared later (a component started since) is measured from its first reading.
  size_t first = 0;
  for (size_t i = 0; i < readings_.size(); ++i)
    if (at - readings_[i].at >= window_) first = i;
  for (const auto& s : now) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (const auto& v : s.values) {
      if (v.kind != MetricKind::kCounter) continue;
      const std::string key = s.type + "." + s.name + "/" + v.name;
      for (size_t i = first; i < readings_.size(); ++i) {
        auto it = readings_[i].counters.find(key);
        if (it == readings_[i].counters.end()) continue;
        const double seconds = std::chrono::duration<double>(at - readings_[i].at).count();
        if (seconds >= 0.25 && v.value >= it->second)
          obj[v.name] = (v.value - it->second) / seconds;
        break;
      }
    }
    if (!obj.empty()) out[s.type + "." + s.name] = std::move(obj);
  }
  return out;
}

}  // namespace flumen::metrics
