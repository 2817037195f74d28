#include "plugins/kafka_common/librdkafka_support.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "agent/util/log_throttle.h"

namespace flumen::plugins::kafka {

namespace {

void put_long(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

void put_bytes(std::string& out, std::string_view b) {
  put_long(out, static_cast<int64_t>(b.size()));
  out.append(b);
}

class AvroReader {
 public:
  explicit AvroReader(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && s_.empty(); }
  int64_t number() {
    uint64_t z = 0;
    for (int shift = 0; shift < 64 && !s_.empty(); shift += 7) {
      auto b = static_cast<unsigned char>(s_.front());
      s_.remove_prefix(1);
      z |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    }
    ok_ = false;
    return 0;
  }
  std::string_view bytes() {
    int64_t n = number();
    if (n < 0 || static_cast<uint64_t>(n) > s_.size()) {
      ok_ = false;
      return {};
    }
    std::string_view v = s_.substr(0, static_cast<size_t>(n));
    s_.remove_prefix(static_cast<size_t>(n));
    return v;
  }

 private:
  std::string_view s_;
  bool ok_ = true;
};

}  // namespace

namespace {

// librdkafka logs every failed reconnect to a dead broker; one throttle per client and facility
// ("FAIL", "ERROR", ...) turns that into a line now and then with the count.
void log_throttled(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<util::LogThrottle>> throttles;
  util::LogThrottle* t;
  {
    std::lock_guard lock(mu);
    auto& slot = throttles[std::string(rk ? rd_kafka_name(rk) : "") + "/" + fac];
    if (!slot) slot = std::make_unique<util::LogThrottle>();
    t = slot.get();
  }
  const auto lvl = level <= 3 ? spdlog::level::err : spdlog::level::warn;
  t->log(lvl, "librdkafka {}: {}", fac, buf);
}

}  // namespace

void route_logs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf,
                           [](const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
                             if (level <= 5)
                               log_throttled(rk, level, fac, buf);
                             else
                               spdlog::info("librdkafka {}: {}", fac, buf);
                           });
}

Status apply(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props,
             const std::string& what, const std::string& key_prefix) {
  char err[512];
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return make_error(ErrorCode::kInvalidConfig, what + ": " + key_prefix + k + ": " + err);
  return Status::ok();
}

void encode_flume_event(const EventBatch& batch, size_t i, std::string& out) {
  out.clear();
  append_flume_event(batch, i, out);
}

void append_flume_event(const EventBatch& batch, size_t i, std::string& out) {
  const size_t n = batch.header_count(i);
  if (n > 0) {
    put_long(out, static_cast<int64_t>(n));
    for (size_t h = 0; h < n; ++h) {
      auto [k, v] = batch.header_at(i, h);
      put_bytes(out, k);
      put_bytes(out, v);
    }
  }
  put_long(out, 0);
  put_bytes(out, batch.body(i));
}

bool decode_flume_event(std::string_view bytes, EventBatch& out, size_t& index) {
  AvroReader r(bytes);
  std::vector<EventBatch::Header> headers;
  for (int64_t n = r.number(); n != 0 && r.ok(); n = r.number()) {
    if (n < 0) {
      n = -n;
      r.number();  // a negative count is followed by the block's size in bytes
    }
    for (int64_t k = 0; k < n && r.ok(); ++k) {
      std::string_view key = r.bytes();
      headers.emplace_back(key, r.bytes());
    }
  }
  std::string_view body = r.bytes();
  if (!r.done()) return false;
  index = out.add(body, headers);
  return true;
}

}  // namespace flumen::plugins::kafka
