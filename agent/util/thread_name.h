#pragma once
// Thread names (pthread_setname_np; at most 15 bytes on Linux) so that `top -H`, `ps -L` and
// /proc/<pid>/task/*/comm show which component a busy thread works for: "src-r1", "sink-k1",
// "grp-g1" (a sink group's runner), "chan-c1", "metrics", "broker".
//
// Linux starts a new thread with its creator's name. A ThreadNameScope names the calling thread
// while a component starts (Source::start, SinkRunner::start, a channel's start), so every
// thread the component starts meanwhile (its own std::threads, a library's workers) carries the
// component's name without the component naming it; LoopThread names its thread after the
// scope too. The caller's own name comes back when the scope ends (meanwhile `top -H` shows the
// agent's main thread under the starting component's name).

#include <string>
#include <string_view>

namespace flumen::util {

inline constexpr size_t kMaxThreadName = 15;

// prefix + name in at most 15 bytes; a longer name keeps its start and its end around a '~'
// ("src-taildir_app_2" -> "src-taild~app_2"), since names often differ only at the end.
std::string thread_name(std::string_view prefix, std::string_view name);

// Names the calling thread (cut to 15 bytes). Best effort: a failure is ignored.
void set_thread_name(std::string_view name);
std::string current_thread_name();

class ThreadNameScope {
 public:
  explicit ThreadNameScope(std::string name);
  ~ThreadNameScope();
  ThreadNameScope(const ThreadNameScope&) = delete;
  ThreadNameScope& operator=(const ThreadNameScope&) = delete;

  // The name of the innermost scope open on this thread, or "".
  static const std::string& active();

 private:
  std::string saved_name_;
  std::string saved_active_;
};

}  // namespace flumen::util
