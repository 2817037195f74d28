#include "agent/config/properties.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flumen::config {

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}

std::string_view trim_ws(std::string_view v) {
  while (!v.empty() && is_ws(v.front()))
    v.remove_prefix(1);
  while (!v.empty() && is_ws(v.back()))
    v.remove_suffix(1);
  return v;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A logical line: natural lines joined at odd trailing backslashes, with the continuation
// backslash removed and the next line's leading whitespace dropped (as Properties.load does).
struct LogicalLine {
  std::string text;
  int line;
};

std::vector<std::string_view> natural_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

bool ends_with_odd_backslashes(std::string_view s) {
  size_t n = 0;
  for (size_t i = s.size(); i > 0 && s[i - 1] == '\\'; --i)
    ++n;
  return n % 2 == 1;
}

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  auto lines = natural_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view first = lines[i];
    size_t lead = 0;
    while (lead < first.size() && is_ws(first[lead]))
      ++lead;
    first.remove_prefix(lead);
    if (first.empty() || first[0] == '#' || first[0] == '!') continue;  // comments never continue
    LogicalLine ll{std::string(first), static_cast<int>(i + 1)};
    while (ends_with_odd_backslashes(ll.text) && i + 1 < lines.size()) {
      ll.text.pop_back();
      std::string_view next = lines[++i];
      while (!next.empty() && is_ws(next.front()))
        next.remove_prefix(1);
      ll.text.append(next);
    }
    if (ends_with_odd_backslashes(ll.text)) ll.text.pop_back();  // at end of file: dropped
    out.push_back(std::move(ll));
  }
  return out;
}

// Unescapes \t \n \r \f \uXXXX and \<c> -> <c>. Returns false (with a message) on a bad \u.
bool unescape(std::string_view in, std::string& out, std::string& error,
              std::string* dropped = nullptr) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 >= in.size()) {
      out += c;
      continue;
    }
    char e = in[++i];
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        uint32_t cp = 0;
        if (in.size() - (i + 1) < 4) {
          error = "malformed \\uxxxx escape: expected four hex digits";
          return false;
        }
        for (int k = 0; k < 4; ++k) {
          int h = hex_value(in[i + 1 + static_cast<size_t>(k)]);
          if (h < 0) {
            error = "malformed \\uxxxx escape: expected four hex digits";
            return false;
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        i += 4;
        // A surrogate pair written as two escapes is one code point.
        if (cp >= 0xD800 && cp <= 0xDBFF && in.size() - (i + 1) >= 6 && in[i + 1] == '\\' &&
            in[i + 2] == 'u') {
          uint32_t lo = 0;
          bool ok = true;
          for (int k = 0; k < 4; ++k) {
            int h = hex_value(in[i + 3 + static_cast<size_t>(k)]);
            if (h < 0) ok = false;
            lo = lo * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
          }
          if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
            uint32_t full = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            out += static_cast<char>(0xF0 | (full >> 18));
            out += static_cast<char>(0x80 | ((full >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((full >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (full & 0x3F));
            i += 6;
            break;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default:
        // Java drops the backslash of an unknown escape; in a regex (\d, \.) that silently
        // changes the pattern, so the caller warns (a doubled backslash is the literal).
        if (std::isalnum(static_cast<unsigned char>(e)) && dropped) *dropped += e;
        out += e;
    }
  }
  return true;
}

}  // namespace

PropertiesFile PropertiesFile::parse(std::string_view text, const std::string& file_name,
                                     Diagnostics& diags) {
  PropertiesFile pf;
  for (const LogicalLine& ll : logical_lines(text)) {
    std::string_view s = ll.text;
    // The key ends at the first unescaped '=', ':' or whitespace.
    size_t k = 0;
    bool escaped = false;
    for (; k < s.size(); ++k) {
      if (escaped) {
        escaped = false;
        continue;
      }
      if (s[k] == '\\') {
        escaped = true;
        continue;
      }
      if (s[k] == '=' || s[k] == ':' || is_ws(s[k])) break;
    }
    std::string_view raw_key = s.substr(0, k);
    size_t v = k;
    while (v < s.size() && is_ws(s[v]))
      ++v;
    if (v < s.size() && (s[v] == '=' || s[v] == ':')) ++v;
    while (v < s.size() && is_ws(s[v]))
      ++v;
    std::string_view raw_value = s.substr(v);

    Location where{file_name, ll.line};
    std::string key, value, error;
    std::string dropped;
    if (!unescape(raw_key, key, error) || !unescape(raw_value, value, error, &dropped)) {
      diags.error(where, error);
      continue;
    }
    if (!dropped.empty())
      diags.warning(where, "'\\" + dropped.substr(0, 1) + "' in the value of '" + key +
                               "' is read as '" + dropped.substr(0, 1) +
                               "' (Java properties escape); write '\\\\" + dropped.substr(0, 1) +
                               "' for a backslash, e.g. in a regex");
    value = std::string(trim_ws(value));
    auto it = pf.index_.find(key);
    if (it != pf.index_.end()) {
      PropertyEntry& prev = pf.entries_[it->second];
      diags.warning(where, "duplicate key '" + key + "' (first at line " +
                               std::to_string(prev.where.line) + "); the value from line " +
                               std::to_string(ll.line) + " is used");
      prev.value = std::move(value);
      prev.where = where;
      continue;
    }
    pf.index_.emplace(key, pf.entries_.size());
    pf.entries_.push_back({std::move(key), std::move(value), where});
  }
  return pf;
}

std::optional<PropertiesFile> PropertiesFile::load(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 0}, std::string("cannot read config file: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path, diags);
}

void PropertiesFile::merge(const PropertiesFile& other) {
  for (const PropertyEntry& e : other.entries_) {
    auto it = index_.find(e.key);
    if (it != index_.end()) {
      entries_[it->second].value = e.value;
      entries_[it->second].where = e.where;
    } else {
      index_.emplace(e.key, entries_.size());
      entries_.push_back(e);
    }
  }
}

const PropertyEntry* PropertiesFile::find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

namespace {

struct Substituter {
  PropertiesFile* file;
  const std::function<std::optional<std::string>(const std::string&)>* env;
  const std::map<std::string, std::string>* sys;
  Diagnostics* diags;
  std::map<std::string, std::string> resolved;  // keys already substituted
  std::vector<std::string> stack;               // keys being substituted (cycle detection)

  // Substitutes one value; `where` is the location errors are reported at.
  std::optional<std::string> expand(const std::string& value, const Location& where) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '$' && value.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 2;
        continue;
      }
      if (value[i] != '$' || i + 1 >= value.size() || value[i + 1] != '{') {
        out += value[i];
        continue;
      }
      size_t close = value.find('}', i + 2);
      if (close == std::string::npos) {
        out += value.substr(i);  // no closing brace: literal, as Commons Text leaves it
        break;
      }
      std::string name = value.substr(i + 2, close - i - 2);
      auto v = lookup(name, where);
      if (!v) return std::nullopt;
      out += *v;
      i = close;
    }
    return out;
  }

  std::optional<std::string> lookup(const std::string& spec, const Location& where) {
    // ${name:-default}, as Flume's substitution (commons-text StringSubstitutor) reads it: the
    // default when the variable is not set.
    const size_t dash = spec.find(":-");
    if (dash != std::string::npos) {
      const std::string name = spec.substr(0, dash);
      Diagnostics quiet;
      Diagnostics* saved = diags;
      diags = &quiet;
      auto v = lookup(name, where);
      diags = saved;
      if (v) return v;
      return expand(spec.substr(dash + 2), where);
    }
    const std::string& name = spec;
    if (name.rfind("env:", 0) == 0) {
      if (auto v = (*env)(name.substr(4))) return v;
      diags->error(where, "unresolved variable ${" + name + "}");
      return std::nullopt;
    }
    if (name.rfind("sys:", 0) == 0) {
      auto it = sys->find(name.substr(4));
      if (it != sys->end()) return it->second;
      diags->error(where, "unresolved variable ${" + name + "}");
      return std::nullopt;
    }
    if (const PropertyEntry* e = file->find(name)) return value_of(*e);
    if (auto v = (*env)(name)) return v;
    auto it = sys->find(name);
    if (it != sys->end()) return it->second;
    diags->error(where, "unresolved variable ${" + name +
                            "}: not a key, an environment variable or a -D property");
    return std::nullopt;
  }

  std::optional<std::string> value_of(const PropertyEntry& e) {
    auto done = resolved.find(e.key);
    if (done != resolved.end()) return done->second;
    if (std::find(stack.begin(), stack.end(), e.key) != stack.end()) {
      std::string chain;
      bool in = false;
      for (const auto& k : stack) {
        if (k == e.key) in = true;
        if (in) chain += k + " -> ";
      }
      diags->error(e.where, "circular substitution: " + chain + e.key);
      return std::nullopt;
    }
    stack.push_back(e.key);
    auto v = expand(e.value, e.where);
    stack.pop_back();
    if (v) resolved[e.key] = *v;
    return v;
  }
};

}  // namespace

void PropertiesFile::substitute(
    const std::function<std::optional<std::string>(const std::string&)>& env,
    const std::map<std::string, std::string>& system_properties, Diagnostics& diags) {
  Substituter sub{this, &env, &system_properties, &diags, {}, {}};
  std::vector<std::optional<std::string>> values;
  for (const PropertyEntry& e : entries_)
    values.push_back(sub.value_of(e));
  for (size_t i = 0; i < entries_.size(); ++i)
    if (values[i]) entries_[i].value = *values[i];
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  auto lower = [](std::string_view s) {
    std::string o(s);
    for (char& c : o)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
  };
  const std::string w = lower(word);
  // A key written with the wrong prefix (`batchSize` for file_roll's `sink.batchSize`,
  // `kafka.flumeBatchSize` for `flumeBatchSize`) is found by its last dotted part.
  auto last_part = [](std::string_view s) {
    size_t dot = s.rfind('.');
    return dot == std::string_view::npos ? s : s.substr(dot + 1);
  };
  const std::string w_last = lower(last_part(word));
  if (!w_last.empty()) {
    for (const auto& c : candidates)
      if (lower(c) != w && lower(last_part(c)) == w_last) return c;
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::string best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(w, lower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best_d <= limit ? best : "";
}

}  // namespace flumen::config
