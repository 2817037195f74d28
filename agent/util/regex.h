#pragma once
// Regex: a compiled PCRE2 pattern. Flume users write Java regular expressions; PCRE2 accepts
// that syntax for everything users put in confs (classes, quantifiers, groups, lookarounds),
// and its match limits stop a catastrophic pattern from hanging the agent.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace flumen {

class Regex {
 public:
  // Compiles; on error returns nullopt and sets `error` to PCRE2's message with the offset.
  static std::optional<Regex> compile(const std::string& pattern, std::string& error);

  // True when the whole subject matches (Java's String.matches / Matcher.matches).
  bool full_match(std::string_view subject) const;
  // True when the pattern matches anywhere (Matcher.find).
  bool search(std::string_view subject) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::shared_ptr<Code> code_;
  std::string pattern_;
};

}  // namespace flumen
