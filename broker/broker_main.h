#pragma once
// The entry point of flumen-broker.so: `flumen broker` parses its command line, then loads the
// module (agent/runtime/module_loader.h) and calls flumen_broker_main, which runs the broker
// until SIGTERM or SIGINT and returns the process exit code.

#include <string>

namespace flumen::broker {

struct BrokerLaunch {
  std::string data_dir;
  std::string listen;      // host:port, :port or port
  std::string advertised;  // "" = the listen address
  std::string conf;        // Kafka-style properties file, "" = none
  int metrics_port = -1;   // -1 = off
};

// Exit codes: 0 stopped by a signal, 1 bad conf, 2 bad address, 3 could not start.
using BrokerMainFn = int (*)(const BrokerLaunch*);
inline constexpr const char* kBrokerModule = "flumen-broker.so";
inline constexpr const char* kBrokerMainSymbol = "flumen_broker_main";

}  // namespace flumen::broker

extern "C" int flumen_broker_main(const flumen::broker::BrokerLaunch* launch);
