#include "agent/pipeline/channel_selector.h"

#include <algorithm>

namespace flumen::pipeline {

ReplicatingSelector::ReplicatingSelector(std::vector<Channel*> required,
                                         std::vector<Channel*> optional)
    : required_(std::move(required)), optional_(std::move(optional)) {}

void ReplicatingSelector::route(const EventBatch&, std::vector<RouteTarget>& out) const {
  out.clear();
  for (Channel* c : required_)
    out.push_back({c, false, true, {}});
  for (Channel* c : optional_)
    out.push_back({c, true, true, {}});
}

std::vector<Channel*> ReplicatingSelector::channels() const {
  std::vector<Channel*> all = required_;
  all.insert(all.end(), optional_.begin(), optional_.end());
  return all;
}

MultiplexingSelector::MultiplexingSelector(std::string header, std::map<std::string, Rule> rules,
                                           std::vector<Channel*> default_channels,
                                           std::vector<Channel*> all)
    : header_(std::move(header)),
      rules_(rules.begin(), rules.end()),
      default_(std::move(default_channels)),
      all_(std::move(all)) {}

void MultiplexingSelector::route(const EventBatch& batch, std::vector<RouteTarget>& out) const {
  out.clear();
  // Targets are per channel; an event lands in each channel at most once, in batch order.
  auto target = [&out](Channel* c, bool optional) -> RouteTarget& {
    for (auto& t : out)
      if (t.channel == c && t.optional == optional) return t;
    out.push_back({c, optional, false, {}});
    return out.back();
  };
  for (uint32_t i = 0; i < batch.size(); ++i) {
    auto value = batch.header(i, header_);
    const Rule* rule = nullptr;
    if (value) {
      auto it = rules_.find(*value);
      if (it != rules_.end()) rule = &it->second;
    }
    const std::vector<Channel*>& required =
        (rule && !rule->required.empty()) ? rule->required : default_;
    for (Channel* c : required)
      target(c, false).events.push_back(i);
    if (rule) {
      for (Channel* c : rule->optional) {
        // A channel that is already required for this event is not written twice.
        if (std::find(required.begin(), required.end(), c) != required.end()) continue;
        target(c, true).events.push_back(i);
      }
    }
  }
  std::stable_partition(out.begin(), out.end(), [](const RouteTarget& t) { return !t.optional; });
}

LoadBalancingSelector::LoadBalancingSelector(std::vector<Channel*> channels, Policy policy)
    : channels_(std::move(channels)), policy_(policy), random_(std::random_device{}()) {}

void LoadBalancingSelector::route(const EventBatch& batch, std::vector<RouteTarget>& out) const {
  out.clear();
  if (channels_.empty()) return;
  for (Channel* c : channels_)
    out.push_back({c, false, false, {}});
  for (uint32_t i = 0; i < batch.size(); ++i) {
    size_t pick;
    if (policy_ == Policy::kRandom) {
      pick = random_() % channels_.size();
    } else {
      pick = next_;
      next_ = next_ + 1 == channels_.size() ? 0 : next_ + 1;
    }
    out[pick].events.push_back(i);
  }
  // A channel that got no event of this batch gets no transaction.
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const RouteTarget& t) { return t.events.empty(); }),
      out.end());
}

}  // namespace flumen::pipeline
