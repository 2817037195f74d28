#include "agent/util/atomic_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace flumen {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("a file is replaced whole, its directory created, no temporary left") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("flumen-atomic-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path file = dir / "sub" / "state";
  REQUIRE(write_file_atomically(file.string(), "first\n", true).is_ok());
  CHECK(read(file) == "first\n");
  REQUIRE(write_file_atomically(file.string(), "second", false).is_ok());
  CHECK(read(file) == "second");
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  // A directory in the way: an error that names the file, the old content stays.
  fs::create_directories(file.string() + ".tmp");
  fs::create_directories(file.string() + ".tmp/x");
  Status s = write_file_atomically(file.string(), "third", true);
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("state.tmp") != std::string::npos);
  CHECK(read(file) == "second");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace flumen
