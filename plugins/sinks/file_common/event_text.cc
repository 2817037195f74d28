#include "plugins/sinks/file_common/event_text.h"

namespace flumen::plugins {

namespace {

void append_escaped(std::string_view text, std::string& out) {
  size_t from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '\n' && c != '\r') continue;
    out.append(text.substr(from, i - from));
    out += '\\';
    out += c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    from = i + 1;
  }
  out.append(text.substr(from));
}

}  // namespace

void append_event_text(const EventBatch& batch, size_t event, bool with_headers,
                       bool append_newline, std::string& out) {
  if (with_headers) {
    // Java's Map.toString(): {k1=v1, k2=v2}
    out += '{';
    for (size_t h = 0; h < batch.header_count(event); ++h) {
      auto [k, v] = batch.header_at(event, h);
      if (h) out += ", ";
      append_escaped(k, out);
      out += '=';
      append_escaped(v, out);
    }
    out += "} ";
  }
  out.append(batch.body(event));
  if (append_newline) out += '\n';
}

}  // namespace flumen::plugins
