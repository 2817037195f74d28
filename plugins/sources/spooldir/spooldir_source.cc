#include "plugins/sources/spooldir/spooldir_source.h"

#include "agent/util/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "agent/metrics/component_metrics.h"
#include "agent/pipeline/channel.h"
#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// Files this source moved aside (name.CHANGED, name.FAILED, or with a .<millis> after those)
// must never be picked up again.
bool set_aside(const std::string& n) {
  for (const char* tag : {".CHANGED", ".FAILED"}) {
    size_t at = n.rfind(tag);
    if (at == std::string::npos) continue;
    size_t rest = at + std::strlen(tag);
    if (rest == n.size()) return true;
    if (n[rest] == '.' && rest + 1 < n.size() &&
        n.find_first_not_of("0123456789", rest + 1) == std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

SpoolDirSource::SpoolDirSource(std::string name, SpoolDirSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)) {}

SpoolDirSource::~SpoolDirSource() {
  do_stop();
}

Status SpoolDirSource::do_start() {
  std::string error;
  include_ = Regex::compile(options_.include_pattern, error);
  ignore_ = Regex::compile(options_.ignore_pattern, error);
  if (!include_ || !ignore_) return make_error(ErrorCode::kInvalidConfig, error);
  struct stat st {};
  if (::stat(options_.spool_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ErrorCode::kIo, "spoolDir " + options_.spool_dir + " is not a directory");
  tracker_dir_ = options_.tracker_dir.rfind('/', 0) == 0
                     ? options_.tracker_dir
                     : options_.spool_dir + "/" + options_.tracker_dir;
  std::error_code ec;
  std::filesystem::create_directories(tracker_dir_, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + tracker_dir_ + ": " + ec.message());
  files_done_ = &metrics().counter("FilesCompletedCount");
  files_failed_ = &metrics().counter("FilesFailedCount");
  lines_split_ = &metrics().counter("LinesSplitCount");
  buf_.resize(std::max<size_t>(1 << 20, static_cast<size_t>(options_.max_line_length) + 1));
  load_marker();
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void SpoolDirSource::do_stop() {
  stopping_ = true;
  wake_.notify();
  if (thread_.joinable()) thread_.join();
  if (cur_.fd >= 0) {
    ::close(cur_.fd);
    cur_.fd = -1;
  }
}

// The marker: "<dev> <ino> <size> <mtime> <pos> <path>", the file's identity as picked up (a
// completed file never changes) and the byte up to which its lines are committed.
std::string SpoolDirSource::marker_of(const struct stat& st, uint64_t pos,
                                      const std::string& path) {
  return std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " " +
         std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(pos) + " " + path;
}

std::optional<uint64_t> SpoolDirSource::marker_pos(const std::string& value, const struct stat& st,
                                                   const std::string& path) {
  // Same identity and path as `st`/`path` (the pos field aside): then the committed pos.
  const std::string mine = marker_of(st, 0, path);
  const size_t id_end = mine.find(' ', mine.find(' ', mine.find(' ', mine.find(' ') + 1) + 1) + 1);
  if (value.compare(0, id_end + 1, mine, 0, id_end + 1) != 0) return std::nullopt;
  const size_t pos_end = value.find(' ', id_end + 1);
  if (pos_end == std::string::npos || value.compare(pos_end + 1, std::string::npos, path) != 0)
    return std::nullopt;
  return std::strtoull(value.c_str() + id_end + 1, nullptr, 10);
}

void SpoolDirSource::load_marker() {
  // With durable channels the position of the file being ingested was committed with its
  // events: it decides where a restart resumes. The .progress file, written after, serves
  // channels that keep nothing across a restart.
  marker_key_ = "spooldir/" + name() + "/current";
  committed_.clear();
  for (pipeline::Channel* ch : processor().selector().channels()) {
    if (!ch->durable()) continue;
    durable_ = true;
    auto m = ch->markers(marker_key_);
    if (auto it = m.find(marker_key_); it != m.end()) committed_.push_back(it->second);
  }
}

bool SpoolDirSource::sleep_ms(int64_t ms) {
  wake_.wait_for(std::chrono::milliseconds(ms));
  return !stopping_;
}

std::string SpoolDirSource::tracker_path(const std::string& file, const std::string& ext) const {
  std::string rel = file.substr(options_.spool_dir.size() + 1);
  std::replace(rel.begin(), rel.end(), '/', '%');
  return tracker_dir_ + "/" + rel + ext;
}

void SpoolDirSource::collect(const std::string& dir,
                             std::vector<std::pair<std::string, struct stat>>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;  // hidden files, the tracker dir, . and ..
    std::string path = dir + "/" + n;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (options_.recursive && path != tracker_dir_) collect(path, out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    if (n.size() >= options_.file_suffix.size() &&
        n.compare(n.size() - options_.file_suffix.size(), std::string::npos,
                  options_.file_suffix) == 0)
      continue;
    if (set_aside(n)) continue;
    if (!include_->full_match(n) || ignore_->full_match(n)) continue;
    if (options_.tracking_policy == "tracker_dir" &&
        ::access(tracker_path(path, options_.file_suffix).c_str(), F_OK) == 0)
      continue;  // already ingested, left in place by design
    out.emplace_back(std::move(path), st);
  }
  ::closedir(d);
}

std::optional<std::string> SpoolDirSource::next_file() {
  std::vector<std::pair<std::string, struct stat>> files;
  collect(options_.spool_dir, files);
  if (files.empty()) return std::nullopt;
  if (options_.consume_order == "random") {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    return files[rng() % files.size()].first;
  }
  auto older = [](const auto& a, const auto& b) {
    if (a.second.st_mtim.tv_sec != b.second.st_mtim.tv_sec)
      return a.second.st_mtim.tv_sec < b.second.st_mtim.tv_sec;
    if (a.second.st_mtim.tv_nsec != b.second.st_mtim.tv_nsec)
      return a.second.st_mtim.tv_nsec < b.second.st_mtim.tv_nsec;
    return a.first < b.first;
  };
  auto it = options_.consume_order == "youngest"
                ? std::max_element(files.begin(), files.end(), older)
                : std::min_element(files.begin(), files.end(), older);
  return it->first;
}

bool SpoolDirSource::open_file(const std::string& path) {
  cur_ = Current{};
  cur_.path = path;
  cur_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (cur_.fd < 0 || ::fstat(cur_.fd, &cur_.at_pickup) != 0) {
    if (cur_.fd >= 0) ::close(cur_.fd);
    cur_.fd = -1;
    return false;
  }
  cur_.progress_path = tracker_path(path, ".progress");
  // Resume from the committed position of an earlier run, if it is about this same file: the
  // channel's marker first (committed with the events), else the progress file.
  std::ifstream in(cur_.progress_path);
  uint64_t ino = 0, pos = 0;
  // Several channels: the smallest committed position (a batch retried into one of them
  // comes twice there rather than never into the other).
  std::optional<uint64_t> committed;
  for (const std::string& value : committed_)
    if (auto at = marker_pos(value, cur_.at_pickup, path); at && (!committed || *at < *committed))
      committed = at;
  if (committed) {
    cur_.pos = std::min<uint64_t>(*committed, cur_.at_pickup.st_size);
    spdlog::info("spooldir {}: resuming {} at byte {} (committed in the channel)", name(), path,
                 cur_.pos);
  } else if (in >> ino >> pos && ino == static_cast<uint64_t>(cur_.at_pickup.st_ino) &&
             pos <= static_cast<uint64_t>(cur_.at_pickup.st_size)) {
    cur_.pos = pos;
    spdlog::info("spooldir {}: resuming {} at byte {}", name(), path, pos);
  } else {
    spdlog::info("spooldir {}: ingesting {}", name(), path);
  }
  buf_len_ = 0;
  buf_start_ = 0;
  return true;
}

void SpoolDirSource::save_progress(uint64_t committed_pos) {
  // Not synced: a process crash keeps it, a power loss re-reads a few batches.
  const std::string text =
      std::to_string(cur_.at_pickup.st_ino) + " " + std::to_string(committed_pos) + "\n";
  if (Status s = write_file_atomically(cur_.progress_path, text, false); !s)
    spdlog::warn("spooldir source {}: {} (a restart may read some lines again)", name(),
                 s.message());
}

bool SpoolDirSource::ingest_batch() {
  batch_.clear();
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  const bool utf8 = options_.input_charset == "utf-8";
  uint64_t p = cur_.pos;
  std::string cleaned;
  auto add = [&](std::string_view line) -> bool {
    if (utf8) {
      cleaned.clear();
      bool bad = false;
      for (size_t i = 0; i < line.size();) {
        size_t n = utf8_sequence(line, i);
        if (n) {
          cleaned.append(line.substr(i, n));
          i += n;
          continue;
        }
        bad = true;
        if (options_.decode_error_policy == "replace") cleaned += "\xEF\xBF\xBD";
        ++i;
      }
      if (bad && options_.decode_error_policy == "fail") return false;
      if (bad) line = cleaned;
    }
    size_t i = batch_.add(line);
    if (options_.file_header) batch_.set_header(i, options_.file_header_key, cur_.path);
    if (options_.basename_header)
      batch_.set_header(i, options_.basename_header_key,
                        cur_.path.substr(cur_.path.rfind('/') + 1));
    return true;
  };
  bool eof = false;
  while (batch_.size() < static_cast<size_t>(options_.batch_size)) {
    if (p < buf_start_ || p >= buf_start_ + buf_len_ ||
        (std::memchr(buf_.data() + (p - buf_start_), '\n', buf_start_ + buf_len_ - p) == nullptr &&
         buf_start_ + buf_len_ - p <= max_line)) {
      ssize_t n = ::pread(cur_.fd, buf_.data(), buf_.size(), static_cast<off_t>(p));
      buf_start_ = p;
      buf_len_ = n > 0 ? static_cast<size_t>(n) : 0;
    }
    std::string_view v(buf_.data() + (p - buf_start_), buf_start_ + buf_len_ - p);
    if (v.empty()) {
      eof = true;
      break;
    }
    const char* nl = static_cast<const char*>(std::memchr(v.data(), '\n', v.size()));
    size_t len = nl ? static_cast<size_t>(nl - v.data()) : v.size();
    std::string_view line = v.substr(0, std::min(len, max_line));
    size_t consumed = line.size();
    if (len > max_line) {
      lines_split_->inc();  // Flume's LINE deserializer splits long lines the same way
    } else {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      consumed = nl ? len + 1 : len;  // a last line without newline is complete at EOF
    }
    if (!add(line)) {
      // What is in flight of this file is committed first (or read again before this line).
      if (!settle(0)) return back_off_after_failed_put();
      move_aside("it is not valid " + options_.input_charset, ".FAILED");
      return false;
    }
    p += consumed;
  }
  bool failed_now = false;
  if (!batch_.empty()) {
    // With a durable channel the new position goes into the same commit as the lines.
    const std::string value = durable_ ? marker_of(cur_.at_pickup, p, cur_.path) : "";
    const pipeline::ChannelProcessor::Marker marker{marker_key_, value};
    InFlight* fl;
    {
      std::lock_guard lock(flight_mu_);
      fl = &in_flight_.emplace_back();
      fl->pos_before = cur_.pos;
      fl->pos_after = p;
    }
    processor().process_batch_async(
        batch_,
        durable_ ? std::span(&marker, 1) : std::span<const pipeline::ChannelProcessor::Marker>{},
        chain_, [this, fl](Status st) {
          std::lock_guard lock(flight_mu_);
          fl->status = std::move(st);
          fl->done = true;
          flight_cv_.notify_one();
        });
    cur_.pos = p;  // read on while it syncs; settle() sends it back if the commit fails
    std::lock_guard lock(flight_mu_);
    failed_now = fl->done && !fl->status;
  }
  // The file is done only when every batch of it committed.
  if (!settle(eof || failed_now ? 0 : kMaxInFlight - 1)) return back_off_after_failed_put();
  put_backoff_ = std::chrono::milliseconds(50);
  return !eof;
}

bool SpoolDirSource::settle(size_t keep) {
  std::unique_lock lock(flight_mu_);
  bool failed = false;
  uint64_t committed = 0;
  bool any_committed = false;
  while (!in_flight_.empty() && (failed || in_flight_.size() > keep)) {
    InFlight& fl = in_flight_.front();
    flight_cv_.wait(lock, [&] { return fl.done; });
    if (!failed && !fl.status) {
      failed = true;
      cur_.pos = fl.pos_before;  // the channel and the processor said why
    } else if (!failed) {
      committed = fl.pos_after;
      any_committed = true;
    }
    in_flight_.pop_front();
  }
  lock.unlock();
  if (any_committed && cur_.fd >= 0) save_progress(committed);
  if (failed) chain_ = std::make_shared<pipeline::CommitChain>();
  return !failed;
}

bool SpoolDirSource::back_off_after_failed_put() {
  // stopping: what committed stays committed, the rest is read again at the next start
  if (!sleep_ms(put_backoff_.count())) return false;
  put_backoff_ = std::min(put_backoff_ * 2, std::chrono::milliseconds(options_.max_backoff_ms));
  return true;  // read again from the first batch that did not commit
}

void SpoolDirSource::move_aside(const std::string& why, const char* suffix) {
  std::string aside = cur_.path + suffix;
  if (::access(aside.c_str(), F_OK) == 0) aside += "." + std::to_string(metrics::now_millis());
  spdlog::error("spooldir {}: {} {}; moved to {}", name(), cur_.path, why, aside);
  files_failed_->inc();
  ::rename(cur_.path.c_str(), aside.c_str());
  ::close(cur_.fd);
  cur_.fd = -1;
  ::unlink(cur_.progress_path.c_str());
}

void SpoolDirSource::finish_file() {
  struct stat now {};
  if (::stat(cur_.path.c_str(), &now) != 0 || now.st_ino != cur_.at_pickup.st_ino) {
    spdlog::error("spooldir {}: {} vanished or was replaced while being ingested", name(),
                  cur_.path);
    files_failed_->inc();
    ::close(cur_.fd);
    cur_.fd = -1;
    ::unlink(cur_.progress_path.c_str());
    return;
  }
  if (now.st_size != cur_.at_pickup.st_size ||
      now.st_mtim.tv_sec != cur_.at_pickup.st_mtim.tv_sec ||
      now.st_mtim.tv_nsec != cur_.at_pickup.st_mtim.tv_nsec) {
    // Files must be complete when they are dropped in; what was read was delivered, the rest
    // would be guesswork. Flume stops the source here; we set the file aside and go on.
    move_aside("changed after it was picked up (write elsewhere, then move it in)", ".CHANGED");
    return;
  }
  ::close(cur_.fd);
  cur_.fd = -1;
  if (options_.delete_policy == "immediate") {
    ::unlink(cur_.path.c_str());
  } else if (options_.tracking_policy == "tracker_dir") {
    std::ofstream(tracker_path(cur_.path, options_.file_suffix)) << "done\n";
  } else {
    std::string done = cur_.path + options_.file_suffix;
    if (::access(done.c_str(), F_OK) == 0) {
      // A name used twice: keep both, say so.
      std::string again =
          cur_.path + "." + std::to_string(metrics::now_millis()) + options_.file_suffix;
      spdlog::warn("spooldir {}: {} already exists (a file name was used twice); completed as {}",
                   name(), done, again);
      done = again;
    }
    if (::rename(cur_.path.c_str(), done.c_str()) != 0)
      spdlog::error("spooldir {}: cannot rename {}: {}", name(), cur_.path, std::strerror(errno));
  }
  ::unlink(cur_.progress_path.c_str());
  files_done_->inc();
  spdlog::info("spooldir {}: completed {}", name(), cur_.path);
}

void SpoolDirSource::run() {
  ingest_files();
  settle(0);  // the commits in flight call back into this source: wait for them
}

void SpoolDirSource::ingest_files() {
  while (!stopping_) {
    if (cur_.fd < 0) {
      auto next = next_file();
      if (!next || !open_file(*next)) {
        if (!sleep_ms(options_.poll_delay_ms)) return;
        continue;
      }
    }
    bool more = ingest_batch();
    if (stopping_) return;
    if (cur_.fd < 0) continue;  // moved aside
    if (!more) finish_file();
  }
}

}  // namespace flumen::plugins
