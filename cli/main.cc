// flumen: one binary, several subcommands.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "agent/config/properties.h"
#include "agent/util/fd_limit.h"
#include "cli/commands.h"
#include "cli/log_options.h"
#include "cli/tap_command.h"
#include "cli/top_command.h"

int main(int argc, char** argv) {
  using namespace flumen::cli;
  CLI::App app{"flumen: a Flume-compatible log collection agent"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("flumen ") + kVersion);

  AgentArgs args;
  auto add_conf_options = [&args](CLI::App* cmd, bool name_required) {
    cmd->add_option("-f,--conf-file", args.conf_files,
                    "Configuration file (repeatable; later files override earlier keys)")
        ->required()
        ->check(CLI::ExistingFile);
    auto* name = cmd->add_option("-n,--name", args.name,
                                 name_required ? "Name of the agent to run"
                                               : "Name of the agent to check (default: every one)");
    if (name_required) name->required();
    cmd->add_option("-c,--conf", args.conf_dir, "Flume's conf directory (accepted, not used)");
    cmd->add_option("-D", args.defines,
                    "System property key=value, e.g. -Dflume.monitoring.type=http "
                    "-Dflume.monitoring.port=41414; also ${sys:key} in the conf");
    cmd->add_flag("--strict", args.strict,
                  "Treat warnings (keys Flume would ignore, components it would drop) as errors");
  };

  auto* agent = app.add_subcommand("agent", "Run an agent");
  add_conf_options(agent, true);
  agent->add_option("--metrics-port", args.metrics_port,
                    "Serve /metrics (Flume JSON) and /metrics?format=prometheus on this port "
                    "(0 = any free port)");
  agent->add_option("--metrics-bind", args.metrics_bind, "Address of the metrics endpoint")
      ->capture_default_str();
  agent
      ->add_option("--drain-timeout", args.drain_timeout_s,
                   "Seconds the sinks get to drain the channels on SIGTERM/SIGINT")
      ->capture_default_str();
  agent
      ->add_option("-i,--poll-interval", args.poll_interval_s,
                   "Seconds between checks of the conf files for changes (SIGHUP reloads at once)")
      ->capture_default_str();
  bool no_reload = false;
  agent->add_flag("--no-reload-conf", no_reload, "Do not reload when the conf files change");
  add_log_options(agent, args.log);

  auto* check = app.add_subcommand(
      "check", "Validate a configuration as start would; exit 1 on errors (warnings: exit 0)");
  add_conf_options(check, false);
  std::string graph;
  check->add_option("--graph", graph, "Print the topology as a Graphviz (dot) or Mermaid graph")
      ->check(CLI::IsMember({"dot", "mermaid"}));

  PluginsArgs plugins_args;
  auto* plugins = app.add_subcommand("plugins", "List every plugin and its properties");
  plugins->add_option("name", plugins_args.name,
                      "Only this plugin (e.g. taildir, kafka, failover), every kind of that name");
  auto* markdown_flag = plugins->add_flag("--markdown", plugins_args.markdown,
                                          "Print the reference as Markdown (docs/reference/)");
  plugins->add_flag("--json", plugins_args.json, "Print a JSON schema of every plugin and key")
      ->excludes(markdown_flag);

  std::string repair_dir;
  auto* repair = app.add_subcommand(
      "repair-channel", "Salvage a damaged file channel database (run with the agent stopped)");
  repair->add_option("dir", repair_dir, "The channel's dataDirs directory")
      ->required()
      ->check(CLI::ExistingDirectory);

  SimArgs sim_args;
  add_sim_commands(app, sim_args);

  BrokerArgs broker_args;
  add_broker_command(app, broker_args);

  std::function<int()> run_client;
  auto* avro_client = add_avro_client_command(app, run_client);

  std::function<int()> run_top;
  auto* top = add_top_command(app, run_top);
  std::function<int()> run_tap;
  auto* tap = add_tap_command(app, run_tap);

  auto* version = app.add_subcommand("version", "Print the version");

  // CLI11 only says "A subcommand is required" for `flumen agnet`: name it and the nearest one.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::cerr << "flumen: unknown subcommand '" << argv[1] << "'";
      std::string near = flumen::config::nearest(argv[1], names);
      if (!near.empty()) std::cerr << "; did you mean '" << near << "'?";
      std::cerr << "\nRun with --help for the list of subcommands.\n";
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  // The daemons (agent, broker) hold a descriptor per connection, tailed file and segment.
  if (*agent || *broker_args.cmd) flumen::util::raise_open_files_limit();
  if (*agent) {
    args.reload_conf = !no_reload;
    return run_agent(args);
  }
  if (*check) return run_check(args, graph);
  if (*plugins) return run_plugins(plugins_args);
  if (*repair) return run_repair_channel(repair_dir);
  if (*broker_args.cmd) return run_broker(broker_args);
  if (*avro_client) return run_client();
  if (*top) return run_top();
  if (*tap) return run_tap();
  if (sim_args.status_cmd && (*sim_args.status_cmd || *sim_args.drive_cmd))
    return run_sim(sim_args);
  if (*version) {
    std::cout << "flumen " << kVersion << " (" << kBuildType << ")\n";
    return kExitOk;
  }
  return kExitUsage;
}
