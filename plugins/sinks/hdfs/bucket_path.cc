#include "plugins/sinks/hdfs/bucket_path.h"

#include <arpa/inet.h>
#include <date/tz.h>
#include <netdb.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <ctime>

namespace flumen::plugins {

namespace {

struct HostNames {
  std::string name, ip, fqdn;
  HostNames() {
    char buf[256] = "";
    gethostname(buf, sizeof buf - 1);
    name = fqdn = ip = buf;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_CANONNAME;
    addrinfo* res = nullptr;
    if (getaddrinfo(buf, nullptr, &hints, &res) == 0 && res) {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, text,
                sizeof text);
      ip = text;
      if (res->ai_canonname) fqdn = res->ai_canonname;
      freeaddrinfo(res);
    }
  }
};

const HostNames& host_names() {
  static const HostNames names;
  return names;
}

}  // namespace

std::optional<TimeZoneSpec> TimeZoneSpec::parse(const std::string& text) {
  TimeZoneSpec tz;
  if (text.empty() || text == "local") return tz;
  tz.local = false;
  if (text == "UTC" || text == "GMT" || text == "Z" || text == "Etc/UTC") return tz;
  std::string t = text;
  int sign = 1;
  if (t.rfind("Etc/GMT", 0) == 0 && t.size() > 7) {
    // POSIX-style names invert the sign: Etc/GMT-9 is nine hours ahead of UTC.
    sign = t[7] == '-' ? 1 : -1;
    int h = 0;
    auto [p, ec] = std::from_chars(t.data() + 8, t.data() + t.size(), h);
    if (ec != std::errc() || p != t.data() + t.size() || h > 14) return std::nullopt;
    tz.offset_seconds = sign * h * 3600;
    return tz;
  }
  if (t[0] != '+' && t[0] != '-') {
    try {
      tz.zone = date::locate_zone(t);
      return tz;
    } catch (...) {
      return std::nullopt;  // unknown zone, or no tzdata on this machine
    }
  }
  sign = t[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : t.substr(1))
    if (c != ':') digits += c;
  if (digits.size() != 4 && digits.size() != 2) return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  int h = std::stoi(digits.substr(0, 2));
  int m = digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
  if (h > 14 || m > 59) return std::nullopt;
  tz.offset_seconds = sign * (h * 3600 + m * 60);
  return tz;
}

int TimeZoneSpec::offset_at(int64_t secs) const {
  if (!zone) return offset_seconds;
  auto info = static_cast<const date::time_zone*>(zone)->get_info(
      date::sys_seconds{std::chrono::seconds{secs}});
  return static_cast<int>(info.offset.count());
}

int64_t round_down(int64_t millis, int64_t value, const std::string& unit) {
  int64_t unit_ms = unit == "hour" ? 3'600'000 : unit == "minute" ? 60'000 : 1000;
  int64_t step = std::max<int64_t>(1, value) * unit_ms;
  return millis - ((millis % step) + step) % step;
}

std::optional<BucketPath> BucketPath::compile(const std::string& pattern, std::string& error) {
  BucketPath bp;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) bp.tokens_.push_back({'L', literal});
    literal.clear();
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 >= pattern.size()) {
      literal += pattern[i];
      continue;
    }
    char c = pattern[++i];
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      size_t end = pattern.find(close, i);
      if (end == std::string::npos) {
        error = std::string("unclosed %") + c + " in '" + pattern + "'";
        return std::nullopt;
      }
      std::string name = pattern.substr(i + 1, end - i - 1);
      flush();
      if (c == '{') {
        bp.tokens_.push_back({'H', name});
      } else if (name == "localhost") {
        bp.tokens_.push_back({'N', ""});
      } else if (name == "IP") {
        bp.tokens_.push_back({'I', ""});
      } else if (name == "FQDN") {
        bp.tokens_.push_back({'F', ""});
      } else {
        error = "unknown escape %[" + name + "] (supported: localhost, IP, FQDN)";
        return std::nullopt;
      }
      i = end;
      continue;
    }
    if (std::strchr("tsYymndeDHkIMSjaAbBcpz", c) == nullptr) {
      error = std::string("unknown escape %") + c + " in '" + pattern + "'";
      return std::nullopt;
    }
    flush();
    bp.tokens_.push_back({'T', std::string(1, c)});
    bp.needs_time_ = true;
  }
  flush();
  return bp;
}

bool BucketPath::expand(const EventBatch& batch, size_t event, int64_t millis,
                        const TimeZoneSpec& tz, std::string& out, std::string& missing) const {
  std::tm tm{};
  bool have_tm = false;
  char buf[64];
  for (const Token& t : tokens_) {
    switch (t.kind) {
      case 'L':
        out += t.text;
        break;
      case 'H': {
        auto v = batch.header(event, t.text);
        if (!v) {
          missing = t.text;
          return false;
        }
        out += *v;
        break;
      }
      case 'N':
        out += host_names().name;
        break;
      case 'I':
        out += host_names().ip;
        break;
      case 'F':
        out += host_names().fqdn;
        break;
      case 'T': {
        char c = t.text[0];
        if (c == 't') {
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, millis);
          out.append(buf, static_cast<size_t>(end - buf));
          break;
        }
        if (c == 's') {
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, millis / 1000);
          out.append(buf, static_cast<size_t>(end - buf));
          break;
        }
        if (!have_tm) {
          std::time_t secs = static_cast<std::time_t>(millis / 1000);
          if (tz.local) {
            localtime_r(&secs, &tm);
          } else {
            secs += tz.offset_at(static_cast<int64_t>(secs));
            gmtime_r(&secs, &tm);
          }
          have_tm = true;
        }
        switch (c) {
          case 'n':
            out += std::to_string(tm.tm_mon + 1);
            break;  // month, no padding
          case 'e':
            out += std::to_string(tm.tm_mday);
            break;  // day, no padding
          case 'k':
            out += std::to_string(tm.tm_hour);
            break;  // hour, no padding
          case 'z': {
            int off = tz.local ? static_cast<int>(tm.tm_gmtoff) : tz.offset_at(millis / 1000);
            std::snprintf(buf, sizeof buf, "%c%02d%02d", off < 0 ? '-' : '+', std::abs(off) / 3600,
                          std::abs(off) % 3600 / 60);
            out += buf;
            break;
          }
          default: {
            char fmt[3] = {'%', c, 0};
            size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
            out.append(buf, n);
          }
        }
        break;
      }
    }
  }
  return true;
}

}  // namespace flumen::plugins
