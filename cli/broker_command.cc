#include <CLI/CLI.hpp>

#include <iostream>

#include "agent/runtime/module_loader.h"
#include "broker/broker_main.h"
#include "cli/commands.h"
#include "cli/log_options.h"

namespace flumen::cli {

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
  add_log_options(args.cmd, args.log);
}

int run_broker(const BrokerArgs& args) {
  if (int rc = start_logging(args.log, {}); rc != kExitOk) return rc;
  // The broker lives in its own module, so agents never map RocksDB's broker half or run its
  // initialisers (agent/runtime/module_loader.h).
  auto entry = runtime::module_symbol(broker::kBrokerModule, broker::kBrokerMainSymbol);
  if (!entry) {
    std::cerr << "broker: " << entry.error().message << "\n";
    return kExitStartFailed;
  }
  broker::BrokerLaunch launch;
  launch.data_dir = args.data_dir;
  launch.listen = args.listen;
  launch.advertised = args.advertised;
  launch.conf = args.conf;
  launch.metrics_port = args.metrics_port;
  return reinterpret_cast<broker::BrokerMainFn>(entry.value())(&launch);
}

}  // namespace flumen::cli
