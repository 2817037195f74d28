#include "agent/util/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

namespace flumen::util {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "1.5GB" into 1.5 and "gb"; nullopt when there is no number in front.
std::optional<std::pair<double, std::string>> split_number(std::string_view text) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
    ++end;
  if (end == 0) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) return std::nullopt;
  return std::make_pair(value, lower(trim(text.substr(end))));
}

Error invalid(std::string_view text, const char* what, const char* expected) {
  return make_error(ErrorCode::kInvalidConfig,
                    "'" + std::string(text) + "' is not a " + what + " (" + expected + ")");
}

constexpr const char* kDurationHelp = "e.g. 250ms, 10s, 2m, 1h, 1d";
constexpr const char* kSizeHelp = "e.g. 512, 64k, 100MB, 1g";

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text, DurationUnit bare) {
  auto parts = split_number(text);
  if (!parts) return invalid(text, "duration", kDurationHelp);
  const auto& [value, unit] = *parts;
  double ms_per_unit;
  if (unit.empty())
    ms_per_unit = bare == DurationUnit::kSeconds ? 1000.0 : 1.0;
  else if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s" || unit == "sec")
    ms_per_unit = 1000;
  else if (unit == "m" || unit == "min")
    ms_per_unit = 60'000;
  else if (unit == "h")
    ms_per_unit = 3'600'000;
  else if (unit == "d")
    ms_per_unit = 86'400'000;
  else
    return invalid(text, "duration", kDurationHelp);
  const double ms = std::round(value * ms_per_unit);
  if (!std::isfinite(ms) || ms >= 9.2e18) return invalid(text, "duration", "too large");
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<int64_t> parse_size(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return invalid(text, "size", kSizeHelp);
  const auto& [value, unit] = *parts;
  double factor;
  if (unit.empty() || unit == "b")
    factor = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    factor = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    factor = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    factor = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib")
    factor = 1024.0 * 1024 * 1024 * 1024;
  else
    return invalid(text, "size", kSizeHelp);
  const double bytes = std::round(value * factor);
  if (!std::isfinite(bytes) || bytes >= 9.2e18) return invalid(text, "size", "too large");
  return static_cast<int64_t>(bytes);
}

}  // namespace flumen::util
