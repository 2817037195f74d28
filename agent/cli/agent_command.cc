#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>
#include <memory>

#include "agent/cli/commands.h"
#include "agent/config/property_table.h"
#include "agent/metrics/http_endpoint.h"
#include "agent/runtime/agent.h"
#include "agent/runtime/config_loader.h"
#include "agent/runtime/loop_thread.h"
#include "plugins/registry.h"

namespace flumen::cli {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("flumen");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

namespace {

// The metrics endpoint runs on a loop thread of its own, so a slow scraper never touches the
// data path.
class MetricsServer {
 public:
  MetricsServer(std::shared_ptr<metrics::MetricsRegistry> registry, metrics::MetricsMode mode)
      : registry_(std::move(registry)), mode_(mode), loop_("metrics") {}
  ~MetricsServer() {
    loop_.stop([this] { endpoint_.reset(); });
  }
  Status start(const std::string& agent, const std::string& bind, int port) {
    return loop_.start([&]() -> Status {
      endpoint_ = std::make_unique<metrics::HttpEndpoint>(
          loop_.loop(), agent, [this] { return registry_->snapshot(); }, mode_);
      Status s = endpoint_->listen(bind, port);
      if (!s) endpoint_.reset();
      return s;
    });
  }
  int port() const { return endpoint_ ? endpoint_->bound_port() : 0; }

 private:
  std::shared_ptr<metrics::MetricsRegistry> registry_;
  metrics::MetricsMode mode_;
  runtime::LoopThread loop_;
  std::unique_ptr<metrics::HttpEndpoint> endpoint_;
};

std::vector<int64_t> conf_mtimes(const std::vector<std::string>& files) {
  std::vector<int64_t> out;
  for (const auto& f : files) {
    struct stat st {};
    out.push_back(::stat(f.c_str(), &st) == 0
                      ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec
                      : -1);
  }
  return out;
}

// A new configuration is applied only when it validates completely; otherwise the running
// pipeline keeps going and the problems are logged.
void reload_agent(runtime::Agent& agent, const AgentArgs& args,
                  const std::map<std::string, std::string>& sys_props) {
  config::Diagnostics diags;
  diags.set_strict(args.strict);
  auto cfg = runtime::load_agent_config(args.conf_files, args.name, sys_props,
                                        plugins::builtin_registry(), diags);
  for (const auto& d : diags.sorted()) {
    if (d.severity == config::Severity::kError)
      spdlog::error("{}", config::Diagnostics::format_one(d));
    else
      spdlog::warn("{}", config::Diagnostics::format_one(d));
  }
  if (!cfg) {
    spdlog::error("reload refused: {} configuration error(s); the running pipeline is unchanged",
                  diags.error_count());
    return;
  }
  if (Status s = agent.apply(std::move(*cfg)); !s)
    spdlog::error("reload applied with errors: {}", s.message());
  else
    spdlog::info("reload applied");
}

}  // namespace

int run_agent(const AgentArgs& args) {
  setup_logging(args.log_level);
  // Signals are handled by this thread with sigwait; every thread started from here on inherits
  // the blocked mask, so no other thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto sys_props = parse_defines(args.defines);
  config::Diagnostics diags;
  diags.set_strict(args.strict);
  auto cfg = runtime::load_agent_config(args.conf_files, args.name, sys_props,
                                        plugins::builtin_registry(), diags);
  for (const auto& d : diags.sorted()) {
    if (d.severity == config::Severity::kError)
      spdlog::error("{}", config::Diagnostics::format_one(d));
    else
      spdlog::warn("{}", config::Diagnostics::format_one(d));
  }
  if (!cfg) {
    spdlog::error("{} configuration error(s): agent '{}' not started", diags.error_count(),
                  args.name);
    return kExitBadConfig;
  }
  if (!cfg->dropped.empty()) {
    std::string list;
    for (const auto& d : cfg->dropped)
      list += (list.empty() ? "" : ", ") + d;
    spdlog::warn("running without what Flume would drop: {}", list);
  }

  int metrics_port = args.metrics_port;
  auto type = sys_props.find("flume.monitoring.type");
  const std::string monitoring = type == sys_props.end() ? "" : config::to_lower(type->second);
  if (metrics_port < 0 && (monitoring == "http" || monitoring == "prometheus")) {
    auto port = sys_props.find("flume.monitoring.port");
    metrics_port = port != sys_props.end() ? std::atoi(port->second.c_str()) : 41414;
  }
  const auto metrics_mode = monitoring == "prometheus" ? metrics::MetricsMode::kFlumePrometheus
                                                       : metrics::MetricsMode::kFlumeJson;

  auto registry = std::make_shared<metrics::MetricsRegistry>();
  std::unique_ptr<MetricsServer> metrics_server;
  if (metrics_port >= 0) {
    metrics_server = std::make_unique<MetricsServer>(registry, metrics_mode);
    if (Status s = metrics_server->start(args.name, args.metrics_bind, metrics_port); !s) {
      spdlog::error("metrics endpoint: {}", s.message());
      return kExitStartFailed;
    }
    spdlog::info("metrics on http://{}:{}/metrics", args.metrics_bind, metrics_server->port());
  }

  // Startup is a reload from an empty pipeline: the same diff-and-apply path.
  runtime::Agent agent(registry);
  if (Status s = agent.apply(std::move(*cfg)); !s) {
    spdlog::error("agent {} failed to start: {}", args.name, s.message());
    agent.stop(std::chrono::milliseconds(0));
    return kExitStartFailed;
  }
  auto mtimes = conf_mtimes(args.conf_files);
  auto next_poll = std::chrono::steady_clock::now() + std::chrono::seconds(args.poll_interval_s);
  for (;;) {
    timespec tick{0, 200'000'000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    bool reload = sig == SIGHUP;
    if (sig < 0 && args.reload_conf && std::chrono::steady_clock::now() >= next_poll) {
      next_poll = std::chrono::steady_clock::now() + std::chrono::seconds(args.poll_interval_s);
      auto now = conf_mtimes(args.conf_files);
      reload = now != mtimes;
      if (reload) spdlog::info("configuration changed on disk: reloading");
    }
    if (reload) {
      mtimes = conf_mtimes(args.conf_files);
      reload_agent(agent, args, sys_props);
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("{}: stopping (sources first, then draining sinks for up to {} s)",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT", args.drain_timeout_s);
      break;
    }
  }
  bool drained =
      agent.stop(std::chrono::milliseconds(static_cast<int64_t>(args.drain_timeout_s * 1000)));
  metrics_server.reset();
  return drained ? kExitOk : kExitDrainTimeout;
}

}  // namespace flumen::cli
