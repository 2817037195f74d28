#include "plugins/sinks/hdfs/bucket_path.h"

#include <arpa/inet.h>
#include <date/tz.h>
#include <netdb.h>
#include <unistd.h>

#include <cctype>
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

namespace {

int64_t floor_mod(int64_t a, int64_t b) {
  return ((a % b) + b) % b;
}

int64_t floor_div(int64_t a, int64_t b) {
  return (a - floor_mod(a, b)) / b;
}

// Seconds east of UTC of the zone at `secs`.
int zone_offset(const TimeZoneSpec& tz, int64_t secs) {
  if (!tz.local) return tz.offset_at(secs);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<int>(tm.tm_gmtoff);
}

// A header value as it may appear in a path: never a separator, a NUL or a "." / ".." segment.
void append_path_safe(std::string_view value, std::string& out) {
  if (value == "." || value == "..") {
    out.append(value.size(), '_');
    return;
  }
  for (char c : value)
    out += (c == '/' || c == '\0') ? '_' : c;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

int64_t max_round_value(const std::string& unit) {
  return unit == "hour" ? 24 : 60;
}

int64_t round_down(int64_t millis, int64_t value, const std::string& unit, const TimeZoneSpec& tz) {
  value = std::max<int64_t>(1, value);
  // The fields of the local time; what is dropped is the same span in UTC.
  const int64_t local = millis + int64_t{zone_offset(tz, floor_div(millis, 1000))} * 1000;
  const int64_t ms = floor_mod(local, 1000);
  const int64_t second = floor_mod(floor_div(local, 1000), 60);
  const int64_t minute = floor_mod(floor_div(local, 60'000), 60);
  const int64_t hour = floor_mod(floor_div(local, 3'600'000), 24);
  int64_t drop = ms;
  if (unit == "hour")
    drop += (hour % value) * 3'600'000 + minute * 60'000 + second * 1000;
  else if (unit == "minute")
    drop += (minute % value) * 60'000 + second * 1000;
  else
    drop += (second % value) * 1000;
  return millis - drop;
}

std::optional<BucketPath> BucketPath::compile(const std::string& pattern, std::string& error,
                                              std::string* warning) {
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
    char c = pattern[i + 1];
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      size_t end = pattern.find(close, i + 1);
      if (end == std::string::npos) {
        error = std::string("unclosed %") + c + " in '" + pattern + "'";
        return std::nullopt;
      }
      std::string name = pattern.substr(i + 2, end - i - 2);
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
    if (c == '%') {
      literal += '%';
      ++i;
      continue;
    }
    if (!is_word_char(c)) {  // not an escape in Flume either: the % stays
      literal += '%';
      continue;
    }
    ++i;
    if (std::strchr("tsYymdDHkIlMSjaAbBcpz", c) == nullptr) {
      // Flume replaces an escape it does not know with nothing.
      if (warning)
        *warning = std::string("%") + c + " in '" + pattern +
                   "' is not a Flume escape: it expands to nothing (write %% for a percent sign)";
      continue;
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
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, millis);
  return expand_tokens(batch, event, millis, std::string_view(buf, static_cast<size_t>(end - buf)),
                       tz, false, out, &missing);
}

void BucketPath::expand_path(const EventBatch& batch, size_t event, int64_t millis,
                             std::string_view time_text, const TimeZoneSpec& tz,
                             std::string& out) const {
  (void)expand_tokens(batch, event, millis, time_text, tz, true, out, nullptr);
}

bool BucketPath::expand_tokens(const EventBatch& batch, size_t event, int64_t millis,
                               std::string_view time_text, const TimeZoneSpec& tz, bool for_path,
                               std::string& out, std::string* missing) const {
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
          if (for_path) break;  // Flume: a missing header is an empty string
          *missing = t.text;
          return false;
        }
        if (for_path)
          append_path_safe(*v, out);
        else
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
        if (c == 't') {  // Flume writes the timestamp as it was given, unrounded
          if (for_path)
            append_path_safe(time_text, out);
          else
            out += time_text;
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
          case 'k':  // Java's "H": hour of the day, no padding
            out += std::to_string(tm.tm_hour);
            break;
          case 'l':  // Java's "h": hour 1-12, no padding
            out += std::to_string(tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12);
            break;
          case 'c': {  // Java's "EEE MMM d HH:mm:ss yyyy": the day is not padded
            size_t n = std::strftime(buf, sizeof buf, "%a %b ", &tm);
            out.append(buf, n);
            out += std::to_string(tm.tm_mday);
            n = std::strftime(buf, sizeof buf, " %H:%M:%S %Y", &tm);
            out.append(buf, n);
            break;
          }
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
