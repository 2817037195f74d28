#include "simulator/smartcar.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace flumen::sim {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("flumen-sim-" + std::to_string(rd()));
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("status day: the book's format, every 4 s to 240000, renamed into place") {
  TempDir d;
  StatusOptions o;
  o.cars = 3;
  o.seed = 42;
  o.date = "20261124";
  o.out_dir = d.path.string();
  o.header = true;
  auto r = write_status_day(o);
  REQUIRE(r.is_ok());
  CHECK(r.value().lines == 3 * 21601);
  std::string text = slurp(d.path / "SmartCarStatusInfo_20261124.txt");
  std::istringstream lines(text);
  std::string line;
  int headers = 0, data = 0;
  std::string last;
  while (std::getline(lines, line)) {
    if (line.rfind("SmartCar Status Information,CarNum,", 0) == 0) {
      ++headers;
      continue;
    }
    CHECK_MESSAGE(is_status_line(line), line);
    ++data;
    last = line;
  }
  CHECK(headers == 3);
  CHECK(data == 3 * 21601);
  CHECK(last.rfind("20261124240000,", 0) == 0);
  CHECK(fs::is_empty(d.path / ".staging"));
  // Same seed, same bytes.
  TempDir d2;
  o.out_dir = d2.path.string();
  REQUIRE(write_status_day(o).is_ok());
  CHECK(slurp(d2.path / "SmartCarStatusInfo_20261124.txt") == text);
}

TEST_CASE("driving log: format, pacing-free runs, faults and rotation") {
  TempDir d;
  DriveOptions o;
  o.drivers = 20;
  o.seed = 9;
  o.rate = -1;  // as fast as possible
  o.duration_s = 0;
  o.out_file = (d.path / "drive.log").string();
  o.rotate = "rename";
  o.rotate_bytes = 200'000;
  o.faults = 0.01;
  auto res = run_driving_log(o);
  REQUIRE(res.is_ok());
  CHECK(res.value().lines == 20 * 43201);
  CHECK(res.value().files > 1);
  uint64_t lines = 0, valid = 0;
  for (auto& e : fs::directory_iterator(d.path)) {
    std::istringstream in(slurp(e.path()));
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      valid += is_driving_line(line) ? 1 : 0;
    }
  }
  CHECK(lines == res.value().lines);
  CHECK(lines - valid >= res.value().malformed / 2);  // some corruptions keep 7 commas
  CHECK(res.value().malformed > 0);
}

}  // namespace
}  // namespace flumen::sim
