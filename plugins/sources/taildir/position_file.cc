#include "plugins/sources/taildir/position_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/util/atomic_file.h"

namespace flumen::plugins {

uint64_t fingerprint_of(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<uint8_t>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

Result<std::vector<PositionEntry>> load_positions(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::vector<PositionEntry>{};
    return make_error(ErrorCode::kIo,
                      "cannot read position file " + path + ": " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<PositionEntry> out;
  if (ss.str().find_first_not_of(" \t\r\n") == std::string::npos) return out;
  try {
    auto j = nlohmann::json::parse(ss.str());
    if (!j.is_array()) throw std::runtime_error("not a JSON array");
    for (const auto& e : j) {
      PositionEntry p;
      p.inode = e.at("inode").get<uint64_t>();
      p.pos = e.at("pos").get<uint64_t>();
      p.file = e.at("file").get<std::string>();
      if (e.contains("dev")) p.dev = e["dev"].get<uint64_t>();
      if (e.contains("fingerprint")) {
        p.fingerprint = std::stoull(e["fingerprint"].get<std::string>(), nullptr, 16);
        p.fingerprint_length = e.value("fingerprintLength", uint64_t{0});
      }
      out.push_back(std::move(p));
    }
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::kCorruption,
                      "position file " + path + " is not valid (" + ex.what() +
                          "): fix it or move it away (files then start from their beginning, "
                          "or their end with skipToEnd)");
  }
  return out;
}

Status save_positions(const std::string& path, const std::vector<PositionEntry>& entries,
                      bool sync) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    nlohmann::ordered_json o;
    o["inode"] = e.inode;
    o["pos"] = e.pos;
    o["file"] = e.file;
    if (e.dev) o["dev"] = *e.dev;
    if (e.fingerprint) {
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*e.fingerprint));
      o["fingerprint"] = hex;
      o["fingerprintLength"] = e.fingerprint_length;
    }
    j.push_back(std::move(o));
  }
  return write_file_atomically(path, j.dump(), sync);
}

}  // namespace flumen::plugins
