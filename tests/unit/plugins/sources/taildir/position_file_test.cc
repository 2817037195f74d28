#include "plugins/sources/taildir/position_file.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path dir;
  std::string pos;
  Dir() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("flumen-pos-" + std::to_string(rd()));
    fs::create_directories(dir);
    pos = (dir / "taildir_position.json").string();
  }
  ~Dir() { fs::remove_all(dir); }
  std::string read(const std::string& path) const {
    std::stringstream ss;
    ss << std::ifstream(path).rdbuf();
    return ss.str();
  }
  void write(const std::string& path, const std::string& text) const {
    std::ofstream(path) << text;
  }
};

PositionEntry entry(uint64_t inode, uint64_t pos, std::string file) {
  PositionEntry e;
  e.inode = inode;
  e.pos = pos;
  e.file = std::move(file);
  e.dev = 2049;
  e.fingerprint = 0xabcdef0123456789ULL;
  e.fingerprint_length = 1024;
  return e;
}

TEST_CASE("the position file has exactly Flume's keys; the identities are in the sidecar") {
  Dir d;
  REQUIRE(save_positions(d.pos, {entry(11, 500, "/logs/a.log"), entry(12, 0, "/logs/b.log")}, false)
              .is_ok());
  auto flume = nlohmann::json::parse(d.read(d.pos));
  REQUIRE(flume.size() == 2);
  for (const auto& e : flume) {
    CHECK(e.size() == 3);  // Flume 1.11's loader throws on any other key
    CHECK(e.contains("inode"));
    CHECK(e.contains("pos"));
    CHECK(e.contains("file"));
  }
  auto side = nlohmann::json::parse(d.read(identity_path(d.pos)));
  CHECK(side["version"] == 1);
  CHECK(side["files"][0]["dev"] == 2049);
  CHECK(side["files"][0]["fingerprint"] == "abcdef0123456789");

  auto loaded = load_positions(d.pos);
  REQUIRE(loaded.is_ok());
  const auto& got = loaded.value();
  CHECK_FALSE(got.old_format);
  REQUIRE(got.entries.size() == 2);
  CHECK(got.entries[0].pos == 500);
  CHECK(got.entries[0].dev == 2049u);
  CHECK(got.entries[0].fingerprint == 0xabcdef0123456789ULL);
  CHECK(got.entries[0].fingerprint_length == 1024);
}

TEST_CASE("a file Flume wrote loads, and positions Flume moved on lose the stale identity") {
  Dir d;
  REQUIRE(
      save_positions(d.pos, {entry(11, 500, "/logs/a.log"), entry(12, 70, "/logs/b.log")}, false)
          .is_ok());
  // Flume ran in between: a.log went on to 900, b.log is unchanged.
  d.write(
      d.pos,
      R"([{"inode":11,"pos":900,"file":"/logs/a.log"},{"inode":12,"pos":70,"file":"/logs/b.log"}])");
  auto loaded = load_positions(d.pos);
  REQUIRE(loaded.is_ok());
  const auto& got = loaded.value().entries;
  REQUIRE(got.size() == 2);
  CHECK(got[0].pos == 900);
  CHECK_FALSE(got[0].fingerprint.has_value());  // Flume's rule then: same inode and path
  CHECK(got[1].fingerprint.has_value());

  fs::remove(identity_path(d.pos));  // only Flume's file
  auto only_flume = load_positions(d.pos);
  REQUIRE(only_flume.is_ok());
  CHECK(only_flume.value().entries.size() == 2);
  CHECK_FALSE(only_flume.value().entries[1].dev.has_value());
}

TEST_CASE("flumen's older format (identity inside the Flume file) is read and reported") {
  Dir d;
  d.write(
      d.pos,
      R"([{"inode":11,"pos":500,"file":"/logs/a.log","dev":7,"fingerprint":"00000000000000ff","fingerprintLength":16}])");
  auto loaded = load_positions(d.pos);
  REQUIRE(loaded.is_ok());
  CHECK(loaded.value().old_format);
  REQUIRE(loaded.value().entries.size() == 1);
  CHECK(loaded.value().entries[0].dev == 7u);
  CHECK(loaded.value().entries[0].fingerprint == 0xffu);
  CHECK(loaded.value().entries[0].fingerprint_length == 16);
}

TEST_CASE("a broken position file is an error; a broken sidecar only costs the identities") {
  Dir d;
  d.write(d.pos, "[{\"inode\":1,");
  CHECK_FALSE(load_positions(d.pos).is_ok());
  d.write(d.pos, R"([{"inode":11,"pos":5,"file":"/logs/a.log"}])");
  d.write(identity_path(d.pos), "{not json");
  auto loaded = load_positions(d.pos);
  REQUIRE(loaded.is_ok());
  CHECK(loaded.value().entries.size() == 1);
  CHECK_FALSE(loaded.value().sidecar_problem.empty());
  CHECK(load_positions((d.dir / "missing.json").string()).value().entries.empty());
}

TEST_CASE("the marker encoding round-trips every field") {
  PositionEntry e = entry(99, 12345, "/logs/with \"quotes\".log");
  auto back = decode_entry(encode_entry(e));
  REQUIRE(back.has_value());
  CHECK(back->inode == 99);
  CHECK(back->pos == 12345);
  CHECK(back->file == e.file);
  CHECK(back->dev == e.dev);
  CHECK(back->fingerprint == e.fingerprint);
  CHECK(back->fingerprint_length == e.fingerprint_length);
  CHECK_FALSE(decode_entry("{\"pos\":1}").has_value());
}

}  // namespace
}  // namespace flumen::plugins
