#include "plugins/sinks/file_roll/file_roll_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "agent/metrics/component_metrics.h"

namespace flumen::plugins {

FileRollSink::FileRollSink(std::string name, FileRollSinkOptions options)
    : Sink(std::move(name)), options_(std::move(options)) {}

FileRollSink::~FileRollSink() {
  close_current();
}

Status FileRollSink::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "cannot create directory " + options_.directory + ": " + ec.message());
  series_millis_ = metrics::now_millis();
  last_roll_ = std::chrono::steady_clock::now();
  return Status::ok();
}

void FileRollSink::stop() {
  close_current();
}

std::string FileRollSink::next_file_name() {
  ++file_index_;
  std::string name = options_.prefix;
  if (options_.path_manager == "rolltime") {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    name += stamp;
  } else {
    name += std::to_string(series_millis_);
  }
  name += "-" + std::to_string(file_index_);
  if (!options_.extension.empty()) name += "." + options_.extension;
  return name;
}

Status FileRollSink::open_next() {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string candidate = options_.directory + "/" + next_file_name();
    // O_EXCL: never append to a file another run (or another sink) wrote.
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      fd_ = fd;
      path_ = candidate;
      opened_at_ = std::chrono::steady_clock::now();
      counters().connection_created->inc();
      return Status::ok();
    }
    if (errno != EEXIST)
      return make_error(ErrorCode::kIo, "cannot open " + candidate + ": " + std::strerror(errno));
  }
  return make_error(ErrorCode::kIo, "cannot find a free file name in " + options_.directory);
}

void FileRollSink::close_current() {
  if (fd_ < 0) return;
  if (options_.fsync) ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  counters().connection_closed->inc();
}

void FileRollSink::serialize(const EventBatch& batch, std::string& out) const {
  out.clear();
  out.reserve(batch.arena_bytes() + batch.size() * 2);
  const bool headers = options_.serializer == "header_and_text";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (headers) {
      // Java's Map.toString(): {k1=v1, k2=v2}
      out += '{';
      for (size_t h = 0; h < batch.header_count(i); ++h) {
        auto [k, v] = batch.header_at(i, h);
        if (h) out += ", ";
        out.append(k).append("=").append(v);
      }
      out += "} ";
    }
    out.append(batch.body(i));
    if (options_.append_newline) out += '\n';
  }
}

pipeline::DeliveryResult FileRollSink::deliver(const EventBatch& batch) {
  if (fd_ < 0) {
    if (Status s = open_next(); !s) {
      counters().connection_failed->inc();
      return pipeline::DeliveryResult::retry(s.message());
    }
  }
  serialize(batch, buffer_);
  off_t start = ::lseek(fd_, 0, SEEK_END);
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = "write to " + path_ + " failed: " + std::strerror(n < 0 ? errno : EIO);
      // Undo the partial batch so the retry does not leave a torn copy behind.
      if (start >= 0 && ::ftruncate(fd_, start) != 0)
        spdlog::error("sink {}: cannot truncate {} after a failed write", name(), path_);
      return pipeline::DeliveryResult::retry(why);
    }
    done += static_cast<size_t>(n);
  }
  if (options_.fsync && ::fdatasync(fd_) != 0) {
    std::string why = "fsync of " + path_ + " failed: " + std::strerror(errno);
    if (start >= 0 && ::ftruncate(fd_, start) != 0)
      spdlog::error("sink {}: cannot truncate {} after a failed fsync", name(), path_);
    return pipeline::DeliveryResult::retry(why);
  }
  return pipeline::DeliveryResult::delivered();
}

void FileRollSink::tick(std::chrono::steady_clock::time_point now) {
  if (options_.roll_interval_s <= 0 || fd_ < 0) return;
  if (now - opened_at_ >= std::chrono::seconds(options_.roll_interval_s)) close_current();
}

}  // namespace flumen::plugins
