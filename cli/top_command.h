#pragma once
// `flumen top [--agent host:port]...`: a live terminal view of agents and brokers through their
// metrics endpoints (what it shows: top_view.h). On a terminal it redraws in place (the
// alternate screen, plain ANSI sequences) every --interval seconds; keys: s cycles the sort,
// r reverses it, q or Ctrl-C quits and gives the terminal back as it was. When stdout is not a
// terminal (or with --once) it prints one snapshot, rates measured over one interval.

#include <functional>

namespace CLI {
class App;
}

namespace flumen::cli {

// Adds the subcommand; `run` is what to call when it was chosen.
CLI::App* add_top_command(CLI::App& app, std::function<int()>& run);

}  // namespace flumen::cli
