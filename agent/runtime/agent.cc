#include "agent/runtime/agent.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

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
  return cc.plugin->make_channel(cc.name, cc.options.get(), m);
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
  if (!g) {
    const SinkConfig* sc = sinks.at(0);
    for (size_t w = 0; w < r.sinks.size(); ++w) {
      auto slot = std::make_unique<SinkSlot>();
      slot->sink = r.sinks[w].get();
      slot->channel = channel(sc->channel);
      r.runners.push_back(std::make_unique<SinkRunner>(
          r.sinks.size() > 1 ? name + "#" + std::to_string(w + 1) : name,
          std::make_unique<DefaultSinkProcessor>(std::move(slot))));
    }
    return r;
  }
  auto slot_for = [&](const std::string& s) {
    auto slot = std::make_unique<SinkSlot>();
    slot->sink = by_name.at(s).first;
    slot->channel = by_name.at(s).second;
    return slot;
  };
  std::unique_ptr<SinkProcessor> proc;
  if (g->processor == "failover") {
    std::vector<FailoverSinkProcessor::Member> members;
    for (const auto& s : g->sinks)
      members.push_back({slot_for(s), g->priorities.at(s)});
    proc = std::make_unique<FailoverSinkProcessor>(
        std::move(members), std::chrono::milliseconds(g->failover.max_penalty_ms));
  } else if (g->processor == "load_balance") {
    std::vector<std::unique_ptr<SinkSlot>> slots;
    for (const auto& s : g->sinks)
      slots.push_back(slot_for(s));
    proc = std::make_unique<LoadBalancingSinkProcessor>(
        std::move(slots),
        g->load_balance.selector == "random" ? LoadBalancingSinkProcessor::Policy::kRandom
                                             : LoadBalancingSinkProcessor::Policy::kRoundRobin,
        g->load_balance.backoff, std::chrono::milliseconds(g->load_balance.max_timeout_ms));
  } else {
    proc = std::make_unique<DefaultSinkProcessor>(slot_for(sinks.at(0)->name));
  }
  // The state lambdas point into the processor; the entry is removed from the registry before
  // the runner (and its processor) is destroyed.
  auto gm = metrics_->create("SINKGROUP", g->name);
  SinkProcessor* raw = proc.get();
  gm->attribute("ProcessorType", [raw] { return std::string(raw->type()); });
  gm->attribute("State", [raw] { return raw->state(); });
  r.metrics.push_back(gm);
  r.runners.push_back(std::make_unique<SinkRunner>(name, std::move(proc)));
  return r;
}

Agent::RunningSource Agent::build_source(const SourceConfig& src) {
  RunningSource rs;
  std::vector<Channel*> chans;
  for (const auto& c : src.channels)
    chans.push_back(channel(c));
  auto lookup = [&](const std::vector<std::string>& names) {
    std::vector<Channel*> out;
    for (const auto& n : names)
      if (Channel* c = channel(n)) out.push_back(c);
    return out;
  };
  std::unique_ptr<ChannelSelector> selector;
  if (src.selector.type == "multiplexing") {
    const auto& mo = src.selector.multiplexing;
    std::map<std::string, MultiplexingSelector::Rule> rules;
    for (const auto& [value, list] : mo.mapping)
      rules[value].required = lookup(config::split_words(list));
    for (const auto& [value, list] : mo.optional)
      rules[value].optional = lookup(config::split_words(list));
    selector = std::make_unique<MultiplexingSelector>(mo.header, std::move(rules),
                                                      lookup(mo.default_channels), chans);
  } else {
    std::vector<Channel*> required, optional;
    const auto& opt = src.selector.replicating.optional;
    for (const auto& c : src.channels)
      (std::find(opt.begin(), opt.end(), c) != opt.end() ? optional : required)
          .push_back(channel(c));
    selector = std::make_unique<ReplicatingSelector>(std::move(required), std::move(optional));
  }
  std::vector<std::unique_ptr<Interceptor>> interceptors;
  for (const auto& ic : src.interceptors)
    interceptors.push_back(ic.plugin->make_interceptor(ic.options.get()));
  auto processor = std::make_shared<ChannelProcessor>(std::move(selector), std::move(interceptors));
  rs.source = src.plugin->make_source(src.name, src.options.get());
  rs.metrics = metrics_->create("SOURCE", src.name);
  processor->set_optional_failure_counter(&rs.metrics->counter("OptionalChannelWriteFail"));
  rs.source->attach(processor, rs.metrics);
  return rs;
}

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
                       channel_fp[sink_by_name.at(s)->channel];
      grouped.insert(s);
    }
    runner_plans["group:" + g.name] = std::move(p);
  }
  for (const auto& s : cfg.sinks) {
    if (grouped.count(s.name)) continue;
    RunnerPlan p;
    p.sinks.push_back(&s);
    p.fingerprint = "sink\n" + s.fingerprint + "channel\n" + channel_fp[s.channel];
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
  // 3. Channels: keep unchanged ones (with their events), replace the rest.
  for (auto it = channels_.begin(); it != channels_.end();) {
    auto want = channel_fp.find(it->first);
    if (want != channel_fp.end() && want->second == it->second.fingerprint) {
      ++it;
      continue;
    }
    size_t left = it->second.channel->size();
    if (left > 0 && !it->second.channel->durable())
      spdlog::warn("channel {} is replaced with {} events in it (memory channel: they are lost)",
                   it->first, left);
    it->second.channel->stop();
    drop_metrics(it->second.metrics);
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
    rc.channel = build_channel(cc, rc.metrics);
    Status s = rc.channel->start();
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
      ready = ready && channel(sc->channel);
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
  spdlog::info(
      "agent {}: {} sources, {} channels, {} sink runners ({} started, {} stopped, {} "
      "kept running)",
      name_, sources_.size(), channels_.size(), runners_.size(), stats_.started, stats_.stopped,
      stats_.kept);
  return result;
}

bool Agent::stop(std::chrono::milliseconds drain_timeout) {
  if (sources_.empty() && runners_.empty() && channels_.empty()) return true;
  for (auto& [n, s] : sources_)
    s.source->stop();
  // Sinks drain in parallel: each runner gets the same deadline.
  const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  bool drained = true;
  for (auto& [n, r] : runners_) {
    for (auto& runner : r.runners) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) left = std::chrono::milliseconds(0);
      drained = runner->stop(left) && drained;
    }
  }
  for (auto& [n, c] : channels_) {
    size_t left = c.channel->size();
    if (left > 0 && !c.channel->durable())
      spdlog::warn("channel {} stops with {} undelivered events (memory channel: they are lost)", n,
                   left);
    c.channel->stop();
    c.metrics->mark_stopped();
  }
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
  spdlog::info("agent {} stopped{}", name_, drained ? "" : " (drain timed out)");
  return drained;
}

}  // namespace flumen::runtime
