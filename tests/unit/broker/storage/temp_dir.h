#pragma once
// A fresh directory under the system's temp dir, removed with everything in it at scope exit.
#include <filesystem>
#include <random>
#include <string>

namespace flumen::broker::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("flumen-log-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace flumen::broker::testing
