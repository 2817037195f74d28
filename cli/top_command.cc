#include "cli/top_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/http_get.h"
#include "cli/top_view.h"

namespace flumen::cli {

namespace {

using top::Clock;

struct TopArgs {
  std::vector<std::string> agents;
  double interval_s = 1.0;
  bool once = false;
  std::string sort = "pipeline";
};

// ---- the terminal -------------------------------------------------------------------------------
// Raw-ish mode (no echo, no line buffering; Ctrl-C still raises SIGINT), the alternate screen and a
// hidden cursor, all undone on every way out: q, SIGINT/SIGTERM/SIGHUP (a flag and a self-pipe
// wake the loop, which then restores), and Ctrl-Z (the handler restores before stopping and
// re-enters on SIGCONT). The handlers only call async-signal-safe functions.

constexpr char kEnter[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
constexpr char kLeave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";

termios g_saved{};
bool g_raw = false;
int g_wake[2] = {-1, -1};
volatile sig_atomic_t g_quit = 0;
volatile sig_atomic_t g_resized = 0;

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void wake_loop() {
  const char c = 1;
  if (g_wake[1] >= 0) (void)!::write(g_wake[1], &c, 1);
}

void enter_raw() {
  termios raw = g_saved;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  write_all(STDOUT_FILENO, kEnter, sizeof(kEnter) - 1);
}

void leave_raw() {
  write_all(STDOUT_FILENO, kLeave, sizeof(kLeave) - 1);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
}

void on_quit(int) {
  g_quit = 1;
  wake_loop();
}

void on_winch(int) {
  g_resized = 1;
  wake_loop();
}

void on_tstp(int) {
  const int saved_errno = errno;
  if (g_raw) leave_raw();
  ::signal(SIGTSTP, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTSTP);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(SIGTSTP);  // stops here until SIGCONT
  struct sigaction sa {};
  sa.sa_handler = on_tstp;
  ::sigaction(SIGTSTP, &sa, nullptr);
  if (g_raw) enter_raw();
  g_resized = 1;  // redraw everything
  wake_loop();
  errno = saved_errno;
}

class Terminal {
 public:
  Terminal() {
    ::tcgetattr(STDIN_FILENO, &g_saved);
    if (::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
    struct sigaction sa {};
    sa.sa_handler = on_quit;
    for (int s : {SIGINT, SIGTERM, SIGHUP})
      ::sigaction(s, &sa, nullptr);
    sa.sa_handler = on_winch;
    ::sigaction(SIGWINCH, &sa, nullptr);
    sa.sa_handler = on_tstp;
    ::sigaction(SIGTSTP, &sa, nullptr);
    g_raw = true;
    enter_raw();
  }
  ~Terminal() {
    g_raw = false;
    leave_raw();
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s : {SIGTSTP, SIGWINCH})
      ::sigaction(s, &sa, nullptr);
    for (int& fd : g_wake) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }

  static std::pair<int, int> size() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
      return {ws.ws_col, ws.ws_row};
    return {80, 24};
  }

  // Waits until the deadline, a key, or a signal; returns the keys typed (maybe none).
  static std::string wait(Clock::time_point deadline) {
    std::string keys;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
    int rc = ::poll(fds, g_wake[0] >= 0 ? 2 : 1, std::max<int>(0, static_cast<int>(left.count())));
    if (rc <= 0) return keys;
    char buf[64];
    if (fds[0].revents & POLLIN) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n > 0) keys.assign(buf, static_cast<size_t>(n));
      if (n == 0) g_quit = 1;  // the terminal went away
    }
    if (fds[0].revents & (POLLHUP | POLLERR)) g_quit = 1;
    if (g_wake[0] >= 0 && (fds[1].revents & POLLIN))
      while (::read(g_wake[0], buf, sizeof(buf)) > 0) {
      }
    return keys;
  }

  static void draw(const std::vector<top::Line>& lines) {
    std::string out = "\x1b[H";
    for (size_t i = 0; i < lines.size(); ++i) {
      const char* style = "";
      switch (lines[i].style) {
        case top::Line::Style::kTitle:
        case top::Line::Style::kHeader:
          style = "\x1b[7m";  // reverse video
          break;
        case top::Line::Style::kAgent:
          style = "\x1b[1m";
          break;
        case top::Line::Style::kFailing:
          style = "\x1b[1;31m";
          break;
        case top::Line::Style::kWarning:
          style = "\x1b[33m";
          break;
        case top::Line::Style::kNormal:
          break;
      }
      out += style;
      out += lines[i].text;
      out += "\x1b[K\x1b[0m";
      if (i + 1 < lines.size()) out += "\r\n";
    }
    out += "\x1b[J";
    write_all(STDOUT_FILENO, out.data(), out.size());
  }
};

// ---- reading the agents -------------------------------------------------------------------------

struct Target {
  std::string address;
  std::string host;
  int port = 0;
  bool has_topology = true;  // false once /topology answered 404 (a broker, an older agent)
  Clock::time_point topology_at{};
};

void poll_target(Target& t, top::Model& model, std::chrono::milliseconds timeout) {
  auto reply = http_get(t.host, t.port, "/metrics?format=json", timeout);
  if (!reply) {
    model.fail(t.address, reply.error().message);
    return;
  }
  if (reply.value().status != 200) {
    model.fail(t.address, "/metrics answered " + std::to_string(reply.value().status));
    return;
  }
  const auto at = Clock::now();
  nlohmann::ordered_json metrics =
      nlohmann::ordered_json::parse(reply.value().body, nullptr, false);
  if (metrics.is_discarded() || !metrics.is_object()) {
    model.fail(t.address, "/metrics is not Flume's JSON");
    return;
  }
  // The topology changes only on a reload: asked again every 10 s.
  nlohmann::ordered_json topology;
  bool have_topology = false;
  if (t.has_topology && at - t.topology_at >= std::chrono::seconds(10)) {
    auto topo = http_get(t.host, t.port, "/topology", timeout);
    if (topo && topo.value().status == 404) t.has_topology = false;
    if (topo && topo.value().status == 200) {
      topology = nlohmann::ordered_json::parse(topo.value().body, nullptr, false);
      have_topology = !topology.is_discarded() && topology.is_object();
      if (have_topology) t.topology_at = at;
    }
  }
  model.update(t.address, metrics, have_topology ? &topology : nullptr, at);
}

std::string clock_text() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
  return buf;
}

int run_top(const TopArgs& args) {
  std::vector<Target> targets;
  for (const auto& a :
       args.agents.empty() ? std::vector<std::string>{"127.0.0.1:41414"} : args.agents) {
    auto hp = parse_host_port(a);
    if (!hp) {
      std::cerr << "flumen top: --agent " << hp.error().message << "\n";
      return 2;
    }
    targets.push_back({a, hp.value().first, hp.value().second});
  }
  top::Frame frame;
  frame.sort = *top::parse_sort(args.sort);
  frame.interval_s = args.interval_s;
  const auto interval = std::chrono::milliseconds(static_cast<int64_t>(args.interval_s * 1000));
  const auto timeout =
      std::clamp(interval, std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
  top::Model model;
  auto poll_all = [&] {
    for (auto& t : targets)
      poll_target(t, model, timeout);
  };

  const bool tty = ::isatty(STDOUT_FILENO) && ::isatty(STDIN_FILENO);
  if (!tty || args.once) {
    // One snapshot: two readings one interval apart, so the rates are measured, not guessed.
    poll_all();
    std::this_thread::sleep_for(interval);
    poll_all();
    frame.height = 0;
    frame.width = tty ? Terminal::size().first : 80;
    frame.clock = clock_text();
    for (const auto& line : top::render(model.views(), frame))
      std::cout << line.text << "\n";
    for (const auto& v : model.views())
      if (v.error.empty()) return 0;
    return 1;  // nothing could be read
  }

  Terminal term;
  auto next_poll = Clock::now();
  bool dirty = true;
  while (!g_quit) {
    if (Clock::now() >= next_poll) {
      poll_all();
      next_poll = Clock::now() + interval;
      dirty = true;
    }
    if (g_resized) {
      g_resized = 0;
      dirty = true;
    }
    if (dirty) {
      auto [w, h] = Terminal::size();
      frame.width = w;
      frame.height = h;
      frame.clock = clock_text();
      Terminal::draw(top::render(model.views(), frame));
      dirty = false;
    }
    for (char k : Terminal::wait(next_poll)) {
      if (k == 'q' || k == 'Q' || k == 3 /* Ctrl-C, should ISIG be off */) g_quit = 1;
      if (k == 's') frame.sort = top::next_sort(frame.sort);
      if (k == 'r') frame.reverse = !frame.reverse;
      if (k == ' ') next_poll = Clock::now();
      dirty = true;
    }
  }
  return 0;
}

}  // namespace

CLI::App* add_top_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<TopArgs>();
  auto* cmd = app.add_subcommand(
      "top", "Live view of agents and brokers through their metrics endpoints (q quits)");
  cmd->add_option("--agent", args->agents,
                  "host:port of a metrics endpoint (repeatable; default 127.0.0.1:41414)");
  cmd->add_option("--interval", args->interval_s, "Seconds between refreshes")
      ->check(CLI::Range(0.2, 3600.0))
      ->capture_default_str();
  cmd->add_option("--sort", args->sort, "Initial order (the s key cycles)")
      ->check(CLI::IsMember({"pipeline", "name", "in", "out", "fill", "errors"}))
      ->capture_default_str();
  cmd->add_flag("--once", args->once,
                "Print one snapshot and exit (what happens when stdout is not a terminal)");
  run = [args] { return run_top(*args); };
  return cmd;
}

}  // namespace flumen::cli
