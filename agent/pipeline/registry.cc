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

namespace {

bool matches(const std::string& name, const std::vector<std::string>& aliases,
             std::string_view type, const std::string& lower) {
  if (name == lower) return true;
  for (const auto& a : aliases)
    if (a == type || config::to_lower(a) == lower) return true;
  return false;
}

}  // namespace

const PluginDef* Registry::find_loaded(PluginKind kind, std::string_view type) const {
  std::string lower = config::to_lower(type);
  for (const auto& d : defs_)
    if (d.kind == kind && matches(d.name, d.aliases, type, lower)) return &d;
  return nullptr;
}

const DeferredPlugin* Registry::find_deferred(PluginKind kind, std::string_view type) const {
  std::string lower = config::to_lower(type);
  for (const auto& d : deferred_)
    if (d.kind == kind && matches(d.name, d.aliases, type, lower)) return &d;
  return nullptr;
}

void Registry::load_module_locked(const std::string& module) const {
  ModuleState* state = nullptr;
  for (auto& m : modules_)
    if (m.module == module) state = &m;
  // Loaded, or being loaded further up this thread's stack (a module looking itself up): done.
  // Failed before: tried again, so a module installed since is found at the next reload.
  if (state && state->state != ModuleState::kFailed) return;
  if (!state) {
    state = &modules_.emplace_back();
    state->module = module;
  }
  state->state = ModuleState::kLoading;
  const size_t index = static_cast<size_t>(state - modules_.data());
  std::string error =
      loader_ ? loader_(module, const_cast<Registry&>(*this)) : "this registry loads no modules";
  ModuleState& done = modules_[index];  // the loader may have added entries
  done.state = error.empty() ? ModuleState::kLoaded : ModuleState::kFailed;
  done.error = std::move(error);
}

const PluginDef* Registry::find(PluginKind kind, std::string_view type) const {
  std::lock_guard lock(mutex_);
  if (const PluginDef* d = find_loaded(kind, type)) return d;
  const DeferredPlugin* deferred = find_deferred(kind, type);
  if (!deferred) return nullptr;
  load_module_locked(deferred->module);
  return find_loaded(kind, deferred->name);
}

std::string Registry::module_error(PluginKind kind, std::string_view type) const {
  std::lock_guard lock(mutex_);
  const DeferredPlugin* deferred = find_deferred(kind, type);
  if (!deferred) return "";
  for (const auto& m : modules_) {
    if (m.module != deferred->module || m.state == ModuleState::kLoading) continue;
    if (m.state == ModuleState::kFailed) return m.error;
    if (!find_loaded(kind, deferred->name))
      return "module " + m.module + " does not provide the " + plugin_kind_name(kind) + " '" +
             deferred->name + "'";
  }
  return "";
}

std::vector<std::string> Registry::names(PluginKind kind) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& d : defs_)
    if (d.kind == kind) out.push_back(d.name);
  for (const auto& d : deferred_) {
    if (d.kind != kind) continue;
    bool listed = false;
    for (const auto& n : out)
      listed = listed || n == d.name;
    if (!listed) out.push_back(d.name);
  }
  return out;
}

const std::deque<PluginDef>& Registry::defs() const {
  std::lock_guard lock(mutex_);
  for (const auto& d : deferred_)
    load_module_locked(d.module);
  return defs_;
}

std::vector<const PluginDef*> Registry::all(PluginKind kind) const {
  std::vector<const PluginDef*> out;
  for (const auto& d : defs())
    if (d.kind == kind) out.push_back(&d);
  return out;
}

}  // namespace flumen::pipeline
