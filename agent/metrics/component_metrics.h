#pragma once
// Counters per component, named as Flume names them (EventReceivedCount, ChannelSize, ...), so
// dashboards built for Flume's /metrics keep working. Components register their counters when
// they are built (not on the hot path) and keep raw pointers; updates are relaxed atomics.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/metrics/tap.h"

namespace flumen::metrics {

enum class MetricKind { kCounter, kGauge };

class Counter {
 public:
  void inc(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void dec(int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// One value as read at scrape time.
struct MetricValue {
  std::string name;  // Flume's name, e.g. "EventReceivedCount"
  MetricKind kind;
  double value;
  bool integral;  // printed without a fraction
};

struct ComponentSnapshot {
  std::string type;  // SOURCE, CHANNEL, SINK, SINKGROUP
  std::string name;  // the component's name in the conf
  std::vector<MetricValue> values;
  std::vector<std::pair<std::string, std::string>> labels;  // string attributes (e.g. active sink)
};

class ComponentMetrics {
 public:
  ComponentMetrics(std::string type, std::string name);

  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }

  // Returns the counter with this name, creating it on first use. The address stays valid for the
  // life of this object. Call at build time, keep the pointer.
  Counter& counter(const std::string& name, MetricKind kind = MetricKind::kCounter);
  // A value computed when scraped (fill percentage, queue depth).
  void gauge(const std::string& name, std::function<double()> read, bool integral = true);
  // A string attribute computed when scraped (e.g. the active sink of a failover group).
  void attribute(const std::string& name, std::function<std::string()> read);

  void mark_started();  // sets StartTime to now (ms)
  void mark_stopped();  // sets StopTime to now (ms)

  ComponentSnapshot snapshot() const;

  // Samples of the events passing this component for `flumen tap` (tap.h); offered by the
  // component, idle unless a reader is attached.
  Tap& tap() { return tap_; }

 private:
  struct Named {
    std::string name;
    MetricKind kind;
    Counter counter;
  };
  struct Computed {
    std::string name;
    std::function<double()> read;
    bool integral;
  };
  struct Attribute {
    std::string name;
    std::function<std::string()> read;
  };
  std::string type_;
  std::string name_;
  mutable std::mutex mu_;  // guards registration against concurrent scrape
  std::deque<Named> counters_;
  std::vector<Computed> gauges_;
  std::vector<Attribute> attributes_;
  Counter* start_time_;
  Counter* stop_time_;
  Tap tap_;
};

// All components of one agent. Owned by the agent; components hold shared_ptrs to their own
// ComponentMetrics so a scrape during reload never sees a dangling entry.
class MetricsRegistry {
 public:
  std::shared_ptr<ComponentMetrics> create(const std::string& type, const std::string& name);
  void remove(const ComponentMetrics* m);
  std::vector<ComponentSnapshot> snapshot() const;
  // The component of that type ("SINK") and name, or null.
  std::shared_ptr<ComponentMetrics> find(const std::string& type, const std::string& name) const;

  // The running pipeline as a graph (runtime/topology_json.h), set by the agent whenever its
  // configuration is applied; the endpoint serves it at /topology. Empty when there is none.
  void set_topology_json(std::string json);
  std::string topology_json() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ComponentMetrics>> items_;
  std::string topology_json_;
};

// Standard Flume counter sets, created in Flume's order so JSON output reads like Flume's.
struct SourceCounters {
  explicit SourceCounters(ComponentMetrics& m);
  Counter* event_received;
  Counter* event_accepted;
  Counter* append_received;
  Counter* append_accepted;
  Counter* append_batch_received;
  Counter* append_batch_accepted;
  Counter* open_connection;
  Counter* event_read_fail;
  Counter* channel_write_fail;
  Counter* generic_processing_fail;
};

struct ChannelCounters {
  explicit ChannelCounters(ComponentMetrics& m);
  Counter* channel_size;
  Counter* channel_capacity;
  Counter* event_put_attempt;
  Counter* event_put_success;
  Counter* event_take_attempt;
  Counter* event_take_success;
};

struct SinkCounters {
  explicit SinkCounters(ComponentMetrics& m);
  Counter* connection_created;
  Counter* connection_closed;
  Counter* connection_failed;
  Counter* batch_empty;
  Counter* batch_underflow;
  Counter* batch_complete;
  Counter* event_drain_attempt;
  Counter* event_drain_success;
  Counter* event_write_fail;
  Counter* channel_read_fail;
  Counter* event_rejected;  // flumen: permanently rejected by the sink, counted and dropped
};

int64_t now_millis();

}  // namespace flumen::metrics
