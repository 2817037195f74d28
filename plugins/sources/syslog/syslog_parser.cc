#include "plugins/sources/syslog/syslog_parser.h"

#include <charconv>
#include <cstring>
#include <ctime>

#include "agent/config/property_table.h"

namespace flumen::plugins {

KeepFields KeepFields::parse(const std::string& text) {
  KeepFields k;
  std::string t = config::to_lower(config::trim(text));
  if (t == "all" || t == "true") return {true, true, true, true};
  for (const auto& w : config::split_words(t)) {
    if (w == "priority") k.priority = true;
    if (w == "version") k.version = true;
    if (w == "timestamp") k.timestamp = true;
    if (w == "hostname") k.hostname = true;
  }
  return k;
}

namespace {

// The next space-delimited token of s, advancing s past it and one space.
std::string_view token(std::string_view& s) {
  size_t sp = s.find(' ');
  std::string_view t = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
  return t;
}

bool digits(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// RFC 3339 timestamp to ms, e.g. 2003-10-11T22:14:15.003Z or ...+02:00.
bool rfc3339_millis(std::string_view t, int64_t& ms) {
  std::tm tm{};
  int frac_ms = 0;
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
    return false;
  if (!digits(t.substr(0, 4), tm.tm_year) || !digits(t.substr(5, 2), tm.tm_mon) ||
      !digits(t.substr(8, 2), tm.tm_mday) || !digits(t.substr(11, 2), tm.tm_hour) ||
      !digits(t.substr(14, 2), tm.tm_min) || !digits(t.substr(17, 2), tm.tm_sec))
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    size_t start = ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
      ++i;
    std::string frac(t.substr(start, i - start));
    frac.resize(3, '0');
    frac_ms = std::stoi(frac.substr(0, 3));
  }
  int offset = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-') && i + 6 <= t.size()) {
    int h = 0, m = 0;
    if (!digits(t.substr(i + 1, 2), h) || !digits(t.substr(i + 4, 2), m)) return false;
    offset = (t[i] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  } else if (i >= t.size() || t[i] != 'Z') {
    return false;
  }
  ms = (static_cast<int64_t>(timegm(&tm)) - offset) * 1000 + frac_ms;
  return true;
}

// RFC 3164 "Mmm dd hh:mm:ss" in local time, this year (the format has no year), as Flume does.
bool rfc3164_millis(std::string_view t, int64_t& ms) {
  static const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (t.size() != 15) return false;
  const char* m = std::strstr(kMonths, std::string(t.substr(0, 3)).c_str());
  if (!m || (m - kMonths) % 3 != 0) return false;
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_mon = static_cast<int>((m - kMonths) / 3);
  std::string_view day = t.substr(4, 2);
  if (day[0] == ' ') day.remove_prefix(1);
  if (!digits(day, tm.tm_mday) || !digits(t.substr(7, 2), tm.tm_hour) ||
      !digits(t.substr(10, 2), tm.tm_min) || !digits(t.substr(13, 2), tm.tm_sec))
    return false;
  tm.tm_isdst = -1;
  ms = static_cast<int64_t>(std::mktime(&tm)) * 1000;
  return true;
}

}  // namespace

size_t add_syslog_event(EventBatch& batch, std::string_view msg, const KeepFields& keep) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == '\0'))
    msg.remove_suffix(1);
  int pri = -1;
  std::string_view rest = msg;
  if (rest.size() > 2 && rest[0] == '<') {
    size_t close = rest.find('>');
    if (close != std::string_view::npos && close <= 4 && digits(rest.substr(1, close - 1), pri) &&
        pri <= 191) {
      rest.remove_prefix(close + 1);
    } else {
      pri = -1;
    }
  }
  if (pri < 0) {
    size_t i = batch.add(msg);
    batch.set_header(i, "flume.syslog.status", "Invalid");
    return i;
  }
  std::string version, stamp_text, host;
  int64_t ms = 0;
  bool ok = false;
  std::string_view after = rest;
  if (rest.size() > 2 && rest[0] == '1' && rest[1] == ' ') {  // RFC 5424
    std::string_view r = rest.substr(2);
    std::string_view ts = token(r);
    std::string_view h = token(r);
    ok = (ts == "-" || rfc3339_millis(ts, ms)) && !h.empty();
    if (ts == "-") ms = 0;
    version.assign(1, '1');  // not = "1": works around a GCC 12 -Wrestrict false positive
    stamp_text = std::string(ts);
    host = std::string(h);
    after = r;
  } else if (rest.size() >= 16) {  // RFC 3164
    std::string_view ts = rest.substr(0, 15);
    std::string_view r = rest.substr(16);
    std::string_view h = token(r);
    ok = rfc3164_millis(ts, ms) && !h.empty();
    stamp_text = std::string(ts);
    host = std::string(h);
    after = r;
  }
  std::string body;
  if (!ok) {
    after = rest;  // unparsed header: keep the text after the priority
  } else {
    if (keep.priority) body += msg.substr(0, msg.size() - rest.size());
    if (keep.version && !version.empty()) body += version + " ";
    if (keep.timestamp) body += stamp_text + " ";
    if (keep.hostname) body += host + " ";
  }
  body.append(after);
  size_t i = batch.add(body);
  batch.set_header(i, "Facility", std::to_string(pri / 8));
  batch.set_header(i, "Severity", std::to_string(pri % 8));
  if (ok) {
    if (ms > 0) batch.set_header(i, "timestamp", std::to_string(ms));
    batch.set_header(i, "host", host);
  } else {
    batch.set_header(i, "flume.syslog.status", "Invalid");
  }
  return i;
}

}  // namespace flumen::plugins
