#include "agent/runtime/module_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

namespace flumen::runtime {

namespace {

std::string binary_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return exe.parent_path().string();
}

std::mutex& modules_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, void*>& loaded_modules() {
  static std::map<std::string, void*> m;
  return m;
}

}  // namespace

std::vector<std::string> module_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FLUMEN_MODULE_DIR"); env && *env) dirs.emplace_back(env);
  std::string bin = binary_dir();
  if (!bin.empty()) {
    dirs.push_back(bin);
    dirs.push_back((std::filesystem::path(bin).parent_path() / "lib" / "flumen").string());
  }
  return dirs;
}

Result<void*> load_module(const std::string& file) {
  std::lock_guard lock(modules_mutex());
  auto& loaded = loaded_modules();
  if (auto it = loaded.find(file); it != loaded.end()) return it->second;
  std::string tried;
  for (const auto& dir : module_search_dirs()) {
    auto path = std::filesystem::path(dir) / file;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + dir;
      continue;
    }
    // RTLD_NOW: an unresolved symbol is reported here, with the module's name, and not as a
    // crash in the middle of a pipeline. RTLD_LOCAL: modules do not see each other.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      return make_error(ErrorCode::kInvalidConfig,
                        "cannot load module " + path.string() + ": " + (why ? why : "?"));
    }
    auto abi = reinterpret_cast<long (*)()>(dlsym(handle, "flumen_module_abi"));
    if (!abi || abi() != kModuleAbi) {
      const long theirs = abi ? abi() : -1;
      dlclose(handle);
      return make_error(ErrorCode::kInvalidConfig,
                        "module " + path.string() + " was built from other sources (module ABI " +
                            std::to_string(theirs) + ", this flumen " + std::to_string(kModuleAbi) +
                            "): install the modules that came with this binary");
    }
    loaded.emplace(file, handle);
    return handle;
  }
  return make_error(ErrorCode::kInvalidConfig,
                    "module " + file + " not found (looked in " + tried +
                        "; set FLUMEN_MODULE_DIR to the directory that holds it)");
}

Result<void*> module_symbol(const std::string& file, const std::string& symbol) {
  auto handle = load_module(file);
  if (!handle) return handle.error();
  dlerror();
  void* address = dlsym(handle.value(), symbol.c_str());
  if (!address)
    return make_error(ErrorCode::kInvalidConfig, "module " + file + " has no entry point " +
                                                     symbol +
                                                     " (is it from another flumen version?)");
  return address;
}

}  // namespace flumen::runtime
