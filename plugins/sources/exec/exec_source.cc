#include "plugins/sources/exec/exec_source.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {
constexpr int kMaxBackoffMs = 1000;
}

// One pipe from the child, read through libuv.
struct ExecSource::Stream {
  ExecSource* src = nullptr;
  uv_pipe_t pipe{};
  bool is_stdout = true;
  bool reading = false;
  std::string err_partial;  // stderr line being assembled (logStdErr)

  void start() {
    if (reading) return;
    reading = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&pipe),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static thread_local char storage[65536];
          buf->base = storage;
          buf->len = sizeof storage;
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          auto* self = static_cast<Stream*>(s->data);
          if (nread > 0) {
            std::string_view bytes(buf->base, static_cast<size_t>(nread));
            if (self->is_stdout) {
              self->src->on_stdout(bytes);
            } else {
              self->err_partial.append(bytes);
              size_t nl;
              while ((nl = self->err_partial.find('\n')) != std::string::npos) {
                spdlog::info("exec {} stderr: {}", self->src->name(),
                             self->err_partial.substr(0, nl));
                self->err_partial.erase(0, nl + 1);
              }
            }
          } else if (nread < 0) {
            self->stop();
            if (self->is_stdout) self->src->on_stdout_eof();
          }
        });
  }
  void stop() {
    if (reading) uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe));
    reading = false;
  }
  void close() {
    stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe),
             [](uv_handle_t* h) { delete static_cast<Stream*>(h->data); });
  }
};

ExecSource::ExecSource(std::string name, ExecSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("exec") {}

ExecSource::~ExecSource() {
  do_stop();
}

Status ExecSource::do_start() {
  lines_split_ = &metrics().counter("LinesSplitCount");
  return loop_.start([this]() -> Status {
    batch_timer_ = new uv_timer_t;
    reap_timer_ = new uv_timer_t;
    uv_timer_init(loop_.loop(), batch_timer_);
    uv_timer_init(loop_.loop(), reap_timer_);
    batch_timer_->data = this;
    reap_timer_->data = this;
    return spawn();
  });
}

Status ExecSource::spawn() {
  // argv is built before fork: only async-signal-safe calls happen in the child.
  std::vector<std::string> args = config::split_words(options_.shell);
  if (args.empty())
    args = config::split_words(options_.command);
  else
    args.push_back(options_.command);
  if (args.empty()) return make_error(ErrorCode::kInvalidConfig, "empty command");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  if (options_.log_stderr && pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return make_error(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: die with the agent, own process group so stop() reaches grandchildren too.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    dup2(out_pipe[1], STDOUT_FILENO);
    if (err_pipe[1] >= 0) {
      dup2(err_pipe[1], STDERR_FILENO);
    } else {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    }
    int devnull_in = ::open("/dev/null", O_RDONLY);
    if (devnull_in >= 0) dup2(devnull_in, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // the agent blocks signals in its threads
    execvp(argv[0], argv.data());
    const char msg[] = "exec: cannot run command\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  pid_ = pid;
  ::close(out_pipe[1]);
  if (err_pipe[1] >= 0) ::close(err_pipe[1]);
  auto open_stream = [this](int fd, bool is_stdout) {
    auto* s = new Stream;
    s->src = this;
    s->is_stdout = is_stdout;
    uv_pipe_init(loop_.loop(), &s->pipe, 0);
    s->pipe.data = s;
    uv_pipe_open(&s->pipe, fd);
    s->start();
    return s;
  };
  out_ = open_stream(out_pipe[0], true);
  stdout_open_ = true;
  if (err_pipe[0] >= 0) err_ = open_stream(err_pipe[0], false);
  spdlog::info("exec source {}: started '{}' (pid {})", name(), options_.command, pid_);
  return Status::ok();
}

void ExecSource::on_stdout(std::string_view bytes) {
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    std::string_view piece =
        bytes.substr(pos, nl == std::string_view::npos ? bytes.npos : nl - pos);
    partial_.append(piece);
    while (partial_.size() > max_line) {
      pending_.add(std::string_view(partial_).substr(0, max_line));
      partial_.erase(0, max_line);
      lines_split_->inc();
    }
    if (nl == std::string_view::npos) break;
    // readLine() semantics: "\r\n" ends a line too.
    std::string_view line = partial_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pending_.add(line);
    partial_.clear();
    pos = nl + 1;
  }
  if (pending_.size() >= static_cast<size_t>(options_.batch_size)) {
    flush();
  } else if (!pending_.empty() && !uv_is_active(reinterpret_cast<uv_handle_t*>(batch_timer_))) {
    uv_timer_start(
        batch_timer_, [](uv_timer_t* t) { static_cast<ExecSource*>(t->data)->flush(); },
        static_cast<uint64_t>(options_.batch_timeout_ms), 0);
  }
}

void ExecSource::flush() {
  uv_timer_stop(batch_timer_);
  const size_t max = static_cast<size_t>(options_.batch_size);
  while (!pending_.empty()) {
    // Never more than batchSize per transaction (it is checked against transactionCapacity).
    EventBatch chunk;
    const EventBatch* put = &pending_;
    if (pending_.size() > max) {
      chunk.append_range(pending_, 0, max);
      put = &chunk;
    }
    Status s = processor().process_batch(*put);
    if (!s) {
      spdlog::debug("exec {}: put failed ({}), retrying", name(), s.message());
      schedule_retry();
      return;
    }
    pending_.drop_front(put->size());
  }
  backoff_ms_ = 10;
  if (put_failing_) {
    put_failing_ = false;
    if (out_ && stdout_open_) out_->start();
  }
  if (!stdout_open_) check_exit();
}

void ExecSource::schedule_retry() {
  // Stop reading: the child blocks on its full pipe instead of its output being dropped.
  put_failing_ = true;
  if (out_) out_->stop();
  uv_timer_start(
      batch_timer_, [](uv_timer_t* t) { static_cast<ExecSource*>(t->data)->flush(); },
      static_cast<uint64_t>(backoff_ms_), 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

void ExecSource::on_stdout_eof() {
  stdout_open_ = false;
  if (!partial_.empty()) {
    pending_.add(partial_);  // the last line had no newline: still an event
    partial_.clear();
  }
  out_->close();
  out_ = nullptr;
  flush();
}

void ExecSource::check_exit() {
  if (pid_ <= 0 || stopping_) return;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) {
    // stdout closed but the process lives on: look again shortly.
    uv_timer_start(
        reap_timer_, [](uv_timer_t* t) { static_cast<ExecSource*>(t->data)->check_exit(); }, 100,
        0);
    return;
  }
  if (WIFEXITED(status))
    spdlog::info("exec source {}: command exited with code {}", name(), WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    spdlog::info("exec source {}: command killed by signal {}", name(), WTERMSIG(status));
  pid_ = -1;
  if (err_) {
    err_->close();
    err_ = nullptr;
  }
  if (!options_.restart) return;
  uv_timer_start(
      reap_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<ExecSource*>(t->data);
        if (self->stopping_) return;
        if (Status s = self->spawn(); !s) {
          spdlog::error("exec source {}: restart failed: {}", self->name(), s.message());
          self->counters().generic_processing_fail->inc();
          self->check_exit();  // tries again after restartThrottle
        }
      },
      static_cast<uint64_t>(options_.restart_throttle_ms), 0);
}

void ExecSource::kill_child() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {  // up to 2 s for a clean exit
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    usleep(10'000);
  }
  ::kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ExecSource::do_stop() {
  loop_.stop([this] {
    stopping_ = true;
    kill_child();
    // Lines already read get one last chance to reach the channel before they are gone.
    if (!pending_.empty() && processor().process_batch(pending_).is_ok()) pending_.clear();
    if (!pending_.empty())
      spdlog::warn("exec source {}: {} lines not delivered at stop", name(), pending_.size());
    if (out_) out_->close();
    if (err_) err_->close();
    out_ = err_ = nullptr;
    auto free_timer = [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); };
    if (batch_timer_) uv_close(reinterpret_cast<uv_handle_t*>(batch_timer_), free_timer);
    if (reap_timer_) uv_close(reinterpret_cast<uv_handle_t*>(reap_timer_), free_timer);
    batch_timer_ = reap_timer_ = nullptr;
  });
}

}  // namespace flumen::plugins
