#include "agent/pipeline/registry.h"

namespace flumen::pipeline {

const char* plugin_kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::kSource:
      return "source";
    case PluginKind::kChannel:
      return "channel";
    case PluginKind::kSink:
      return "sink";
    case PluginKind::kInterceptor:
      return "interceptor";
  }
  return "?";
}

const PluginDef* Registry::find(PluginKind kind, std::string_view type) const {
  std::string lower = config::to_lower(type);
  for (const auto& d : defs_) {
    if (d.kind != kind) continue;
    if (d.name == lower) return &d;
    for (const auto& a : d.aliases)
      if (a == type || config::to_lower(a) == lower) return &d;
  }
  return nullptr;
}

std::vector<const PluginDef*> Registry::all(PluginKind kind) const {
  std::vector<const PluginDef*> out;
  for (const auto& d : defs_)
    if (d.kind == kind) out.push_back(&d);
  return out;
}

}  // namespace flumen::pipeline
