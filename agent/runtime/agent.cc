#include "agent/runtime/agent.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "agent/runtime/topology_json.h"
#include "agent/util/thread_name.h"

namespace flumen::runtime {

using namespace pipeline;

Agent::Agent(std::shared_ptr<metrics::MetricsRegistry> metrics) : metrics_(std::move(metrics)) {}

Agent::~Agent() {
  stop(std::chrono::milliseconds(0));
}

Channel* Agent::channel(const std::string& name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.channel.get();
}

void Agent::drop_metrics(const std::shared_ptr<metrics::ComponentMetrics>& m) {
  if (m) metrics_->remove(m.get());
}

std::unique_ptr<Channel> Agent::build_channel(const ComponentConfig& cc,
                                              std::shared_ptr<metrics::ComponentMetrics>& m) {
  m = metrics_->create("CHANNEL", cc.name);
  auto ch = cc.plugin->make_channel(cc.name, cc.options.get(), m);
  if (ch) ch->set_tap(&m->tap());
  return ch;
}

Agent::RunningRunner Agent::build_runner(const std::string& name,
                                         const std::vector<const SinkConfig*>& sinks,
                                         const SinkGroupConfig* g) {
  RunningRunner r;
  std::map<std::string, std::pair<Sink*, Channel*>> by_name;
  for (const SinkConfig* sc : sinks) {
    auto m = metrics_->create("SINK", sc->name);
    r.metrics.push_back(m);
    // Workers (sinks outside groups): instances counted together under the sink's name, each
    // with its own runner and transactions on the shared channel.
    const int instances = g ? 1 : sc->workers;
    for (int w = 0; w < instances; ++w) {
      auto sink = sc->plugin->make_sink(sc->name, sc->options.get());
      sink->attach_metrics(m);
      by_name[sc->name] = {sink.get(), channel(sc->channel)};
      r.sinks.push_back(std::move(sink));
    }
  }
  std::map<std::string, Channel*> dead_letter_of;
  for (const SinkConfig* sc : sinks)
    dead_letter_of[sc->name] =
        sc->dead_letter_channel.empty() ? nullptr : channel(sc->dead_letter_channel);
  if (!g) {
    const SinkConfig* sc = sinks.at(0);
    for (size_t w = 0; w < r.sinks.size(); ++w) {
      auto slot = std::make_unique<SinkSlot>();
      slot->sink = r.sinks[w].get();
      slot->channel = channel(sc->channel);
      slot->dead_letter = dead_letter_of[sc->name];
      // Each worker keeps its own markers in the shared channel.
      if (r.sinks.size() > 1) slot->state_key = sc->name + "#" + std::to_string(w + 1);
      r.runners.push_back(std::make_unique<SinkRunner>(
          r.sinks.size() > 1 ? name + "#" + std::to_string(w + 1) : name,
          std::make_unique<DefaultSinkProcessor>(std::move(slot))));
    }
    // An ungrouped sink's back-off is its runner's (with workers: the first one's is shown).
    SinkRunner* first = r.runners.front().get();
    const auto& m = r.metrics.front();
    m->attribute("State", [first] { return first->state(); });
    m->gauge("ConsecutiveFailures", [first] { return first->consecutive_failures(); });
    m->gauge("NextRetryInMs", [first] { return first->next_try_in_ms(); });
    return r;
  }
  auto slot_for = [&](const std::string& s) {
    auto slot = std::make_unique<SinkSlot>();
    slot->sink = by_name.at(s).first;
    slot->channel = by_name.at(s).second;
    slot->dead_letter = dead_letter_of[s];
    return slot;
  };
  std::unique_ptr<SinkProcessor> proc = find_processor(g->processor)->make(*g, slot_for);
  // The state lambdas point into the processor; the entry is removed from the registry before
  // the runner (and its processor) is destroyed.
  auto gm = metrics_->create("SINKGROUP", g->name);
  SinkProcessor* raw = proc.get();
  gm->attribute("ProcessorType", [raw] { return std::string(raw->type()); });
  gm->attribute("State", [raw] { return raw->state(); });
  r.metrics.push_back(gm);
  r.runners.push_back(std::make_unique<SinkRunner>(name, std::move(proc)));
  r.runners.back()->set_thread_name(util::thread_name("grp-", g->name));
  SinkRunner* runner = r.runners.back().get();
  gm->attribute("RunnerState", [runner] { return runner->state(); });
  gm->gauge("NextRetryInMs", [runner] { return runner->next_try_in_ms(); });
  return r;
}

Agent::RunningSource Agent::build_source(const SourceConfig& src) {
  RunningSource rs;
  std::unique_ptr<ChannelSelector> selector =
      find_selector(src.selector.type)->make(src, [this](const std::string& name) {
        return channel(name);
      });
  std::vector<std::unique_ptr<Interceptor>> interceptors;
  for (const auto& ic : src.interceptors)
    interceptors.push_back(ic.plugin->make_interceptor(ic.options.get()));
  auto processor = std::make_shared<ChannelProcessor>(std::move(selector), std::move(interceptors));
  rs.source = src.plugin->make_source(src.name, src.options.get());
  rs.metrics = metrics_->create("SOURCE", src.name);
  processor->set_optional_failure_counter(&rs.metrics->counter("OptionalChannelWriteFail"));
  processor->set_tap(&rs.metrics->tap());
  rs.source->attach(processor, rs.metrics);
  return rs;
}

namespace {

// Moves every event of `from` into `to` in transactions both can hold, oldest first. False if
// `to` refused some (full): those stay in `from`, nothing is lost either way.
bool move_events(Channel& from, Channel& to) {
  const size_t step =
      std::max<size_t>(1, std::min(from.transaction_capacity(), to.transaction_capacity()));
  EventBatch batch;
  while (from.size() > 0) {
    TransactionGuard take(from.begin());
    batch.clear();
    if (!take->take(step, batch) || batch.empty()) return false;
    TransactionGuard put(to.begin());
    put->set_wait_for_space(false);
    if (!put->put(batch) || !put.commit()) return false;  // the guards roll both back
    if (!take.commit()) {
      // The events are in `to` now and a failed take commit leaves them in `from` too: better
      // twice than lost, but say so.
      spdlog::warn("channel {}: {} events may now be in both the old and the new channel",
                   from.name(), batch.size());
      return false;
    }
  }
  return true;
}

}  // namespace

Status Agent::apply(AgentConfig cfg) {
  stats_ = {};
  name_ = cfg.name;
  // What each source and runner depends on, so a changed channel restarts its users too.
  std::map<std::string, std::string> channel_fp;
  for (const auto& c : cfg.channels)
    channel_fp[c.name] = c.fingerprint;
  std::map<std::string, const SinkConfig*> sink_by_name;
  for (const auto& s : cfg.sinks)
    sink_by_name[s.name] = &s;
  // A runner holds its sinks' dead-letter channels too: it is rebuilt when one is replaced.
  auto dead_letter_fp = [&](const SinkConfig& s) {
    return s.dead_letter_channel.empty()
               ? std::string()
               : "dead-letter " + s.dead_letter_channel + "\n" + channel_fp[s.dead_letter_channel];
  };

  struct RunnerPlan {
    std::vector<const SinkConfig*> sinks;
    const SinkGroupConfig* group = nullptr;
    std::string fingerprint;
  };
  std::map<std::string, RunnerPlan> runner_plans;
  std::set<std::string> grouped;
  for (const auto& g : cfg.sink_groups) {
    RunnerPlan p;
    p.group = &g;
    p.fingerprint = "group\n" + g.fingerprint;
    for (const auto& s : g.sinks) {
      p.sinks.push_back(sink_by_name.at(s));
      p.fingerprint += "sink " + s + "\n" + sink_by_name.at(s)->fingerprint + "channel\n" +
                       channel_fp[sink_by_name.at(s)->channel] +
                       dead_letter_fp(*sink_by_name.at(s));
      grouped.insert(s);
    }
    runner_plans["group:" + g.name] = std::move(p);
  }
  for (const auto& s : cfg.sinks) {
    if (grouped.count(s.name)) continue;
    RunnerPlan p;
    p.sinks.push_back(&s);
    p.fingerprint =
        "sink\n" + s.fingerprint + "channel\n" + channel_fp[s.channel] + dead_letter_fp(s);
    runner_plans["sink:" + s.name] = std::move(p);
  }
  std::map<std::string, std::string> source_fp;
  for (const auto& src : cfg.sources) {
    std::string fp = src.fingerprint;
    for (const auto& c : src.channels)
      fp += "channel " + c + "\n" + channel_fp[c];
    source_fp[src.name] = fp;
  }

  // 1. Stop sources that changed or went away.
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto want = source_fp.find(it->first);
    if (want != source_fp.end() && want->second == it->second.fingerprint) {
      ++it;
      continue;
    }
    it->second.source->stop();
    drop_metrics(it->second.metrics);
    stats_.stopped++;
    it = sources_.erase(it);
  }
  // 2. Stop sink runners that changed or went away (they drain nothing: their channels stay).
  for (auto it = runners_.begin(); it != runners_.end();) {
    auto want = runner_plans.find(it->first);
    if (want != runner_plans.end() && want->second.fingerprint == it->second.fingerprint) {
      ++it;
      continue;
    }
    for (auto& runner : it->second.runners)
      runner->stop(std::chrono::milliseconds(0));
    for (const auto& m : it->second.metrics)
      drop_metrics(m);
    stats_.stopped++;
    it = runners_.erase(it);
  }
  // 3. Channels: keep unchanged ones (with their events); a changed one of the same type is
  //    reconfigured in place if it can be; otherwise it is replaced, and the events of a
  //    memory channel move into its replacement. Nothing a source had committed is dropped.
  std::map<std::string, const ComponentConfig*> channel_cfg;
  for (const auto& c : cfg.channels)
    channel_cfg[c.name] = &c;
  std::map<std::string, RunningChannel> retiring;  // replaced, with events to move
  for (auto it = channels_.begin(); it != channels_.end();) {
    auto want = channel_cfg.find(it->first);
    if (want != channel_cfg.end() && want->second->fingerprint == it->second.fingerprint) {
      ++it;
      continue;
    }
    RunningChannel& rc = it->second;
    if (want != channel_cfg.end() && want->second->plugin->name == rc.type &&
        rc.channel->reconfigure(want->second->options.get())) {
      spdlog::info("channel {}: new settings applied in place ({} events kept)", it->first,
                   rc.channel->size());
      rc.fingerprint = want->second->fingerprint;
      stats_.reconfigured++;
      ++it;
      continue;
    }
    const size_t left = rc.channel->size();
    if (want != channel_cfg.end() && left > 0 && !rc.channel->durable()) {
      retiring[it->first] = std::move(rc);
      it = channels_.erase(it);
      continue;
    }
    if (left > 0 && !rc.channel->durable())
      spdlog::error(
          "channel {} is removed from the conf with {} events in it (memory channel: "
          "they are lost)",
          it->first, left);
    rc.channel->stop();
    drop_metrics(rc.metrics);
    stats_.stopped++;
    it = channels_.erase(it);
  }
  Status result = Status::ok();
  auto note = [&](const Status& s, const std::string& what) {
    if (s) return;
    spdlog::error("{}: {}", what, s.message());
    if (result) result = make_error(s.code(), what + ": " + s.message());
  };
  for (const auto& cc : cfg.channels) {
    if (channels_.count(cc.name)) {
      stats_.kept++;
      continue;
    }
    RunningChannel rc;
    rc.fingerprint = cc.fingerprint;
    rc.type = cc.plugin->name;
    auto old = retiring.find(cc.name);
    rc.channel = build_channel(cc, rc.metrics);
    Status s;
    {
      util::ThreadNameScope naming(util::thread_name("chan-", cc.name));  // its workers' names
      s = rc.channel->start();
    }
    if (s && old != retiring.end() && !move_events(*old->second.channel, *rc.channel)) {
      // What did not fit stays where it is: the old channel keeps running under its old
      // settings (and the next reload tries again) rather than lose a committed event.
      rc.channel->stop();
      drop_metrics(rc.metrics);
      spdlog::error(
          "channel {}: its {} events do not fit the new settings; it keeps its old "
          "settings until a reload after the sinks have drained it",
          cc.name, old->second.channel->size());
      channels_[cc.name] = std::move(old->second);
      retiring.erase(old);
      stats_.kept++;
      continue;
    }
    if (old != retiring.end()) {
      spdlog::info("channel {}: replaced; its events moved to the new one", cc.name);
      old->second.channel->stop();
      drop_metrics(old->second.metrics);
      retiring.erase(old);
    }
    note(s, "channel " + cc.name);
    if (!s) {
      drop_metrics(rc.metrics);
      continue;
    }
    rc.metrics->mark_started();
    channels_[cc.name] = std::move(rc);
    stats_.started++;
  }
  // 4. Sink runners, then sources.
  for (auto& [name, plan] : runner_plans) {
    if (runners_.count(name)) {
      stats_.kept++;
      continue;
    }
    bool ready = true;
    for (const SinkConfig* sc : plan.sinks)
      ready = ready && channel(sc->channel) &&
              (sc->dead_letter_channel.empty() || channel(sc->dead_letter_channel));
    if (!ready) continue;  // its channel failed to start: reported above
    RunningRunner rr =
        build_runner(plan.group ? plan.group->name : plan.sinks[0]->name, plan.sinks, plan.group);
    rr.fingerprint = plan.fingerprint;
    Status s;
    for (auto& runner : rr.runners)
      if (s) s = runner->start();
    if (!s)  // workers that did start stop again
      for (auto& runner : rr.runners)
        runner->stop(std::chrono::milliseconds(0));
    note(s, "sink runner " + name);
    if (!s) {
      for (const auto& m : rr.metrics)
        drop_metrics(m);
      continue;
    }
    runners_[name] = std::move(rr);
    stats_.started++;
  }
  for (const auto& src : cfg.sources) {
    if (sources_.count(src.name)) {
      stats_.kept++;
      continue;
    }
    bool ready = true;
    for (const auto& c : src.channels)
      ready = ready && channel(c);
    if (!ready) continue;
    RunningSource rs = build_source(src);
    rs.fingerprint = source_fp[src.name];
    Status s = rs.source->start();
    note(s, "source " + src.name);
    if (!s) {
      drop_metrics(rs.metrics);
      continue;
    }
    sources_[src.name] = std::move(rs);
    stats_.started++;
  }
  // The live page draws what was configured; what failed to start shows there without metrics.
  metrics_->set_topology_json(format_topology_json(topology_of(cfg)));
  spdlog::info(
      "agent {}: {} sources, {} channels, {} sink runners ({} started, {} stopped, {} "
      "kept running{})",
      name_, sources_.size(), channels_.size(), runners_.size(), stats_.started, stats_.stopped,
      stats_.kept,
      stats_.reconfigured ? ", " + std::to_string(stats_.reconfigured) + " reconfigured in place"
                          : std::string());
  return result;
}

bool Agent::stop(std::chrono::milliseconds drain_timeout) {
  if (sources_.empty() && runners_.empty() && channels_.empty()) return true;
  for (auto& [n, s] : sources_)
    s.source->stop();
  // Sinks drain in parallel until one deadline: every runner is still delivering while the
  // ones before it in this loop are stopped (and retries with back-off if its sink fails).
  const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  for (auto& [n, r] : runners_) {
    for (auto& runner : r.runners) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) left = std::chrono::milliseconds(0);
      (void)runner->stop(left);
    }
  }
  // What decides is what is left, not what the runners said: every transaction is closed now,
  // so a channel's size is exactly what was not delivered.
  size_t lost = 0, kept = 0;
  for (auto& [n, c] : channels_) {
    const size_t left = c.channel->size();
    if (left > 0 && !c.channel->durable()) {
      spdlog::error("channel {} stops with {} undelivered events (memory channel: they are lost)",
                    n, left);
      lost += left;
    } else if (left > 0) {
      spdlog::info("channel {} stops with {} undelivered events, kept on disk for the next start",
                   n, left);
      kept += left;
    }
    c.channel->stop();
    c.metrics->mark_stopped();
  }
  const bool drained = lost == 0;
  // Scrapes must not reach components (or sink-group state lambdas) that are about to go.
  for (auto& [n, s] : sources_)
    drop_metrics(s.metrics);
  for (auto& [n, r] : runners_)
    for (const auto& m : r.metrics)
      drop_metrics(m);
  for (auto& [n, c] : channels_)
    drop_metrics(c.metrics);
  sources_.clear();
  runners_.clear();
  channels_.clear();
  if (drained)
    spdlog::info("agent {} stopped{}", name_,
                 kept ? " (" + std::to_string(kept) + " events kept in durable channels)" : "");
  else
    spdlog::error("agent {} stopped before its sinks drained the channels: {} events lost", name_,
                  lost);
  return drained;
}

}  // namespace flumen::runtime
