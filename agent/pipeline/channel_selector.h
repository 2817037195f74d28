#pragma once
// Channel selectors decide which channels receive each event of a batch.
//  - replicating: every event to every channel; channels named in `optional` may fail without
//    failing the put (counted).
//  - multiplexing: the value of one header picks the channels (mapping.<value>), unmatched events
//    go to `default`; optional.<value> adds optional channels. With neither required nor default
//    channels for an event, only its optional channels are tried (Flume's rules).
//  - load_balancing (Flume 1.10+): each event goes to exactly one channel, picked per event in
//    turn (round_robin) or at random, as Flume's LoadBalancingChannelSelector picks.

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"
#include "agent/pipeline/channel.h"

namespace flumen::pipeline {

// Where the events of one batch go: per target channel, which events (all, or a list).
struct RouteTarget {
  Channel* channel = nullptr;
  bool optional = false;
  bool all_events = true;
  std::vector<uint32_t> events;  // when !all_events, indices in batch order
};

class ChannelSelector {
 public:
  virtual ~ChannelSelector() = default;
  // Fills `out` (cleared first). Required targets come before optional ones.
  virtual void route(const EventBatch& batch, std::vector<RouteTarget>& out) const = 0;
  // Every channel this selector may write to (for wiring and checks).
  virtual std::vector<Channel*> channels() const = 0;
};

class ReplicatingSelector : public ChannelSelector {
 public:
  ReplicatingSelector(std::vector<Channel*> required, std::vector<Channel*> optional);
  void route(const EventBatch& batch, std::vector<RouteTarget>& out) const override;
  std::vector<Channel*> channels() const override;

 private:
  std::vector<Channel*> required_;
  std::vector<Channel*> optional_;
};

class MultiplexingSelector : public ChannelSelector {
 public:
  struct Rule {
    std::vector<Channel*> required;
    std::vector<Channel*> optional;
  };
  MultiplexingSelector(std::string header, std::map<std::string, Rule> rules,
                       std::vector<Channel*> default_channels, std::vector<Channel*> all);
  void route(const EventBatch& batch, std::vector<RouteTarget>& out) const override;
  std::vector<Channel*> channels() const override { return all_; }

 private:
  std::string header_;
  std::map<std::string, Rule, std::less<>> rules_;
  std::vector<Channel*> default_;
  std::vector<Channel*> all_;
};

class LoadBalancingSelector : public ChannelSelector {
 public:
  enum class Policy { kRoundRobin, kRandom };
  LoadBalancingSelector(std::vector<Channel*> channels, Policy policy);
  // Called on the source's thread only (the pick state is not shared between threads).
  void route(const EventBatch& batch, std::vector<RouteTarget>& out) const override;
  std::vector<Channel*> channels() const override { return channels_; }

 private:
  std::vector<Channel*> channels_;
  Policy policy_;
  mutable size_t next_ = 0;
  mutable std::minstd_rand random_;
};

}  // namespace flumen::pipeline
