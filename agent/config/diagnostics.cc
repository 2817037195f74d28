#include "agent/config/diagnostics.h"

#include <algorithm>

namespace flumen::config {

void Diagnostics::error(const Location& where, std::string message) {
  items_.push_back({Severity::kError, where, std::move(message)});
}

void Diagnostics::warning(const Location& where, std::string message) {
  if (strict_) {
    items_.push_back({Severity::kError, where, std::move(message) + " [--strict]"});
    return;
  }
  items_.push_back({Severity::kWarning, where, std::move(message)});
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (const auto& d : items_)
    n += d.severity == Severity::kError ? 1 : 0;
  return n;
}

std::string Diagnostics::format_one(const Diagnostic& d) {
  std::string out = d.where.file.empty() ? std::string("<config>") : d.where.file;
  if (d.where.line > 0) out += ":" + std::to_string(d.where.line);
  out += d.severity == Severity::kError ? ": error: " : ": warning: ";
  out += d.message;
  return out;
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where.file != b.where.file) return a.where.file < b.where.file;
    return a.where.line < b.where.line;
  });
  return out;
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& d : sorted()) {
    out += format_one(d);
    out += '\n';
  }
  return out;
}

}  // namespace flumen::config
