#include "cli/tap_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/http_get.h"

namespace flumen::cli {

namespace {

struct TapArgs {
  std::string agent = "127.0.0.1:41414";
  std::string component;
  int count = 10;
  double timeout_s = 30;
  bool json = false;
};

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Control bytes would move the cursor or end the line: shown as \n, \t, \xNN.
std::string printable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string time_of(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03d", buf, static_cast<int>(ms % 1000));
  return out;
}

// "SINK.k1 #37 23:41:07.123 {host=car-1, state=CA} body..."
void print_event(const std::string& component, const nlohmann::json& e) {
  std::string headers;
  const nlohmann::json fields = e.value("headers", nlohmann::json::object());
  for (const auto& [k, v] : fields.items())
    headers += (headers.empty() ? "" : ", ") + printable(k) + "=" +
               printable(v.is_string() ? v.get<std::string>() : v.dump());
  const std::string body = e.value("body", "");
  std::cout << component << " #" << e.value("seq", uint64_t{0}) << " "
            << time_of(e.value("time", int64_t{0})) << " {" << headers << "} " << printable(body);
  const size_t size = e.value("bodySize", body.size());
  if (size > body.size()) std::cout << " ... (" << size << " bytes)";
  std::cout << "\n";
}

int run_tap(const TapArgs& args) {
  auto hp = parse_host_port(args.agent);
  if (!hp) {
    std::cerr << "flumen tap: --agent " << hp.error().message << "\n";
    return 2;
  }
  const auto& [host, port] = hp.value();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(args.timeout_s * 1000));
  const std::string base =
      "/tap?component=" + url_encode(args.component) + "&n=" + std::to_string(args.count);
  std::string since;  // empty: the first request, which attaches the tap
  int printed = 0;
  std::string component = args.component;
  for (;;) {
    auto reply = http_get(host, port, base + since, std::chrono::seconds(5));
    if (!reply) {
      std::cerr << "flumen tap: " << args.agent << ": " << reply.error().message << "\n";
      return 1;
    }
    auto body = nlohmann::json::parse(reply.value().body, nullptr, false);
    if (reply.value().status != 200 || body.is_discarded() || !body.is_object()) {
      std::string why = !body.is_discarded() && body.is_object()
                            ? body.value("error", std::string())
                            : "answered " + std::to_string(reply.value().status);
      std::cerr << "flumen tap: " << args.agent << ": " << why << "\n";
      return 1;
    }
    component = body.value("component", component);
    const nlohmann::json events = body.value("events", nlohmann::json::array());
    for (const auto& e : events) {
      if (printed >= args.count) break;
      if (args.json)
        std::cout << e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else
        print_event(component, e);
      ++printed;
    }
    std::cout.flush();
    if (printed >= args.count) return 0;
    since = "&since=" + std::to_string(body.value("next", uint64_t{0}));
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "flumen tap: " << printed << " of " << args.count << " events passed "
                << component << " within " << args.timeout_s << " s\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

CLI::App* add_tap_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<TapArgs>();
  auto* cmd = app.add_subcommand(
      "tap", "Print a sample of the events passing a component of a running agent");
  cmd->add_option("component", args->component,
                  "SOURCE.r1, CHANNEL.c1, SINK.k1, or a name only one component has")
      ->required();
  cmd->add_option("--agent", args->agent, "host:port of the agent's metrics endpoint")
      ->capture_default_str();
  cmd->add_option("-n,--count", args->count, "Events to print")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout_s, "Seconds to wait for them")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "One JSON object per event (seq, time, headers, body)");
  run = [args] { return run_tap(*args); };
  return cmd;
}

}  // namespace flumen::cli
