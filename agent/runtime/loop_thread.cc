#include "agent/runtime/loop_thread.h"

#include <spdlog/spdlog.h>

#include <future>

#include "agent/util/thread_name.h"

namespace flumen::runtime {

LoopThread::LoopThread(std::string name) : name_(std::move(name)) {}

LoopThread::~LoopThread() {
  stop([] {});
}

void LoopThread::on_async(uv_async_t* handle) {
  static_cast<LoopThread*>(handle->data)->drain_tasks();
}

void LoopThread::drain_tasks() {
  std::vector<std::function<void()>> tasks;
  bool stop = false;
  {
    std::lock_guard lock(mu_);
    tasks.swap(tasks_);
    stop = stop_requested_;
  }
  for (auto& t : tasks)
    t();
  if (stop && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

Status LoopThread::start(std::function<Status()> init) {
  if (int rc = uv_loop_init(&loop_); rc != 0)
    return make_error(ErrorCode::kInternal, std::string("uv_loop_init: ") + uv_strerror(rc));
  uv_async_init(&loop_, &async_, &LoopThread::on_async);
  async_.data = this;
  std::promise<Status> started;
  auto result = started.get_future();
  stop_requested_ = false;
  // Started by a component (a source's loop): named after it, else after what it serves.
  std::string thread_name =
      util::ThreadNameScope::active().empty() ? name_ : util::ThreadNameScope::active();
  thread_ = std::thread([this, &started, init = std::move(init), thread_name] {
    util::set_thread_name(thread_name);
    started.set_value(init());
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  running_ = true;
  Status s = result.get();
  if (!s) stop([] {});
  return s;
}

void LoopThread::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(fn));
  }
  uv_async_send(&async_);
}

void LoopThread::stop(std::function<void()> teardown) {
  if (!running_) return;
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(teardown));
    stop_requested_ = true;
  }
  uv_async_send(&async_);
  if (thread_.joinable()) thread_.join();
  // Anything still open would be a leak in the source; walk and close to release memory anyway.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) spdlog::warn("{}: loop closed with handles open", name_);
  running_ = false;
}

}  // namespace flumen::runtime
