#include "agent/metrics/component_metrics.h"

#include <algorithm>
#include <chrono>

namespace flumen::metrics {

int64_t now_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ComponentMetrics::ComponentMetrics(std::string type, std::string name)
    : type_(std::move(type)), name_(std::move(name)) {
  start_time_ = &counter("StartTime", MetricKind::kGauge);
  stop_time_ = &counter("StopTime", MetricKind::kGauge);
}

Counter& ComponentMetrics::counter(const std::string& name, MetricKind kind) {
  std::lock_guard lock(mu_);
  for (auto& c : counters_)
    if (c.name == name) return c.counter;
  counters_.emplace_back();
  counters_.back().name = name;
  counters_.back().kind = kind;
  return counters_.back().counter;
}

void ComponentMetrics::gauge(const std::string& name, std::function<double()> read, bool integral) {
  std::lock_guard lock(mu_);
  gauges_.push_back({name, std::move(read), integral});
}

void ComponentMetrics::attribute(const std::string& name, std::function<std::string()> read) {
  std::lock_guard lock(mu_);
  attributes_.push_back({name, std::move(read)});
}

void ComponentMetrics::mark_started() {
  start_time_->set(now_millis());
  stop_time_->set(0);
}

void ComponentMetrics::mark_stopped() {
  stop_time_->set(now_millis());
}

ComponentSnapshot ComponentMetrics::snapshot() const {
  std::lock_guard lock(mu_);
  ComponentSnapshot s;
  s.type = type_;
  s.name = name_;
  for (const auto& c : counters_)
    s.values.push_back({c.name, c.kind, static_cast<double>(c.counter.get()), true});
  for (const auto& g : gauges_)
    s.values.push_back({g.name, MetricKind::kGauge, g.read(), g.integral});
  for (const auto& a : attributes_)
    s.labels.emplace_back(a.name, a.read());
  return s;
}

std::shared_ptr<ComponentMetrics> MetricsRegistry::create(const std::string& type,
                                                          const std::string& name) {
  auto m = std::make_shared<ComponentMetrics>(type, name);
  std::lock_guard lock(mu_);
  items_.push_back(m);
  return m;
}

void MetricsRegistry::remove(const ComponentMetrics* m) {
  std::lock_guard lock(mu_);
  items_.erase(
      std::remove_if(items_.begin(), items_.end(), [m](const auto& p) { return p.get() == m; }),
      items_.end());
}

std::vector<ComponentSnapshot> MetricsRegistry::snapshot() const {
  std::vector<std::shared_ptr<ComponentMetrics>> copy;
  {
    std::lock_guard lock(mu_);
    copy = items_;
  }
  std::vector<ComponentSnapshot> out;
  out.reserve(copy.size());
  for (const auto& m : copy)
    out.push_back(m->snapshot());
  return out;
}

std::shared_ptr<ComponentMetrics> MetricsRegistry::find(const std::string& type,
                                                        const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& m : items_)
    if (m->type() == type && m->name() == name) return m;
  return nullptr;
}

void MetricsRegistry::set_topology_json(std::string json) {
  std::lock_guard lock(mu_);
  topology_json_ = std::move(json);
}

std::string MetricsRegistry::topology_json() const {
  std::lock_guard lock(mu_);
  return topology_json_;
}

SourceCounters::SourceCounters(ComponentMetrics& m)
    : event_received(&m.counter("EventReceivedCount")),
      event_accepted(&m.counter("EventAcceptedCount")),
      append_received(&m.counter("AppendReceivedCount")),
      append_accepted(&m.counter("AppendAcceptedCount")),
      append_batch_received(&m.counter("AppendBatchReceivedCount")),
      append_batch_accepted(&m.counter("AppendBatchAcceptedCount")),
      open_connection(&m.counter("OpenConnectionCount", MetricKind::kGauge)),
      event_read_fail(&m.counter("EventReadFail")),
      channel_write_fail(&m.counter("ChannelWriteFail")),
      generic_processing_fail(&m.counter("GenericProcessingFail")) {}

ChannelCounters::ChannelCounters(ComponentMetrics& m)
    : channel_size(&m.counter("ChannelSize", MetricKind::kGauge)),
      channel_capacity(&m.counter("ChannelCapacity", MetricKind::kGauge)),
      event_put_attempt(&m.counter("EventPutAttemptCount")),
      event_put_success(&m.counter("EventPutSuccessCount")),
      event_take_attempt(&m.counter("EventTakeAttemptCount")),
      event_take_success(&m.counter("EventTakeSuccessCount")) {
  Counter* size = channel_size;
  Counter* cap = channel_capacity;
  m.gauge(
      "ChannelFillPercentage",
      [size, cap] {
        int64_t c = cap->get();
        return c > 0 ? 100.0 * static_cast<double>(size->get()) / static_cast<double>(c) : 0.0;
      },
      false);
}

SinkCounters::SinkCounters(ComponentMetrics& m)
    : connection_created(&m.counter("ConnectionCreatedCount")),
      connection_closed(&m.counter("ConnectionClosedCount")),
      connection_failed(&m.counter("ConnectionFailedCount")),
      batch_empty(&m.counter("BatchEmptyCount")),
      batch_underflow(&m.counter("BatchUnderflowCount")),
      batch_complete(&m.counter("BatchCompleteCount")),
      event_drain_attempt(&m.counter("EventDrainAttemptCount")),
      event_drain_success(&m.counter("EventDrainSuccessCount")),
      event_write_fail(&m.counter("EventWriteFail")),
      channel_read_fail(&m.counter("ChannelReadFail")),
      event_rejected(&m.counter("EventRejectedCount")) {}

}  // namespace flumen::metrics
