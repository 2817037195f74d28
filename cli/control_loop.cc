#include "cli/control_loop.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "cli/exit_codes.h"

namespace flumen::cli {

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The conf files whose version differs, for the reload's log line.
std::string changed_files(const std::vector<std::string>& files, const std::vector<int64_t>& before,
                          const std::vector<int64_t>& now) {
  std::vector<std::string> out;
  for (size_t i = 0; i < files.size() && i < before.size() && i < now.size(); ++i)
    if (before[i] != now[i]) out.push_back(files[i]);
  return joined(out);
}

}  // namespace

int run_control_loop(ControlEnvironment& env, ControlledPipeline& pipeline,
                     const ControlOptions& options) {
  auto versions = env.conf_versions();
  auto next_poll = env.now() + options.poll_interval;
  for (;;) {
    const int sig = env.wait_signal(options.tick);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("{}: stopping (sources first, then draining sinks for up to {} s)",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT",
                   std::chrono::duration<double>(options.drain_timeout).count());
      return pipeline.stop(options.drain_timeout) ? kExitOk : kExitDrainTimeout;
    }
    bool reload = false;
    if (sig == SIGHUP) {
      reload = true;
      spdlog::info("SIGHUP: reloading {}", joined(options.conf_files));
    } else if (sig == 0 && options.reload_conf && env.now() >= next_poll) {
      next_poll = env.now() + options.poll_interval;
      auto now = env.conf_versions();
      reload = now != versions;
      if (reload)
        spdlog::info("{} changed on disk: reloading",
                     changed_files(options.conf_files, versions, now));
    }
    if (!reload) continue;
    // Read before the reload: a conf refused now is not retried at every poll, only once it
    // changes again; a change the SIGHUP's reload already read does not reload a second time.
    versions = env.conf_versions();
    pipeline.reload();
  }
}

}  // namespace flumen::cli
