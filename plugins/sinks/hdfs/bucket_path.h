#pragma once
// Flume's BucketPath escapes, compiled once and expanded per event:
//   %{header}                the value of a header (missing -> the event cannot be placed)
//   %[localhost] %[IP] %[FQDN]
//   %t millis, %s seconds, %Y %y %m %n %d %e %D %H %k %I %M %S %j %a %A %b %B %c %p %z
// Time escapes use the event's `timestamp` header (ms) unless useLocalTimeStamp, rounded down
// to roundValue x roundUnit when round is on, in the configured zone (local, UTC or a fixed
// offset, or an IANA zone name).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

struct TimeZoneSpec {
  bool local = true;
  int offset_seconds = 0;      // a fixed offset, when !local and no zone
  const void* zone = nullptr;  // an IANA zone (date::time_zone) from the system's tzdata
  // "" (local), "UTC", "+09:00", "-0530", or an IANA name such as "Asia/Seoul".
  static std::optional<TimeZoneSpec> parse(const std::string& text);
  // Seconds east of UTC at the instant `secs` (zone rules include daylight saving time).
  int offset_at(int64_t secs) const;
};

class BucketPath {
 public:
  // Returns nullopt with `error` set for an unknown escape.
  static std::optional<BucketPath> compile(const std::string& pattern, std::string& error);

  bool needs_time() const { return needs_time_; }
  // Appends the expansion to `out`. False when a needed header is missing (`missing` names it).
  bool expand(const EventBatch& batch, size_t event, int64_t millis, const TimeZoneSpec& tz,
              std::string& out, std::string& missing) const;

 private:
  struct Token {
    char kind;  // 'L' literal, 'H' header, 'T' time code, 'N' host name, 'I' ip, 'F' fqdn
    std::string text;
  };
  std::vector<Token> tokens_;
  bool needs_time_ = false;
};

// Rounds millis down to a multiple of value x unit (unit: second | minute | hour).
int64_t round_down(int64_t millis, int64_t value, const std::string& unit);

}  // namespace flumen::plugins
