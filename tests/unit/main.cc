// The doctest runner. The process ignores SIGPIPE as flumen and flumen-broker do
// (cli/process_environment.cc, broker/broker_main.cc): the net layer's servers and the tests'
// clients share this process, and a write racing the peer's close must be an EPIPE the code
// handles, not a signal that kills the whole run.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  return doctest::Context(argc, argv).run();
}
