#include "agent/config/path_check.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace flumen::config;

TEST_CASE("a path is writable when it, or the nearest directory above it, can be written") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("flumen-path-check-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "a-file";
  std::ofstream(file) << "x\n";

  CHECK_FALSE(check_writable((dir / "new/deeper/pos.json").string(), PathUse::kWritableFile));
  CHECK_FALSE(check_writable(dir.string(), PathUse::kWritableDir));
  CHECK_FALSE(check_writable(file.string(), PathUse::kWritableFile));
  CHECK_FALSE(check_writable("", PathUse::kWritableDir));  // unset: nothing to check

  auto under_file = check_writable((file / "sub/pos.json").string(), PathUse::kWritableFile);
  REQUIRE(under_file);
  CHECK(under_file->find("a-file is not a directory") != std::string::npos);
  auto dir_for_file = check_writable(dir.string(), PathUse::kWritableFile);
  REQUIRE(dir_for_file);
  CHECK(dir_for_file->find("is a directory, not a file") != std::string::npos);
  auto file_for_dir = check_writable(file.string(), PathUse::kWritableDir);
  REQUIRE(file_for_dir);
  CHECK(file_for_dir->find("is not a directory") != std::string::npos);
  std::filesystem::remove_all(dir);
}
