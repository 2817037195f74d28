#include "broker/broker_main.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "agent/runtime/module_loader.h"
#include "broker/server/broker_server.h"

extern "C" long flumen_module_abi() {
  return flumen::runtime::kModuleAbi;
}

namespace flumen::broker {
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

int run(const BrokerLaunch& launch) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  BrokerConfig cfg;
  cfg.data_dir = launch.data_dir;
  cfg.metrics_port = launch.metrics_port;
  if (!split_host_port(launch.listen, cfg.listen_host, cfg.listen_port)) {
    std::cerr << "broker: --listen must be host:port, not '" << launch.listen << "'\n";
    return 2;
  }
  if (!launch.advertised.empty() &&
      !split_host_port(launch.advertised, cfg.advertised_host, cfg.advertised_port)) {
    std::cerr << "broker: --advertised must be host:port, not '" << launch.advertised << "'\n";
    return 2;
  }
  if (!launch.conf.empty()) {
    if (Status s = load_broker_properties(launch.conf, cfg); !s) {
      std::cerr << s.message() << "\n";
      return 1;
    }
  }
  BrokerServer server(cfg);
  if (Status s = server.start(); !s) {
    spdlog::error("broker: {}", s.message());
    return 3;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("broker: signal {}, stopping", sig);
  server.stop();
  return 0;
}

}  // namespace
}  // namespace flumen::broker

extern "C" int flumen_broker_main(const flumen::broker::BrokerLaunch* launch) {
  return flumen::broker::run(*launch);
}
