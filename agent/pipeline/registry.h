#pragma once
// The plugin registry: an ordinary object listing every plugin type (its names, its property
// table, and how to configure and build it). plugins/registry.cc fills the built-in one from an
// explicit list; tests may build their own. Nothing self-registers.
//
// Plugins that live in a loadable module (see agent/runtime/module_loader.h) are listed by name
// only, as deferred entries; the first lookup of one loads its module, which adds the real
// definitions.

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "agent/config/property_table.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/interceptor.h"
#include "agent/pipeline/sink.h"
#include "agent/pipeline/source.h"

namespace flumen::pipeline {

enum class PluginKind { kSource, kChannel, kSink, kInterceptor };
const char* plugin_kind_name(PluginKind kind);  // "source", ...

using OpaqueOptions = std::shared_ptr<const void>;

struct PluginDef {
  PluginKind kind = PluginKind::kSource;
  std::string name;                  // the short type name users write (lower case)
  std::vector<std::string> aliases;  // Flume class names and other accepted spellings
  std::string summary;
  const config::PropertyTableBase* table = nullptr;
  std::string batch_key;  // the key holding this component's batch size ("" if none)
  // Sinks: several instances may drain one channel side by side (`<sink>.workers`), because
  // they share nothing outside the process (no files of the same name, for instance).
  bool allows_workers = false;

  // Parse + validate, no I/O. Always returns the options (rows that were refused keep their
  // defaults) so that graph checks still run; the caller goes by the error count.
  std::function<OpaqueOptions(const config::ComponentEntries&, config::Diagnostics&)> configure;
  std::function<int64_t(const void* opts)> batch_size;            // sources and sinks
  std::function<int64_t(const void* opts)> transaction_capacity;  // channels

  std::function<std::unique_ptr<Source>(const std::string& name, const void* opts)> make_source;
  std::function<std::unique_ptr<Channel>(const std::string& name, const void* opts,
                                         std::shared_ptr<metrics::ComponentMetrics>)>
      make_channel;
  std::function<std::unique_ptr<Sink>(const std::string& name, const void* opts)> make_sink;
  std::function<std::unique_ptr<Interceptor>(const void* opts)> make_interceptor;
};

// A plugin known by name before its module is loaded.
struct DeferredPlugin {
  PluginKind kind = PluginKind::kSource;
  std::string name;
  std::vector<std::string> aliases;
  std::string module;  // e.g. "flumen-kafka.so"
};

class Registry {
 public:
  // Adds a module's definitions to the registry; returns "" or why the module cannot be used.
  using ModuleLoader = std::function<std::string(const std::string& module, Registry& into)>;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void add(PluginDef def) { defs_.push_back(std::move(def)); }
  void add_deferred(DeferredPlugin plugin) { deferred_.push_back(std::move(plugin)); }
  void set_module_loader(ModuleLoader loader) { loader_ = std::move(loader); }

  // By short name (case-insensitive, as Flume matches aliases) or by alias (exact class name).
  // A deferred plugin's module is loaded here; null if there is no such plugin or its module
  // could not be loaded (module_error() says why).
  const PluginDef* find(PluginKind kind, std::string_view type) const;
  // Why `type` could not be found although a module provides it; "" otherwise.
  std::string module_error(PluginKind kind, std::string_view type) const;
  // The type names users may write, deferred ones included; loads nothing.
  std::vector<std::string> names(PluginKind kind) const;
  // Every definition of a kind (loading every module first), in registration order.
  std::vector<const PluginDef*> all(PluginKind kind) const;
  const std::deque<PluginDef>& defs() const;
  const std::vector<DeferredPlugin>& deferred() const { return deferred_; }

 private:
  const PluginDef* find_loaded(PluginKind kind, std::string_view type) const;
  const DeferredPlugin* find_deferred(PluginKind kind, std::string_view type) const;
  void load_module_locked(const std::string& module) const;

  // A deque: loading a module appends, and pointers handed out earlier must stay valid.
  mutable std::deque<PluginDef> defs_;
  std::vector<DeferredPlugin> deferred_;
  ModuleLoader loader_;
  mutable std::recursive_mutex mutex_;
  struct ModuleState {
    std::string module;
    enum { kLoading, kLoaded, kFailed } state = kLoading;
    std::string error;
  };
  mutable std::vector<ModuleState> modules_;
};

// Helpers that wire an options struct, its table and its implementation into a PluginDef.
// Opts may provide a free function validate(const Opts&, const ComponentEntries&, Diagnostics&)
// for cross-field checks, and a member batch_size / transaction_capacity.
namespace detail {
template <typename Opts>
OpaqueOptions configure(const config::PropertyTable<Opts>& table, const config::ComponentEntries& e,
                        config::Diagnostics& d) {
  auto opts = std::make_shared<Opts>();
  table.parse(*opts, e, d);
  // The cross-field checks run even when a value was refused (that row keeps its default), so
  // one bad value does not hide the other problems of the component.
  if constexpr (requires { validate(*opts, e, d); }) validate(*opts, e, d);
  return opts;
}
template <typename Opts>
void fill_common(PluginDef& def, const config::PropertyTable<Opts>& table) {
  def.table = &table;
  def.configure = [&table](const config::ComponentEntries& e, config::Diagnostics& d) {
    return configure<Opts>(table, e, d);
  };
  if constexpr (requires(const Opts& o) { o.batch_size; }) {
    def.batch_size = [](const void* o) {
      return static_cast<int64_t>(static_cast<const Opts*>(o)->batch_size);
    };
  }
  if constexpr (requires(const Opts& o) { o.transaction_capacity; }) {
    def.transaction_capacity = [](const void* o) {
      return static_cast<int64_t>(static_cast<const Opts*>(o)->transaction_capacity);
    };
  }
}
}  // namespace detail

template <typename Impl, typename Opts>
PluginDef source_plugin(std::string name, std::vector<std::string> aliases, std::string summary,
                        const config::PropertyTable<Opts>& table, std::string batch_key = "") {
  PluginDef d;
  d.kind = PluginKind::kSource;
  d.name = std::move(name);
  d.aliases = std::move(aliases);
  d.summary = std::move(summary);
  d.batch_key = std::move(batch_key);
  detail::fill_common(d, table);
  d.make_source = [](const std::string& n, const void* o) -> std::unique_ptr<Source> {
    return std::make_unique<Impl>(n, *static_cast<const Opts*>(o));
  };
  return d;
}

template <typename Impl, typename Opts>
PluginDef channel_plugin(std::string name, std::vector<std::string> aliases, std::string summary,
                         const config::PropertyTable<Opts>& table) {
  PluginDef d;
  d.kind = PluginKind::kChannel;
  d.name = std::move(name);
  d.aliases = std::move(aliases);
  d.summary = std::move(summary);
  detail::fill_common(d, table);
  d.make_channel = [](const std::string& n, const void* o,
                      std::shared_ptr<metrics::ComponentMetrics> m) -> std::unique_ptr<Channel> {
    return std::make_unique<Impl>(n, *static_cast<const Opts*>(o), std::move(m));
  };
  return d;
}

template <typename Impl, typename Opts>
PluginDef sink_plugin(std::string name, std::vector<std::string> aliases, std::string summary,
                      const config::PropertyTable<Opts>& table, std::string batch_key = "") {
  PluginDef d;
  d.kind = PluginKind::kSink;
  d.name = std::move(name);
  d.aliases = std::move(aliases);
  d.summary = std::move(summary);
  d.batch_key = std::move(batch_key);
  detail::fill_common(d, table);
  d.make_sink = [](const std::string& n, const void* o) -> std::unique_ptr<Sink> {
    return std::make_unique<Impl>(n, *static_cast<const Opts*>(o));
  };
  return d;
}

template <typename Impl, typename Opts>
PluginDef interceptor_plugin(std::string name, std::vector<std::string> aliases,
                             std::string summary, const config::PropertyTable<Opts>& table) {
  PluginDef d;
  d.kind = PluginKind::kInterceptor;
  d.name = std::move(name);
  d.aliases = std::move(aliases);
  d.summary = std::move(summary);
  detail::fill_common(d, table);
  d.make_interceptor = [](const void* o) -> std::unique_ptr<Interceptor> {
    return std::make_unique<Impl>(*static_cast<const Opts*>(o));
  };
  return d;
}

}  // namespace flumen::pipeline
