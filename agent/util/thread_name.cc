#include "agent/util/thread_name.h"

#include <pthread.h>

namespace flumen::util {

namespace {
thread_local std::string t_active;
}

std::string thread_name(std::string_view prefix, std::string_view name) {
  std::string out(prefix);
  if (out.size() + name.size() <= kMaxThreadName) return out.append(name);
  if (out.size() + 3 > kMaxThreadName) return std::string(name.substr(0, kMaxThreadName));
  const size_t room = kMaxThreadName - out.size() - 1;  // one for '~'
  const size_t head = (room + 1) / 2;
  const size_t tail = room - head;
  out.append(name.substr(0, head));
  out += '~';
  out.append(name.substr(name.size() - tail));
  return out;
}

void set_thread_name(std::string_view name) {
  std::string cut(name.substr(0, kMaxThreadName));
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

std::string current_thread_name() {
  char buf[kMaxThreadName + 1] = {};
  if (pthread_getname_np(pthread_self(), buf, sizeof(buf)) != 0) return {};
  return buf;
}

ThreadNameScope::ThreadNameScope(std::string name)
    : saved_name_(current_thread_name()), saved_active_(t_active) {
  t_active = std::move(name);
  set_thread_name(t_active);
}

ThreadNameScope::~ThreadNameScope() {
  set_thread_name(saved_name_);
  t_active = std::move(saved_active_);
}

const std::string& ThreadNameScope::active() {
  return t_active;
}

}  // namespace flumen::util
