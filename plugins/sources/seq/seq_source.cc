#include "plugins/sources/seq/seq_source.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

SeqSource::SeqSource(std::string name, SeqSourceOptions options)
    : Source(std::move(name)), options_(options) {}

SeqSource::~SeqSource() {
  do_stop();
}

Status SeqSource::do_start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void SeqSource::do_stop() {
  stopping_ = true;
  wake_.notify();
  if (thread_.joinable()) thread_.join();
}

void SeqSource::run() {
  EventBatch batch;
  const size_t body = static_cast<size_t>(options_.body_size);
  batch.reserve(static_cast<size_t>(options_.batch_size),
                static_cast<size_t>(options_.batch_size) * std::max<size_t>(body, 20));
  int64_t next = 0;
  auto backoff = std::chrono::milliseconds(10);
  while (!stopping_.load(std::memory_order_relaxed) && next < options_.total_events) {
    batch.clear();
    const int64_t n = std::min(options_.batch_size, options_.total_events - next);
    for (int64_t i = 0; i < n; ++i) {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, next + i);
      size_t len = static_cast<size_t>(end - digits);
      batch.begin_event();
      batch.append_body({digits, len});
      if (body > len) std::memset(batch.append_body_space(body - len), '.', body - len);
      batch.end_event();
    }
    // Retry the same batch until it is accepted or the source stops: nothing is skipped.
    while (!stopping_.load(std::memory_order_relaxed)) {
      Status s = processor().process_batch(batch);
      if (s.is_ok()) {
        next += n;
        backoff = std::chrono::milliseconds(10);
        break;
      }
      spdlog::debug("seq {}: put failed ({}), retrying", name(), s.message());
      wake_.wait_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }
  if (next >= options_.total_events)
    spdlog::info("seq {}: generated all {} events", name(), options_.total_events);
}

}  // namespace flumen::plugins
