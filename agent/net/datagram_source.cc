#include "agent/net/datagram_source.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "agent/pipeline/channel_processor.h"

namespace flumen::net {

DatagramSource::DatagramSource(std::string name, std::string type)
    : Source(std::move(name)), type_(type), loop_(std::move(type)) {}

DatagramSource::~DatagramSource() {
  loop_.stop([this] { receiver_.reset(); });
}

Status DatagramSource::start_receiving(UdpReceiverOptions options) {
  return loop_.start([this, options = std::move(options)]() mutable {
    options.what = type_ + " source " + name();
    receiver_ = std::make_unique<UdpReceiver>(
        loop_.loop(), std::move(options),
        [this](std::string_view datagram, const sockaddr* from) {
          return add(pending_, datagram, from);
        },
        [this] { return commit(); }, counters().event_read_fail,
        &metrics().counter("DatagramDropCount"));
    Status s = receiver_->start(processor().selector().channels());
    if (!s) {
      receiver_.reset();
      return s;
    }
    bound_port_ = receiver_->bound_port();
    return Status::ok();
  });
}

bool DatagramSource::commit() {
  if (pending_.empty()) return true;
  if (!processor().process_batch(pending_).is_ok()) return false;
  pending_.clear();
  return true;
}

void DatagramSource::do_stop() {
  loop_.stop([this] {
    // What was read and not yet committed goes in once more (the channel may have room now).
    if (!commit())
      spdlog::error(
          "{} source {}: {} datagrams read but refused by a full channel are lost at stop", type_,
          name(), pending_.size());
    receiver_.reset();
  });
}

}  // namespace flumen::net
