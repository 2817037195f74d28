#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>

#include "agent/config/property_table.h"
#include "agent/metrics/http_endpoint.h"
#include "agent/runtime/agent.h"
#include "agent/runtime/config_loader.h"
#include "agent/runtime/config_summary.h"
#include "agent/runtime/loop_thread.h"
#include "cli/commands.h"
#include "cli/control_loop.h"
#include "cli/log_options.h"
#include "cli/process_environment.h"
#include "cli/reloadable_agent.h"
#include "plugins/registry.h"

namespace flumen::cli {

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
  Status start(const std::string& agent, const std::string& bind, int port,
               std::shared_ptr<const net::TlsContext> tls) {
    return loop_.start([&]() -> Status {
      endpoint_ = std::make_unique<metrics::HttpEndpoint>(loop_.loop(), agent, registry_, mode_);
      Status s = endpoint_->listen(bind, port, tls);
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

// Optional TLS for the metrics endpoint, from system properties (-D): flumen.monitoring.tls.cert
// and .key (PEM), and .ca to require client certificates signed by it.
Result<std::shared_ptr<const net::TlsContext>> metrics_tls(
    const std::map<std::string, std::string>& props) {
  auto get = [&](const char* k) {
    auto it = props.find(std::string("flumen.monitoring.tls.") + k);
    return it == props.end() ? std::string() : it->second;
  };
  net::TlsConfig c;
  c.cert_file = get("cert");
  c.key_file = get("key");
  c.ca_file = get("ca");
  c.require_client_cert = !c.ca_file.empty();
  if (c.cert_file.empty() && c.key_file.empty() && c.ca_file.empty())
    return std::shared_ptr<const net::TlsContext>{};
  auto ctx = net::TlsContext::make(net::TlsRole::kServer, c);
  if (!ctx) return ctx.error();
  return std::shared_ptr<const net::TlsContext>(ctx.value());
}

std::string joined_paths(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files)
    out += (out.empty() ? "" : ", ") + f;
  return out;
}

}  // namespace

int run_agent(const AgentArgs& args) {
  auto sys_props = parse_defines(args.defines);
  if (int rc = start_logging(args.log, sys_props); rc != kExitOk) return rc;
  spdlog::info("flumen {} ({} build), agent '{}' from {}, pid {}", kVersion, kBuildType, args.name,
               joined_paths(args.conf_files), static_cast<long>(::getpid()));
  // Before any thread starts: they inherit the mask that leaves the signals to this thread.
  ProcessEnvironment env(args.conf_files);

  auto load = [&](config::Diagnostics& diags) {
    diags.set_strict(args.strict);
    return runtime::load_agent_config(args.conf_files, args.name, sys_props,
                                      plugins::builtin_registry(), diags);
  };
  config::Diagnostics diags;
  auto cfg = load(diags);
  log_diagnostics(diags);
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
    auto tls = metrics_tls(sys_props);
    if (!tls) {
      spdlog::error("metrics endpoint: {}", tls.status().message());
      return kExitBadConfig;
    }
    metrics_server = std::make_unique<MetricsServer>(registry, metrics_mode);
    if (Status s = metrics_server->start(args.name, args.metrics_bind, metrics_port, tls.value());
        !s) {
      spdlog::error("metrics endpoint: {}", s.message());
      return kExitStartFailed;
    }
    spdlog::info("metrics on http{}://{}:{}/metrics", tls.value() ? "s" : "", args.metrics_bind,
                 metrics_server->port());
  }

  // Startup is a reload from an empty pipeline: the same diff-and-apply path.
  spdlog::info("building {}", runtime::describe_pipeline(*cfg));
  runtime::Fingerprints running = runtime::fingerprints_of(*cfg);
  runtime::Agent agent(registry);
  if (Status s = agent.apply(std::move(*cfg)); !s) {
    spdlog::error("agent {} failed to start: {}", args.name, s.message());
    agent.stop(std::chrono::milliseconds(0));
    return kExitStartFailed;
  }
  ReloadableAgent pipeline(agent, std::move(running), load);
  ControlOptions options;
  options.conf_files = args.conf_files;
  options.reload_conf = args.reload_conf;
  options.poll_interval = std::chrono::seconds(args.poll_interval_s);
  options.drain_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(args.drain_timeout_s * 1000));
  const int rc = run_control_loop(env, pipeline, options);
  metrics_server.reset();
  return rc;
}

}  // namespace flumen::cli
