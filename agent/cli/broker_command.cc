#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "agent/cli/commands.h"
#include "broker/server/broker_server.h"

namespace flumen::cli {

namespace {

// "host:port" or ":port" or "port".
bool split_host_port(const std::string& s, std::string& host, int& port) {
  auto colon = s.rfind(':');
  try {
    if (colon == std::string::npos) {
      port = std::stoi(s);
    } else {
      if (colon > 0) host = s.substr(0, colon);
      port = std::stoi(s.substr(colon + 1));
    }
  } catch (const std::exception&) {
    return false;
  }
  return port >= 0 && port <= 65535;
}

}  // namespace

void add_broker_command(CLI::App& app, BrokerArgs& args) {
  args.cmd = app.add_subcommand("broker", "Run the bundled single-node broker (Kafka protocol)");
  args.cmd->add_option("--data-dir", args.data_dir, "Where topics and their logs live")->required();
  args.cmd->add_option("--listen", args.listen, "host:port to listen on (port 0 = any free port)")
      ->capture_default_str();
  args.cmd->add_option("--advertised", args.advertised,
                       "host:port clients are told to connect to (default: the listen address)");
  args.cmd->add_option("--conf", args.conf,
                       "Properties file with Kafka's broker keys (num.partitions, "
                       "log.segment.bytes, log.retention.hours, ...)");
  args.cmd->add_option("--metrics-port", args.metrics_port,
                       "Serve /metrics (JSON) and /metrics?format=prometheus on this port of the "
                       "listen address (0 = any free port)");
  args.cmd->add_option("--log-level", args.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
}

int run_broker(const BrokerArgs& args) {
  setup_logging(args.log_level);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  broker::BrokerConfig cfg;
  cfg.data_dir = args.data_dir;
  cfg.metrics_port = args.metrics_port;
  if (!split_host_port(args.listen, cfg.listen_host, cfg.listen_port)) {
    std::cerr << "broker: --listen must be host:port, not '" << args.listen << "'\n";
    return kExitUsage;
  }
  if (!args.advertised.empty() &&
      !split_host_port(args.advertised, cfg.advertised_host, cfg.advertised_port)) {
    std::cerr << "broker: --advertised must be host:port, not '" << args.advertised << "'\n";
    return kExitUsage;
  }
  if (!args.conf.empty()) {
    if (Status s = broker::load_broker_properties(args.conf, cfg); !s) {
      std::cerr << s.message() << "\n";
      return kExitBadConfig;
    }
  }
  broker::BrokerServer server(cfg);
  if (Status s = server.start(); !s) {
    spdlog::error("broker: {}", s.message());
    return kExitStartFailed;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("broker: signal {}, stopping", sig);
  server.stop();
  return kExitOk;
}

}  // namespace flumen::cli
