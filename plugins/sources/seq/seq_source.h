#pragma once
// seq: generates events whose bodies are 0, 1, 2, ... (Flume's SequenceGeneratorSource). A batch
// that the channel refuses is retried with the same bodies, so downstream can check for gaps and
// duplicates. Runs on a thread of its own; stops after totalEvents.

#include <atomic>
#include <thread>

#include "agent/pipeline/notifier.h"
#include "agent/pipeline/source.h"
#include "plugins/sources/seq/config.h"

namespace flumen::plugins {

class SeqSource : public pipeline::Source {
 public:
  SeqSource(std::string name, SeqSourceOptions options);
  ~SeqSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  void run();

  SeqSourceOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  pipeline::Notifier wake_;
};

}  // namespace flumen::plugins
