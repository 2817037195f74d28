#include "plugins/sources/taildir/position_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "agent/util/atomic_file.h"

namespace flumen::plugins {

namespace {

// Reads a whole file; nullopt with errno ENOENT when it does not exist.
std::optional<std::string> read_text(const std::string& path, Status& error) {
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT)
      error = make_error(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Throws on a missing or mistyped Flume key; the flumen keys are optional.
PositionEntry entry_from(const nlohmann::json& e) {
  PositionEntry p;
  p.inode = e.at("inode").get<uint64_t>();
  p.pos = e.at("pos").get<uint64_t>();
  p.file = e.at("file").get<std::string>();
  if (e.contains("dev")) p.dev = e["dev"].get<uint64_t>();
  if (e.contains("fingerprint")) {
    p.fingerprint = std::stoull(e["fingerprint"].get<std::string>(), nullptr, 16);
    p.fingerprint_length = e.value("fingerprintLength", uint64_t{0});
  }
  return p;
}

nlohmann::ordered_json flume_json(const PositionEntry& e) {
  nlohmann::ordered_json o;
  o["inode"] = e.inode;
  o["pos"] = e.pos;
  o["file"] = e.file;
  return o;
}

nlohmann::ordered_json full_json(const PositionEntry& e) {
  nlohmann::ordered_json o = flume_json(e);
  if (e.dev) o["dev"] = *e.dev;
  if (e.fingerprint) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*e.fingerprint));
    o["fingerprint"] = hex;
    o["fingerprintLength"] = e.fingerprint_length;
  }
  return o;
}

}  // namespace

uint64_t fingerprint_of(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<uint8_t>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string identity_path(const std::string& position_path) {
  return position_path + ".flumen";
}

std::string encode_entry(const PositionEntry& e) {
  return full_json(e).dump();
}

std::optional<PositionEntry> decode_entry(std::string_view json) {
  try {
    return entry_from(nlohmann::json::parse(json));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<LoadedPositions> load_positions(const std::string& path) {
  LoadedPositions out;
  Status error = Status::ok();
  auto text = read_text(path, error);
  if (!error) return error.error();
  if (!text || blank(*text)) return out;
  try {
    auto j = nlohmann::json::parse(*text);
    if (!j.is_array()) throw std::runtime_error("not a JSON array");
    for (const auto& e : j) {
      out.entries.push_back(entry_from(e));
      if (e.size() > 3) out.old_format = true;
    }
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::kCorruption,
                      "position file " + path + " is not valid (" + ex.what() +
                          "): fix it or move it away (files then start from their beginning, "
                          "or their end with skipToEnd)");
  }
  const std::string side = identity_path(path);
  Status side_error = Status::ok();
  auto side_text = read_text(side, side_error);
  if (!side_error) {
    out.sidecar_problem = side_error.message();
    return out;
  }
  if (!side_text) return out;
  std::map<std::tuple<uint64_t, uint64_t, std::string>, PositionEntry> identities;
  try {
    auto j = nlohmann::json::parse(*side_text);
    for (const auto& e : j.at("files")) {
      PositionEntry p = entry_from(e);
      identities.emplace(std::make_tuple(p.inode, p.pos, p.file), std::move(p));
    }
  } catch (const std::exception& ex) {
    out.sidecar_problem = side + " is not valid (" + ex.what() + ")";
    return out;
  }
  for (PositionEntry& e : out.entries) {
    if (e.dev || e.fingerprint) continue;  // the old format carries its own
    auto it = identities.find(std::make_tuple(e.inode, e.pos, e.file));
    if (it == identities.end()) {
      e.moved_by_another_writer = true;
      continue;
    }
    e.dev = it->second.dev;
    e.fingerprint = it->second.fingerprint;
    e.fingerprint_length = it->second.fingerprint_length;
  }
  return out;
}

Status save_positions(const std::string& path, const std::vector<PositionEntry>& entries,
                      bool sync) {
  nlohmann::ordered_json flume = nlohmann::ordered_json::array();
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    flume.push_back(flume_json(e));
    files.push_back(full_json(e));
  }
  nlohmann::ordered_json side;
  side["version"] = 1;
  side["files"] = std::move(files);
  // The sidecar first: if a crash comes between the two, the Flume file's (older) positions
  // find no identity with the same pos and fall back to Flume's rule, which is still right.
  if (Status s = write_file_atomically(identity_path(path), side.dump(), sync); !s) return s;
  return write_file_atomically(path, flume.dump(), sync);
}

}  // namespace flumen::plugins
