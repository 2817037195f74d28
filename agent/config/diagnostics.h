#pragma once
// Every configuration problem is collected (not thrown) so that one run reports all of them,
// each as `file:line: severity: message`, before anything starts.

#include <string>
#include <vector>

namespace flumen::config {

// Where a key came from. line 0 means "no particular line" (e.g. a missing key).
struct Location {
  std::string file;
  int line = 0;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity;
  Location where;
  std::string message;
};

class Diagnostics {
 public:
  void error(const Location& where, std::string message);
  // Something Flume tolerates (it ignores the key or drops the component and runs the rest).
  // In strict mode (`--strict`) it is recorded as an error instead.
  void warning(const Location& where, std::string message);

  void set_strict(bool strict) { strict_ = strict; }
  bool strict() const { return strict_; }

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return items_; }

  // Ordered by file, then line (stable: same-line problems keep the order they were found).
  std::vector<Diagnostic> sorted() const;
  // "file:line: error: message" lines, in sorted() order.
  std::string format() const;
  static std::string format_one(const Diagnostic& d);

 private:
  std::vector<Diagnostic> items_;
  bool strict_ = false;
};

}  // namespace flumen::config
