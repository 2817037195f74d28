#include "agent/config/property_table.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "agent/config/properties.h"

namespace flumen::config {

const char* prop_type_name(PropType type) {
  switch (type) {
    case PropType::kString:
      return "string";
    case PropType::kInt:
      return "integer";
    case PropType::kDouble:
      return "number";
    case PropType::kBool:
      return "boolean";
    case PropType::kEnum:
      return "one of";
    case PropType::kList:
      return "list";
    case PropType::kMap:
      return "map";
  }
  return "?";
}

std::string_view trim(std::string_view v) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n'; };
  while (!v.empty() && space(v.front()))
    v.remove_prefix(1);
  while (!v.empty() && space(v.back()))
    v.remove_suffix(1);
  return v;
}

std::string to_lower(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> parse_int(std::string_view v) {
  v = trim(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) return std::nullopt;
  return out;
}

std::optional<double> parse_double(std::string_view v) {
  std::string s(trim(v));
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return d;
}

std::optional<bool> parse_bool(std::string_view v) {
  std::string s = to_lower(trim(v));
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::vector<std::string> split_words(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i])))
      ++i;
    size_t start = i;
    while (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i])))
      ++i;
    if (i > start) out.emplace_back(v.substr(start, i - start));
  }
  return out;
}

std::string PropertyInfo::constraint_text() const {
  if (type == PropType::kEnum) {
    std::string out;
    for (const auto& c : choices)
      out += (out.empty() ? "" : " | ") + c;
    return out;
  }
  if (type == PropType::kInt || type == PropType::kDouble) {
    bool has_min = min != std::numeric_limits<int64_t>::min();
    bool has_max = max != std::numeric_limits<int64_t>::max();
    if (has_min || has_max)
      return (has_min ? std::to_string(min) : "") + ".." + (has_max ? std::to_string(max) : "");
  }
  return "";
}

const PropertyInfo* PropertyTableBase::find(std::string_view key) const {
  for (const auto& r : infos_)
    if (r.key == key) return &r;
  return nullptr;
}

void PropertyTableBase::add_row(PropertyInfo info, Setter set) {
  infos_.push_back(std::move(info));
  setters_.push_back(std::move(set));
}

std::optional<std::string> PropertyTableBase::check_value(const PropertyInfo& row,
                                                          std::string_view value) {
  std::string_view v = trim(value);
  switch (row.type) {
    case PropType::kString:
    case PropType::kList:
    case PropType::kMap:
      return std::nullopt;
    case PropType::kBool:
      if (!parse_bool(v)) return "expected true or false, got '" + std::string(v) + "'";
      return std::nullopt;
    case PropType::kInt: {
      auto n = parse_int(v);
      if (!n) return "expected an integer, got '" + std::string(v) + "'";
      if (*n < row.min || *n > row.max)
        return "must be in " + row.constraint_text() + ", got " + std::to_string(*n);
      return std::nullopt;
    }
    case PropType::kDouble: {
      auto d = parse_double(v);
      if (!d) return "expected a number, got '" + std::string(v) + "'";
      if (*d < static_cast<double>(row.min) || *d > static_cast<double>(row.max))
        return "must be in " + row.constraint_text() + ", got " + std::string(v);
      return std::nullopt;
    }
    case PropType::kEnum: {
      std::string lower = to_lower(v);
      for (const auto& c : row.choices)
        if (c == lower) return std::nullopt;
      return "expected one of " + row.constraint_text() + ", got '" + std::string(v) + "'";
    }
  }
  return std::nullopt;
}

void PropertyTableBase::check_paths(const PropertyInfo& row, std::string_view value,
                                    const std::string& key, const Location& where,
                                    Diagnostics& diags) {
  if (row.path_use == PathUse::kNone) return;
  std::vector<std::string> paths;
  if (row.type == PropType::kList) {
    for (auto& p : split_words(value))
      paths.push_back(p);
  } else {
    paths.emplace_back(trim(value));
  }
  for (const auto& p : paths)
    if (auto why = check_writable(p, row.path_use)) diags.error(where, key + ": " + *why);
}

bool PropertyTableBase::parse_into(void* opts, const ComponentEntries& in,
                                   Diagnostics& diags) const {
  size_t errors_before = diags.error_count();
  for (size_t r = 0; r < infos_.size(); ++r) {
    const PropertyInfo& row = infos_[r];
    if (row.type != PropType::kMap && !row.default_value.empty())
      setters_[r](opts, "", row.default_value);
  }
  std::vector<bool> seen(infos_.size(), false);
  for (const PropertyEntry& e : in.entries) {
    size_t match = infos_.size();
    std::string map_key;
    for (size_t r = 0; r < infos_.size() && match == infos_.size(); ++r) {
      const PropertyInfo& row = infos_[r];
      if (row.type == PropType::kMap) {
        if (e.key.size() > row.key.size() && e.key.compare(0, row.key.size(), row.key) == 0) {
          match = r;
          map_key = e.key.substr(row.key.size());
        }
        continue;
      }
      if (row.key == e.key) match = r;
      for (const auto& a : row.aliases)
        if (a == e.key) match = r;
    }
    if (match == infos_.size()) {
      std::vector<std::string> known;
      for (const auto& row : infos_)
        known.push_back(row.key);
      // Flume hands a component every key it was given and the component reads the ones it
      // knows: an unknown key is ignored there, so here it is a warning (an error with --strict).
      std::string msg = "unknown property '" + in.key_prefix + e.key + "' for " + in.description;
      std::string near = nearest(e.key, known);
      // `kafka.acks` for `kafka.producer.acks`: a key under a map row's first part.
      for (const auto& row : infos_) {
        if (!near.empty()) break;
        size_t dot = row.key.find('.');
        if (row.type != PropType::kMap || dot == std::string::npos || dot + 1 == row.key.size())
          continue;
        const std::string head = row.key.substr(0, dot + 1);
        if (e.key.compare(0, head.size(), head) == 0) near = row.key + e.key.substr(head.size());
      }
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      diags.warning(e.where, msg + " (ignored, as Flume ignores it)");
      continue;
    }
    const PropertyInfo& row = infos_[match];
    if (auto problem = check_value(row, e.value)) {
      diags.error(e.where, in.key_prefix + e.key + ": " + *problem);
      continue;
    }
    seen[match] = true;
    setters_[match](opts, map_key, trim(e.value));
    check_paths(row, e.value, in.key_prefix + e.key, e.where, diags);
  }
  for (size_t r = 0; r < infos_.size(); ++r) {
    if (infos_[r].required && !seen[r])
      diags.error(in.where, in.description + ": missing required property '" + in.key_prefix +
                                infos_[r].key + "'");
    // A default path is written as much as a configured one.
    if (!seen[r] && !infos_[r].default_value.empty())
      check_paths(infos_[r], infos_[r].default_value,
                  in.key_prefix + infos_[r].key + " (default " + infos_[r].default_value + ")",
                  in.where, diags);
  }
  return diags.error_count() == errors_before;
}

}  // namespace flumen::config
