#pragma once
// null: discards every batch (benchmarks, and draining a channel on purpose).

#include "agent/config/property_table.h"
#include "agent/pipeline/sink.h"

namespace flumen::plugins {

struct NullSinkOptions {
  int64_t batch_size = 100;
};
const config::PropertyTable<NullSinkOptions>& null_sink_table();

class NullSink : public pipeline::Sink {
 public:
  NullSink(std::string name, NullSinkOptions o) : Sink(std::move(name)), options_(o) {}
  size_t batch_size() const override { return static_cast<size_t>(options_.batch_size); }
  pipeline::DeliveryResult deliver(const EventBatch&) override {
    return pipeline::DeliveryResult::delivered();
  }

 private:
  NullSinkOptions options_;
};

}  // namespace flumen::plugins
