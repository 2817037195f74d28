#include "plugins/sinks/hdfs/hdfs_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/metrics/component_metrics.h"

namespace flumen::plugins {

namespace fs = std::filesystem;

HdfsSink::HdfsSink(std::string name, HdfsSinkOptions options)
    : Sink(std::move(name)), options_(std::move(options)) {
  std::string error;
  path_ = BucketPath::compile(options_.path, error);
  prefix_ = BucketPath::compile(options_.file_prefix, error);
  tz_ = TimeZoneSpec::parse(options_.time_zone).value_or(TimeZoneSpec{});
  if (options_.empty_in_use_suffix) options_.in_use_suffix.clear();
}

HdfsSink::~HdfsSink() {
  stop();
}

Status HdfsSink::start() {
  counter_ = metrics::now_millis();
  rolls_ = &metrics().counter("FileRollCount");
  recover_in_use_files();
  return Status::ok();
}

void HdfsSink::stop() {
  for (auto& [k, f] : files_)
    close_file(f);
  files_.clear();
}

void HdfsSink::recover_in_use_files() {
  if (options_.in_use_suffix.empty() && options_.in_use_prefix.empty()) return;
  // The fixed part of the path (before any escape) holds every bucket this sink can write.
  std::string root = options_.path.substr(0, options_.path.find('%'));
  root = root.substr(0, root.rfind('/') == std::string::npos ? 0 : root.rfind('/') + 1);
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    const auto& pre = options_.in_use_prefix;
    const auto& suf = options_.in_use_suffix;
    if (name.size() <= pre.size() + suf.size() || name.compare(0, pre.size(), pre) != 0 ||
        name.compare(name.size() - suf.size(), suf.size(), suf) != 0)
      continue;
    std::string final_name = name.substr(pre.size(), name.size() - pre.size() - suf.size());
    fs::path target = it->path().parent_path() / final_name;
    if (fs::exists(target, ec)) continue;
    fs::rename(it->path(), target, ec);
    if (!ec)
      spdlog::info("sink {}: closed {} left open by an earlier run", this->name(), target.string());
  }
}

HdfsSink::OpenFile* HdfsSink::file_for(const std::string& dir, const std::string& prefix,
                                       std::string& error) {
  key_ = dir;
  key_ += '/';
  key_ += prefix;
  auto it = files_.find(key_);
  if (it != files_.end() && it->second.fd >= 0) return &it->second;
  if (static_cast<int64_t>(files_.size()) >= options_.max_open_files) {
    auto lru = files_.begin();
    for (auto i = files_.begin(); i != files_.end(); ++i)
      if (i->second.last_write < lru->second.last_write) lru = i;
    close_file(lru->second);
    files_.erase(lru);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir + ": " + ec.message();
    return nullptr;
  }
  std::string suffix = options_.file_suffix;
  if (suffix.empty() && options_.file_type == "compressedstream")
    suffix = options_.codec == "gzip" ? ".gz" : ".zst";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix + "." + std::to_string(counter_++) + suffix;
    OpenFile f;
    f.dir = dir;
    f.final_path = dir + "/" + name;
    f.in_use_path = dir + "/" + options_.in_use_prefix + name + options_.in_use_suffix;
    if (::access(f.final_path.c_str(), F_OK) == 0) continue;
    f.fd = ::open(f.in_use_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f.fd < 0) {
      if (errno == EEXIST) continue;
      error = "cannot open " + f.in_use_path + ": " + std::strerror(errno);
      return nullptr;
    }
    f.opened_at = f.last_write = clock_();
    counters().connection_created->inc();
    auto [pos, inserted] = files_.insert_or_assign(key_, std::move(f));
    return &pos->second;
  }
  error = "no free file name in " + dir;
  return nullptr;
}

void HdfsSink::compress(std::string& data) {
  if (options_.file_type != "compressedstream" || data.empty()) return;
  if (options_.codec == "zstd") {
    compressed_.resize(ZSTD_compressBound(data.size()));
    size_t n = ZSTD_compress(compressed_.data(), compressed_.size(), data.data(), data.size(), 3);
    if (ZSTD_isError(n)) return;
    compressed_.resize(n);
  } else {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    compressed_.resize(deflateBound(&z, data.size()) + 32);
    z.next_in = reinterpret_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(compressed_.data());
    z.avail_out = static_cast<uInt>(compressed_.size());
    deflate(&z, Z_FINISH);
    compressed_.resize(z.total_out);
    deflateEnd(&z);
  }
  data.swap(compressed_);
}

Status HdfsSink::write_pending(OpenFile& f) {
  if (f.pending.empty()) return Status::ok();
  if (f.batch_start < 0) f.batch_start = ::lseek(f.fd, 0, SEEK_END);
  int64_t raw = static_cast<int64_t>(f.pending.size());
  compress(f.pending);
  size_t done = 0;
  while (done < f.pending.size()) {
    ssize_t n = ::write(f.fd, f.pending.data() + done, f.pending.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error(ErrorCode::kIo, "write to " + f.in_use_path +
                                            " failed: " + std::strerror(n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  f.events += f.pending_events;
  f.bytes += raw;
  f.pending.clear();
  f.pending_events = 0;
  f.last_write = clock_();
  return Status::ok();
}

void HdfsSink::close_file(OpenFile& f) {
  if (f.fd < 0) return;
  if (options_.fsync) ::fdatasync(f.fd);
  ::close(f.fd);
  f.fd = -1;
  if (f.in_use_path != f.final_path && ::rename(f.in_use_path.c_str(), f.final_path.c_str()) != 0)
    spdlog::error("sink {}: cannot rename {}: {}", name(), f.in_use_path, std::strerror(errno));
  counters().connection_closed->inc();
  rolls_->inc();
}

pipeline::DeliveryResult HdfsSink::deliver(const EventBatch& batch) {
  const int64_t now_ms = metrics::now_millis();
  int64_t rejected = 0;
  std::string first_problem, missing, error;
  auto fail = [&](const std::string& why) {
    // Undo the partial batch in every touched file, so the retry leaves no torn copy.
    for (auto& [k, f] : files_) {
      f.pending.clear();
      f.pending_events = 0;
      if (f.fd >= 0 && f.batch_start >= 0 && ::ftruncate(f.fd, f.batch_start) != 0)
        spdlog::error("sink {}: cannot truncate {}", name(), f.in_use_path);
      f.batch_start = -1;
    }
    counters().connection_failed->inc();
    return pipeline::DeliveryResult::retry(why);
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    int64_t ms = now_ms;
    if (!options_.use_local_time_stamp && (path_->needs_time() || prefix_->needs_time())) {
      auto ts = batch.header(i, "timestamp");
      auto parsed = ts ? config::parse_int(*ts) : std::nullopt;
      if (!parsed) {
        ++rejected;
        if (first_problem.empty())
          first_problem = ts ? "its timestamp header '" + std::string(*ts) + "' is not a number"
                             : "it has no timestamp header (add the timestamp interceptor or set "
                               "hdfs.useLocalTimeStamp)";
        continue;
      }
      ms = *parsed;
    }
    if (options_.round) ms = round_down(ms, options_.round_value, options_.round_unit);
    dir_.clear();
    prefix_text_.clear();
    if (!path_->expand(batch, i, ms, tz_, dir_, missing) ||
        !prefix_->expand(batch, i, ms, tz_, prefix_text_, missing)) {
      ++rejected;
      if (first_problem.empty()) first_problem = "it has no '" + missing + "' header for the path";
      continue;
    }
    OpenFile* f = file_for(dir_, prefix_text_, error);
    if (!f) return fail(error);
    if (options_.serializer == "header_and_text") {
      f->pending += '{';
      for (size_t h = 0; h < batch.header_count(i); ++h) {
        auto [k, v] = batch.header_at(i, h);
        if (h) f->pending += ", ";
        f->pending.append(k).append("=").append(v);
      }
      f->pending += "} ";
    }
    f->pending.append(batch.body(i));
    if (options_.append_newline) f->pending += '\n';
    f->pending_events++;
    bool count_roll =
        options_.roll_count > 0 && f->events + f->pending_events >= options_.roll_count;
    bool size_roll = options_.roll_size > 0 &&
                     f->bytes + static_cast<int64_t>(f->pending.size()) >= options_.roll_size;
    if (count_roll || size_roll) {
      if (Status s = write_pending(*f); !s) return fail(s.message());
      close_file(*f);  // synced and renamed: the next event of this bucket opens a new file
      files_.erase(key_);
    }
  }
  for (auto& [k, f] : files_) {
    if (Status s = write_pending(f); !s) return fail(s.message());
  }
  if (options_.fsync) {
    for (auto& [k, f] : files_)
      if (f.batch_start >= 0 && ::fdatasync(f.fd) != 0)
        return fail("sync of " + f.in_use_path + " failed: " + std::strerror(errno));
  }
  for (auto& [k, f] : files_)
    f.batch_start = -1;
  if (rejected > 0) {
    counters().event_rejected->inc(rejected);
    spdlog::error("sink {}: rejected {} event(s) of {}: {}", name(), rejected, batch.size(),
                  first_problem);
  }
  return pipeline::DeliveryResult::delivered();
}

void HdfsSink::tick(Clock::time_point now) {
  for (auto it = files_.begin(); it != files_.end();) {
    OpenFile& f = it->second;
    bool interval = options_.roll_interval_s > 0 &&
                    now - f.opened_at >= std::chrono::seconds(options_.roll_interval_s);
    bool idle = options_.idle_timeout_s > 0 &&
                now - f.last_write >= std::chrono::seconds(options_.idle_timeout_s);
    if (interval || idle) {
      close_file(f);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace flumen::plugins
