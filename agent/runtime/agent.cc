#include "agent/runtime/agent.h"

#include <spdlog/spdlog.h>

#include <map>

namespace flumen::runtime {

using namespace pipeline;

Agent::Agent(AgentConfig config, std::shared_ptr<metrics::MetricsRegistry> metrics)
    : config_(std::move(config)), metrics_(std::move(metrics)) {}

Agent::~Agent() {
  stop(std::chrono::milliseconds(0));
  // Scrapes must not reach components (or sink-group state lambdas) that are about to go.
  for (const auto& m : created_metrics_)
    metrics_->remove(m.get());
}

std::shared_ptr<metrics::ComponentMetrics> Agent::create_metrics(const std::string& type,
                                                                 const std::string& name) {
  auto m = metrics_->create(type, name);
  created_metrics_.push_back(m);
  return m;
}

Channel* Agent::channel(const std::string& name) const {
  for (const auto& c : channels_)
    if (c->name() == name) return c.get();
  return nullptr;
}

Status Agent::build() {
  for (const auto& cc : config_.channels) {
    auto m = create_metrics("CHANNEL", cc.name);
    channels_.push_back(cc.plugin->make_channel(cc.name, cc.options.get(), m));
    channel_metrics_.push_back(m);
  }
  std::map<std::string, Sink*> sink_by_name;
  std::map<std::string, Channel*> channel_of_sink;
  for (const auto& sc : config_.sinks) {
    auto sink = sc.plugin->make_sink(sc.name, sc.options.get());
    sink->attach_metrics(create_metrics("SINK", sc.name));
    sink_by_name[sc.name] = sink.get();
    channel_of_sink[sc.name] = channel(sc.channel);
    sinks_.push_back(std::move(sink));
  }
  auto slot_for = [&](const std::string& sink) {
    auto slot = std::make_unique<SinkSlot>();
    slot->sink = sink_by_name.at(sink);
    slot->channel = channel_of_sink.at(sink);
    return slot;
  };
  std::map<std::string, bool> grouped;
  for (const auto& g : config_.sink_groups) {
    std::unique_ptr<SinkProcessor> proc;
    if (g.processor == "failover") {
      std::vector<FailoverSinkProcessor::Member> members;
      for (const auto& s : g.sinks)
        members.push_back({slot_for(s), g.priorities.at(s)});
      proc = std::make_unique<FailoverSinkProcessor>(
          std::move(members), std::chrono::milliseconds(g.failover.max_penalty_ms));
    } else if (g.processor == "load_balance") {
      std::vector<std::unique_ptr<SinkSlot>> slots;
      for (const auto& s : g.sinks)
        slots.push_back(slot_for(s));
      proc = std::make_unique<LoadBalancingSinkProcessor>(
          std::move(slots),
          g.load_balance.selector == "random" ? LoadBalancingSinkProcessor::Policy::kRandom
                                              : LoadBalancingSinkProcessor::Policy::kRoundRobin,
          g.load_balance.backoff, std::chrono::milliseconds(g.load_balance.max_timeout_ms));
    } else {
      proc = std::make_unique<DefaultSinkProcessor>(slot_for(g.sinks.at(0)));
    }
    for (const auto& s : g.sinks)
      grouped[s] = true;
    auto gm = create_metrics("SINKGROUP", g.name);
    SinkProcessor* raw = proc.get();
    gm->attribute("ProcessorType", [raw] { return std::string(raw->type()); });
    gm->attribute("State", [raw] { return raw->state(); });
    runners_.push_back(std::make_unique<SinkRunner>(g.name, std::move(proc)));
    // The state lambdas point into the processor; ~Agent removes this entry from the registry
    // before the runner (and its processor) is destroyed.
  }
  for (const auto& sc : config_.sinks) {
    if (grouped.count(sc.name)) continue;
    runners_.push_back(std::make_unique<SinkRunner>(
        sc.name, std::make_unique<DefaultSinkProcessor>(slot_for(sc.name))));
  }
  for (const auto& src : config_.sources) {
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
    auto processor =
        std::make_shared<ChannelProcessor>(std::move(selector), std::move(interceptors));
    auto source = src.plugin->make_source(src.name, src.options.get());
    auto m = create_metrics("SOURCE", src.name);
    processor->set_optional_failure_counter(&m->counter("OptionalChannelWriteFail"));
    source->attach(processor, m);
    sources_.push_back(std::move(source));
  }
  return Status::ok();
}

Status Agent::start() {
  if (Status s = build(); !s) return s;
  for (auto& c : channels_) {
    if (Status s = c->start(); !s) {
      stop(std::chrono::milliseconds(0));
      return make_error(s.code(), "channel " + c->name() + ": " + s.message());
    }
  }
  for (auto& m : channel_metrics_)
    m->mark_started();
  running_ = true;
  for (auto& r : runners_) {
    if (Status s = r->start(); !s) {
      stop(std::chrono::milliseconds(0));
      return s;
    }
  }
  for (auto& src : sources_) {
    if (Status s = src->start(); !s) {
      stop(std::chrono::milliseconds(0));
      return make_error(s.code(), "source " + src->name() + ": " + s.message());
    }
    ++started_sources_;
  }
  spdlog::info("agent {} started: {} sources, {} channels, {} sink runners", config_.name,
               sources_.size(), channels_.size(), runners_.size());
  return Status::ok();
}

bool Agent::stop(std::chrono::milliseconds drain_timeout) {
  if (!running_) return true;
  running_ = false;
  for (size_t i = started_sources_; i-- > 0;)
    sources_[i]->stop();
  started_sources_ = 0;
  // Sinks drain in parallel: each runner gets the same deadline.
  const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  bool drained = true;
  for (auto& r : runners_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    drained = r->stop(left) && drained;
  }
  for (auto& c : channels_) {
    size_t left = c->size();
    if (left > 0 && !c->durable())
      spdlog::warn("channel {} stops with {} undelivered events (memory channel: they are lost)",
                   c->name(), left);
    c->stop();
  }
  for (auto& m : channel_metrics_)
    m->mark_stopped();
  spdlog::info("agent {} stopped{}", config_.name, drained ? "" : " (drain timed out)");
  return drained;
}

}  // namespace flumen::runtime
