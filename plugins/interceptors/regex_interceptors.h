#pragma once
// Interceptors driven by regular expressions (PCRE2, Java syntax): regex_filter keeps or drops
// events by body, regex_extractor turns capture groups into headers, search_replace rewrites
// bodies. Patterns are compiled once; an invalid pattern is a configuration error.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/property_table.h"
#include "agent/pipeline/interceptor.h"
#include "agent/util/regex.h"

namespace flumen::plugins {

struct RegexFilterInterceptorOptions {
  std::string regex = ".*";
  bool exclude_events = false;
};
const config::PropertyTable<RegexFilterInterceptorOptions>& regex_filter_interceptor_table();
void validate(const RegexFilterInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);
class RegexFilterInterceptor : public pipeline::Interceptor {
 public:
  explicit RegexFilterInterceptor(RegexFilterInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  RegexFilterInterceptorOptions o_;
  std::optional<Regex> re_;
  std::vector<bool> keep_;
};

struct RegexExtractorInterceptorOptions {
  std::string regex;
  std::vector<std::string> serializers;
  std::map<std::string, std::string> serializer_keys;  // "<s>.name", "<s>.type", "<s>.pattern"
};
const config::PropertyTable<RegexExtractorInterceptorOptions>& regex_extractor_interceptor_table();
void validate(const RegexExtractorInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);
class RegexExtractorInterceptor : public pipeline::Interceptor {
 public:
  explicit RegexExtractorInterceptor(RegexExtractorInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  struct Serializer {
    std::string name;
    std::string millis_pattern;  // empty: the value as it is
  };
  std::optional<Regex> re_;
  std::vector<Serializer> serializers_;
  std::vector<std::string_view> groups_;
  std::vector<std::string> values_;
};

// Parses `text` with a Joda-Time pattern (y M d H h m s S a, literals, 'quoted'), local time.
std::optional<int64_t> parse_joda_millis(std::string_view pattern, std::string_view text);

struct SearchReplaceInterceptorOptions {
  std::string search_pattern;
  std::string replace_string;
  std::string charset = "utf-8";
};
const config::PropertyTable<SearchReplaceInterceptorOptions>& search_replace_interceptor_table();
void validate(const SearchReplaceInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);
class SearchReplaceInterceptor : public pipeline::Interceptor {
 public:
  explicit SearchReplaceInterceptor(SearchReplaceInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  SearchReplaceInterceptorOptions o_;
  std::optional<Regex> re_;
  std::string out_;
};

}  // namespace flumen::plugins
