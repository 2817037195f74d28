#include "agent/metrics/rates.h"

#include <cmath>

namespace flumen::metrics {

namespace {

// Dropwizard's EWMA weights for a 5 s tick: alpha = 1 - e^(-5/60/minutes).
const double kAlpha1 = 1.0 - std::exp(-5.0 / 60.0);
const double kAlpha5 = 1.0 - std::exp(-5.0 / 60.0 / 5.0);

}  // namespace

std::string rate_base_name(const std::string& counter) {
  constexpr std::string_view kSuffix = "Count";
  if (counter.size() > kSuffix.size() &&
      counter.compare(counter.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    return counter.substr(0, counter.size() - kSuffix.size());
  return counter;
}

void RateTracker::update(Meter& m, double value, util::Clock::time_point now) {
  if (!m.initialised || value < m.last_value) {
    m = Meter{};
    m.initialised = true;
    m.last_value = value;
    m.last_tick = now;
    return;
  }
  const auto elapsed = now - m.last_tick;
  const int64_t ticks = elapsed / kTick;
  if (ticks <= 0) return;
  const double per_tick = (value - m.last_value) / static_cast<double>(ticks);
  const double instant = per_tick / static_cast<double>(kTick.count());
  // n ticks of the same instant rate x, in closed form: m' = x + (m - x)(1 - alpha)^n.
  // The first tick takes the instant rate as it is (Dropwizard does the same), so a steady
  // flow shows its rate at once instead of climbing to it over minutes.
  const double n = static_cast<double>(ticks);
  if (!m.ticked) {
    m.m1 = m.m5 = instant;
    m.ticked = true;
  }
  m.m1 = instant + (m.m1 - instant) * std::pow(1.0 - kAlpha1, n);
  m.m5 = instant + (m.m5 - instant) * std::pow(1.0 - kAlpha5, n);
  m.last_value = value;
  m.last_tick += ticks * kTick;
}

void RateTracker::annotate(std::vector<ComponentSnapshot>& snapshots) {
  const auto now = clock_->now();
  std::map<std::string, Meter> seen;
  for (auto& s : snapshots) {
    std::vector<MetricValue> rates;
    for (const auto& v : s.values) {
      if (v.kind != MetricKind::kCounter) continue;
      std::string key = s.type + "." + s.name + "/" + v.name;
      Meter m;
      if (auto it = meters_.find(key); it != meters_.end()) m = it->second;
      update(m, v.value, now);
      const std::string base = rate_base_name(v.name);
      rates.push_back({base + "OneMinuteRate", MetricKind::kGauge, m.m1, false});
      rates.push_back({base + "FiveMinuteRate", MetricKind::kGauge, m.m5, false});
      seen.emplace(std::move(key), m);
    }
    s.values.insert(s.values.end(), rates.begin(), rates.end());
  }
  meters_ = std::move(seen);
}

}  // namespace flumen::metrics
