#include "cli/process_environment.h"

#include <sys/stat.h>

namespace flumen::cli {

ProcessEnvironment::ProcessEnvironment(std::vector<std::string> conf_files)
    : conf_files_(std::move(conf_files)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::chrono::steady_clock::time_point ProcessEnvironment::now() {
  return std::chrono::steady_clock::now();
}

int ProcessEnvironment::wait_signal(std::chrono::milliseconds timeout) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec ts{static_cast<time_t>(s.count()),
              static_cast<long>(std::chrono::nanoseconds(timeout - s).count())};
  const int sig = sigtimedwait(&signals_, nullptr, &ts);
  return sig < 0 ? 0 : sig;  // EAGAIN (timeout) or EINTR (another signal's handler ran)
}

std::vector<int64_t> ProcessEnvironment::conf_versions() {
  std::vector<int64_t> out;
  for (const auto& f : conf_files_) {
    struct stat st {};
    out.push_back(::stat(f.c_str(), &st) == 0
                      ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec
                      : -1);
  }
  return out;
}

}  // namespace flumen::cli
