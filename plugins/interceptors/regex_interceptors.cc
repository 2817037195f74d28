#include "plugins/interceptors/regex_interceptors.h"

#include <charconv>
#include <ctime>

namespace flumen::plugins {

namespace {

void check_regex(const std::string& pattern, const char* key, const config::ComponentEntries& where,
                 config::Diagnostics& diags) {
  std::string error;
  if (Regex::compile(pattern, error)) return;
  config::Location at = where.where;
  for (const auto& e : where.entries)
    if (e.key == key) at = e.where;
  diags.error(at, where.key_prefix + key + ": invalid regex: " + error);
}

}  // namespace

const config::PropertyTable<RegexFilterInterceptorOptions>& regex_filter_interceptor_table() {
  using T = RegexFilterInterceptorOptions;
  static const auto table = config::PropertyTable<T>()
                                .string("regex", &T::regex, ".*", "Regex searched for in the body.")
                                .boolean("excludeEvents", &T::exclude_events, "false",
                                         "Drop matching events instead of keeping only them.");
  return table;
}

void validate(const RegexFilterInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  check_regex(o.regex, "regex", where, diags);
}

RegexFilterInterceptor::RegexFilterInterceptor(RegexFilterInterceptorOptions o) : o_(std::move(o)) {
  std::string error;
  re_ = Regex::compile(o_.regex, error);
}

void RegexFilterInterceptor::intercept(EventBatch& batch) {
  keep_.assign(batch.size(), true);
  bool dropped = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    // Flume's RegexFilteringInterceptor uses Matcher.find(): a match anywhere in the body.
    bool hit = re_->search(batch.body(i));
    keep_[i] = o_.exclude_events ? !hit : hit;
    dropped |= !keep_[i];
  }
  if (dropped) batch.retain(keep_);
}

const config::PropertyTable<RegexExtractorInterceptorOptions>& regex_extractor_interceptor_table() {
  using T = RegexExtractorInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("regex", &T::regex, "", "Regex whose capture groups become headers.")
          .required()
          .list("serializers", &T::serializers, "", "One serializer per capture group, in order.")
          .map("serializers.", &T::serializer_keys,
               "serializers.<s>.name = header name; serializers.<s>.type = default | "
               "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer; "
               "serializers.<s>.pattern = Joda date pattern for the millis serializer.");
  return table;
}

void validate(const RegexExtractorInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  check_regex(o.regex, "regex", where, diags);
  for (const auto& s : o.serializers) {
    if (!o.serializer_keys.count(s + ".name"))
      diags.error(where.where, where.description + ": serializer '" + s + "' has no name (set " +
                                   where.key_prefix + "serializers." + s + ".name)");
    auto type = o.serializer_keys.find(s + ".type");
    if (type != o.serializer_keys.end() && type->second != "default" &&
        type->second.find("MillisSerializer") == std::string::npos)
      diags.error(where.where,
                  where.description + ": serializer '" + s + "' has type '" + type->second +
                      "'; supported: default, RegexExtractorInterceptorMillisSerializer");
  }
  for (const auto& [k, v] : o.serializer_keys) {
    std::string s = k.substr(0, k.find('.'));
    std::string field = k.find('.') == std::string::npos ? "" : k.substr(k.find('.') + 1);
    if (std::find(o.serializers.begin(), o.serializers.end(), s) == o.serializers.end() ||
        (field != "name" && field != "type" && field != "pattern"))
      diags.error(where.where, where.description + ": unknown key '" + where.key_prefix +
                                   "serializers." + k + "'");
  }
}

RegexExtractorInterceptor::RegexExtractorInterceptor(RegexExtractorInterceptorOptions o) {
  std::string error;
  re_ = Regex::compile(o.regex, error);
  for (const auto& s : o.serializers) {
    Serializer ser;
    ser.name = o.serializer_keys[s + ".name"];
    auto type = o.serializer_keys.find(s + ".type");
    if (type != o.serializer_keys.end() &&
        type->second.find("MillisSerializer") != std::string::npos)
      ser.millis_pattern = o.serializer_keys[s + ".pattern"];
    serializers_.push_back(std::move(ser));
  }
}

void RegexExtractorInterceptor::intercept(EventBatch& batch) {
  char text[24];
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!re_->find(batch.body(i), groups_)) continue;
    // The groups point into the batch's arena, which set_header may reallocate: copy first
    // (into buffers reused from event to event).
    values_.resize(groups_.size());
    for (size_t g = 1; g < groups_.size(); ++g)
      values_[g].assign(groups_[g]);
    for (size_t g = 1; g < groups_.size() && g <= serializers_.size(); ++g) {
      const Serializer& s = serializers_[g - 1];
      std::string_view value = values_[g];
      if (!s.millis_pattern.empty()) {
        auto ms = parse_joda_millis(s.millis_pattern, value);
        if (!ms) continue;  // Flume skips a value its serializer cannot convert
        auto [end, ec] = std::to_chars(text, text + sizeof text, *ms);
        value = std::string_view(text, static_cast<size_t>(end - text));
      }
      batch.set_header(i, s.name, value);
    }
  }
}

std::optional<int64_t> parse_joda_millis(std::string_view pattern, std::string_view text) {
  std::tm tm{};
  tm.tm_mday = 1;
  tm.tm_year = 70;
  int millis = 0;
  bool pm = false, has_ampm = false;
  size_t t = 0;
  for (size_t p = 0; p < pattern.size();) {
    char c = pattern[p];
    if (c == '\'') {  // quoted literal
      size_t close = pattern.find('\'', p + 1);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view lit = pattern.substr(p + 1, close - p - 1);
      if (text.substr(t, lit.size()) != lit) return std::nullopt;
      t += lit.size();
      p = close + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      if (t >= text.size() || text[t] != c) return std::nullopt;
      ++t;
      ++p;
      continue;
    }
    size_t run = 1;
    while (p + run < pattern.size() && pattern[p + run] == c)
      ++run;
    p += run;
    if (c == 'a') {
      if (text.substr(t, 2) == "PM" || text.substr(t, 2) == "pm") pm = true;
      has_ampm = true;
      t += 2;
      continue;
    }
    // Numbers: a run of n letters reads at least n digits; a single letter reads 1-2 (4 for y).
    size_t max_digits = run > 1 ? run : (c == 'y' ? 4 : (c == 'S' ? 3 : 2));
    if (c == 'y' && run == 4) max_digits = 4;
    int value = 0;
    size_t digits = 0;
    while (t < text.size() && digits < max_digits &&
           std::isdigit(static_cast<unsigned char>(text[t]))) {
      value = value * 10 + (text[t] - '0');
      ++t;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    switch (c) {
      case 'y':
        tm.tm_year = (run == 2 ? 2000 + value : value) - 1900;
        break;
      case 'M':
        tm.tm_mon = value - 1;
        break;
      case 'd':
        tm.tm_mday = value;
        break;
      case 'H':
        tm.tm_hour = value;
        break;
      case 'h':
        tm.tm_hour = value % 12;
        break;
      case 'm':
        tm.tm_min = value;
        break;
      case 's':
        tm.tm_sec = value;
        break;
      case 'S':
        millis = value;
        break;
      default:
        return std::nullopt;
    }
  }
  if (t != text.size()) return std::nullopt;
  if (has_ampm && pm) tm.tm_hour += 12;
  tm.tm_isdst = -1;
  std::time_t secs = std::mktime(&tm);  // Joda's default zone is the JVM's: local time
  if (secs == -1) return std::nullopt;
  return static_cast<int64_t>(secs) * 1000 + millis;
}

const config::PropertyTable<SearchReplaceInterceptorOptions>& search_replace_interceptor_table() {
  using T = SearchReplaceInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("searchPattern", &T::search_pattern, "", "Regex to find in the body.")
          .required()
          .string("replaceString", &T::replace_string, "",
                  "Replacement; $1 and ${name} refer to groups (Java replaceAll).")
          .one_of("charset", &T::charset, "UTF-8", {"UTF-8", "US-ASCII", "ISO-8859-1"},
                  "Encoding of bodies.");
  return table;
}

void validate(const SearchReplaceInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  check_regex(o.search_pattern, "searchPattern", where, diags);
}

SearchReplaceInterceptor::SearchReplaceInterceptor(SearchReplaceInterceptorOptions o)
    : o_(std::move(o)) {
  std::string error;
  re_ = Regex::compile(o_.search_pattern, error);
}

void SearchReplaceInterceptor::intercept(EventBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!re_->replace_all(batch.body(i), o_.replace_string, out_)) continue;
    if (out_ != batch.body(i)) batch.set_body(i, out_);
  }
}

}  // namespace flumen::plugins
