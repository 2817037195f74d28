#pragma once
// One typed property table per plugin: each row names a key (Flume's spelling, so Flume confs run
// unchanged), its type, its default as a user would write it, whether it is required, its range or
// choices, and a one-line doc. The same rows parse and validate a component's keys into a plain
// options struct, report unknown keys with the nearest known one, and generate docs/reference/.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/config/path_check.h"
#include "agent/config/properties.h"

namespace flumen::config {

// Value parsing shared by tables and hand-written graph checks.
std::optional<int64_t> parse_int(std::string_view v);
std::optional<double> parse_double(std::string_view v);
std::optional<bool> parse_bool(std::string_view v);
std::vector<std::string> split_words(std::string_view v);
std::string to_lower(std::string_view v);
std::string_view trim(std::string_view v);

enum class PropType { kString, kInt, kDouble, kBool, kEnum, kList, kMap };
const char* prop_type_name(PropType type);

struct PropertyInfo {
  std::string key;  // for kMap: the prefix including its final '.', e.g. "priority."
  PropType type = PropType::kString;
  std::string default_value;  // as written in a conf file; empty = no default
  bool required = false;
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::string> choices;  // kEnum, lower case
  std::vector<std::string> aliases;  // other accepted spellings (Flume's deprecated keys)
  std::string doc;
  // A path the component writes (kString and kList rows): checked when the conf is parsed.
  PathUse path_use = PathUse::kNone;

  // "1..1000000", "round_robin | random" or "".
  std::string constraint_text() const;
};

// The keys a component was given, relative to the component (e.g. "batchSize").
struct ComponentEntries {
  std::string description;  // for messages: "source 'r1' (type seq)"
  std::string key_prefix;   // "a1.sources.r1." to show full keys in messages
  Location where;           // the component's type line, for missing-key errors
  std::vector<PropertyEntry> entries;
};

class PropertyTableBase {
 public:
  virtual ~PropertyTableBase() = default;
  const std::vector<PropertyInfo>& rows() const { return infos_; }
  const PropertyInfo* find(std::string_view key) const;

  // Fills `opts` (the table's options struct): defaults first, then every entry. Reports unknown
  // keys as warnings (with the nearest known key; Flume ignores them), and as errors values that
  // do not parse or are out of range (the row keeps its default) and missing required keys.
  // Returns false if anything was reported as an error.
  bool parse_into(void* opts, const ComponentEntries& in, Diagnostics& diags) const;

  // Parses one value for a row (also used to check that defaults parse).
  static std::optional<std::string> check_value(const PropertyInfo& row, std::string_view value);
  // For rows naming paths the component writes: an error per path it could not write.
  static void check_paths(const PropertyInfo& row, std::string_view value, const std::string& key,
                          const Location& where, Diagnostics& diags);

 protected:
  using Setter =
      std::function<void(void* opts, const std::string& map_key, std::string_view value)>;
  void add_row(PropertyInfo info, Setter set);
  PropertyInfo& last() { return infos_.back(); }

 private:
  std::vector<PropertyInfo> infos_;
  std::vector<Setter> setters_;
};

template <typename Opts>
class PropertyTable : public PropertyTableBase {
 public:
  PropertyTable& string(std::string key, std::string Opts::*m, std::string def, std::string doc) {
    add_row(info(key, PropType::kString, def, doc),
            [m](void* o, const std::string&, std::string_view v) {
              static_cast<Opts*>(o)->*m = std::string(v);
            });
    return *this;
  }
  PropertyTable& integer(std::string key, int64_t Opts::*m, std::string def, int64_t min,
                         int64_t max, std::string doc) {
    PropertyInfo i = info(key, PropType::kInt, def, doc);
    i.min = min;
    i.max = max;
    add_row(std::move(i), [m](void* o, const std::string&, std::string_view v) {
      static_cast<Opts*>(o)->*m = parse_int(v).value_or(0);
    });
    return *this;
  }
  PropertyTable& decimal(std::string key, double Opts::*m, std::string def, int64_t min,
                         int64_t max, std::string doc) {
    PropertyInfo i = info(key, PropType::kDouble, def, doc);
    i.min = min;
    i.max = max;
    add_row(std::move(i), [m](void* o, const std::string&, std::string_view v) {
      static_cast<Opts*>(o)->*m = parse_double(v).value_or(0.0);
    });
    return *this;
  }
  PropertyTable& boolean(std::string key, bool Opts::*m, std::string def, std::string doc) {
    add_row(info(key, PropType::kBool, def, doc),
            [m](void* o, const std::string&, std::string_view v) {
              static_cast<Opts*>(o)->*m = parse_bool(v).value_or(false);
            });
    return *this;
  }
  // Stores the matching choice in lower case (Flume matches these names case-insensitively).
  PropertyTable& one_of(std::string key, std::string Opts::*m, std::string def,
                        std::vector<std::string> choices, std::string doc) {
    PropertyInfo i = info(key, PropType::kEnum, def, doc);
    for (auto& c : choices)
      i.choices.push_back(to_lower(c));
    add_row(std::move(i), [m](void* o, const std::string&, std::string_view v) {
      static_cast<Opts*>(o)->*m = to_lower(trim(v));
    });
    return *this;
  }
  // Whitespace-separated names, as Flume's component lists.
  PropertyTable& list(std::string key, std::vector<std::string> Opts::*m, std::string def,
                      std::string doc) {
    add_row(info(key, PropType::kList, def, doc),
            [m](void* o, const std::string&, std::string_view v) {
              static_cast<Opts*>(o)->*m = split_words(v);
            });
    return *this;
  }
  // Every key under a prefix: "priority.k1 = 5" -> (opts.*m)["k1"] = "5".
  PropertyTable& map(std::string prefix, std::map<std::string, std::string> Opts::*m,
                     std::string doc) {
    add_row(info(prefix, PropType::kMap, "", doc),
            [m](void* o, const std::string& k, std::string_view v) {
              (static_cast<Opts*>(o)->*m)[k] = std::string(v);
            });
    return *this;
  }
  PropertyTable& required() {
    last().required = true;
    return *this;
  }
  // The value names a file the component creates or rewrites / a directory it writes in.
  PropertyTable& writable_file() {
    last().path_use = PathUse::kWritableFile;
    return *this;
  }
  PropertyTable& writable_dir() {
    last().path_use = PathUse::kWritableDir;
    return *this;
  }
  PropertyTable& alias(std::string key) {
    last().aliases.push_back(std::move(key));
    return *this;
  }

  bool parse(Opts& opts, const ComponentEntries& in, Diagnostics& diags) const {
    return parse_into(&opts, in, diags);
  }

 private:
  static PropertyInfo info(std::string& key, PropType type, std::string def, std::string& doc) {
    PropertyInfo i;
    i.key = std::move(key);
    i.type = type;
    i.default_value = std::move(def);
    i.doc = std::move(doc);
    return i;
  }
};

}  // namespace flumen::config
