#pragma once
// Regex: a compiled PCRE2 pattern. Flume users write Java regular expressions; PCRE2 accepts
// that syntax for everything users put in confs (classes, quantifiers, groups, lookarounds),
// and its match limits stop a catastrophic pattern from hanging the agent.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flumen {

class Regex {
 public:
  // Compiles; on error returns nullopt and sets `error` to PCRE2's message with the offset.
  static std::optional<Regex> compile(const std::string& pattern, std::string& error);

  // True when the whole subject matches (Java's String.matches / Matcher.matches).
  bool full_match(std::string_view subject) const;
  // True when the pattern matches anywhere (Matcher.find).
  bool search(std::string_view subject) const;
  // Finds the first match; fills groups[0] (whole match) and groups[1..] (captures, empty when a
  // group did not take part). False when there is no match.
  bool find(std::string_view subject, std::vector<std::string_view>& groups) const;
  // Java's String.replaceAll: every match replaced; $1..$9 and ${name} refer to groups.
  // Returns false (and leaves out untouched) if the replacement is malformed.
  bool replace_all(std::string_view subject, std::string_view replacement, std::string& out) const;
  int group_count() const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::shared_ptr<Code> code_;
  std::string pattern_;
};

}  // namespace flumen
