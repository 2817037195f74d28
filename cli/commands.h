#pragma once
// The flumen subcommands. Each returns the process exit code (cli/exit_codes.h).

#include <functional>
#include <map>

#include "agent/util/logging.h"
#include "cli/exit_codes.h"
#include "simulator/smartcar.h"

namespace CLI {
class App;
}
#include <string>
#include <vector>

namespace flumen::cli {

// Set by the build (cli/CMakeLists.txt).
inline constexpr const char* kVersion = FLUMEN_VERSION;
inline constexpr const char* kBuildType = FLUMEN_BUILD_TYPE;

struct AgentArgs {
  std::vector<std::string> conf_files;
  std::string name;
  std::string conf_dir;              // Flume's -c; accepted, unused (no classpath here)
  std::vector<std::string> defines;  // -Dkey=value (flume.monitoring.type/port honoured)
  int metrics_port = -1;             // -1 = off
  std::string metrics_bind = "127.0.0.1";
  double drain_timeout_s = 10;
  int poll_interval_s = 30;  // Flume's -i: how often the conf files are checked for changes
  bool reload_conf = true;
  util::LogOptions log;
  bool strict = false;  // warnings (what Flume would ignore or drop) are errors
};

std::map<std::string, std::string> parse_defines(const std::vector<std::string>& defines);

int run_agent(const AgentArgs& args);
// Checks the agent named by args.name, or every agent of the files when it is empty; with
// graph "dot" or "mermaid", prints the valid agents' topology to stdout.
int run_check(const AgentArgs& args, const std::string& graph);
struct PluginsArgs {
  std::string name;  // empty: every plugin
  bool markdown = false;
  bool json = false;
};
int run_plugins(const PluginsArgs& args);
int run_repair_channel(const std::string& dir);

struct SimArgs {
  sim::StatusOptions status;
  sim::DriveOptions drive;
  std::string duration;
  CLI::App* status_cmd = nullptr;
  CLI::App* drive_cmd = nullptr;
};
void add_sim_commands(CLI::App& app, SimArgs& args);
int run_sim(SimArgs& args);

struct BrokerArgs {
  std::string data_dir;
  std::string listen = "127.0.0.1:9092";
  std::string advertised;
  std::string conf;
  util::LogOptions log;
  int metrics_port = -1;
  CLI::App* cmd = nullptr;
};
void add_broker_command(CLI::App& app, BrokerArgs& args);

// `flumen avro-client`: sets `run` to what the command does when it was chosen.
CLI::App* add_avro_client_command(CLI::App& app, std::function<int()>& run);
int run_broker(const BrokerArgs& args);

}  // namespace flumen::cli
