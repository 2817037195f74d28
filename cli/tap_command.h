#pragma once
// `flumen tap --agent host:port COMPONENT [-n N]`: prints a sample of the events passing a
// component of a running agent (headers and body), without taking them from the pipeline. It
// polls the metrics endpoint's /tap (agent/metrics/operator_pages.h): the first request attaches
// a tap, so only events that pass after the command started are shown; the agent drops the tap
// a few seconds after the command ends. Exit 0 once N events were printed, 1 when fewer passed
// before --timeout or the agent answered an error (unknown component, ...).

#include <functional>

namespace CLI {
class App;
}

namespace flumen::cli {

CLI::App* add_tap_command(CLI::App& app, std::function<int()>& run);

}  // namespace flumen::cli
