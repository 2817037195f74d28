#pragma once
// Reads Flume configuration files: the Java .properties dialect exactly as
// java.util.Properties.load reads it, plus Flume's ${...} value substitution.
//
// Dialect (java.util.Properties.load(Reader)):
//  - Natural lines end at \n, \r or \r\n. A logical line may span natural lines: a line ending in
//    an odd number of backslashes continues on the next one, whose leading whitespace is dropped.
//  - Lines that are blank, or whose first non-whitespace character is '#' or '!', are comments.
//    (A '#' later in a line is part of the value.) A comment line never continues.
//  - Leading whitespace (space, \t, \f) is skipped. The key runs to the first unescaped '=', ':'
//    or whitespace; then whitespace, at most one '=' or ':', and whitespace are skipped; the rest
//    is the value (trailing whitespace kept, as Java does; Flume trims values later, and so do we).
//  - Escapes in keys and values: \t \n \r \f, \uXXXX (exactly four hex digits; a malformed \u is
//    an error), and \<other> is <other> (so "\=", "\:", "\ ", "\#", "\\" are literals).
//    Code points from \uXXXX are stored as UTF-8.
//  - A duplicate key keeps the last value (Java semantics) and is reported as a warning naming
//    both lines.
//
// Substitution (Flume 1.10+, values only, never keys), done by substitute():
//  - ${env:NAME}: environment variable NAME; unset -> error.
//  - ${sys:NAME}: a system property given with -D on the command line; unset -> error.
//  - ${NAME}: another key of the merged configuration; else environment variable NAME; else a
//    -D system property; none -> error. A referenced value is itself substituted (cycles are an
//    error naming the chain).
//  - "$${" is an escaped literal "${".
//  - Errors are reported at the file:line of the value that contains the reference.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/diagnostics.h"

namespace flumen::config {

struct PropertyEntry {
  std::string key;
  std::string value;  // trimmed of surrounding whitespace after unescaping
  Location where;     // line where the logical line starts
};

class PropertiesFile {
 public:
  // Parses text; problems go to diags with file_name:line.
  static PropertiesFile parse(std::string_view text, const std::string& file_name,
                              Diagnostics& diags);
  // Reads and parses a file; an unreadable file is an error (file name, strerror) and nullopt.
  static std::optional<PropertiesFile> load(const std::string& path, Diagnostics& diags);

  // Adds `other`'s entries on top of this one's (later files override earlier ones, as Flume
  // merges several --conf-file). An override is not a duplicate warning.
  void merge(const PropertiesFile& other);

  // Applies ${...} substitution to every value. `env` looks up environment variables (injected
  // for tests; std::getenv in production); `system_properties` are the -D options.
  void substitute(const std::function<std::optional<std::string>(const std::string&)>& env,
                  const std::map<std::string, std::string>& system_properties, Diagnostics& diags);

  const PropertyEntry* find(std::string_view key) const;
  // Entries in order of first appearance; a duplicate updates the earlier entry's value and
  // location to the later line.
  const std::vector<PropertyEntry>& entries() const { return entries_; }

 private:
  std::vector<PropertyEntry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

// Levenshtein distance, used for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace flumen::config
