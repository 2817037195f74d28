#include "plugins/sources/taildir/taildir_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

std::string expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + path.substr(1);
}

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

TaildirSource::TaildirSource(std::string name, TaildirSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("taildir") {}

TaildirSource::~TaildirSource() {
  do_stop();
}

Status TaildirSource::do_start() {
  position_path_ = expand_home(options_.position_file);
  auto loaded = load_positions(position_path_);
  if (!loaded) return loaded.status();
  saved_ = std::move(loaded).value();
  for (const auto& gname : options_.filegroups) {
    const std::string& spec = options_.filegroup_paths.at(gname);
    size_t slash = spec.rfind('/');
    std::string error;
    auto re = Regex::compile(spec.substr(slash + 1), error);
    if (!re) return make_error(ErrorCode::kInvalidConfig, error);
    Group g(gname, slash == 0 ? "/" : spec.substr(0, slash), *re);
    for (const auto& [k, v] : options_.headers)
      if (k.rfind(gname + ".", 0) == 0) g.headers.emplace_back(k.substr(gname.size() + 1), v);
    std::string prefix = "FileGroup." + gname + ".";
    g.lines = &metrics().counter(prefix + "LineCount");
    g.bytes = &metrics().counter(prefix + "ByteCount");
    g.open_files = &metrics().counter(prefix + "OpenFiles", metrics::MetricKind::kGauge);
    g.lag = &metrics().counter(prefix + "LagBytes", metrics::MetricKind::kGauge);
    groups_.push_back(std::move(g));
  }
  lines_split_ = &metrics().counter("LinesSplitCount");
  partial_lines_ = &metrics().counter("PartialLinesEmittedCount");
  truncations_ = &metrics().counter("TruncationCount");
  rotations_ = &metrics().counter("RotationCount");
  buf_.resize(std::max<size_t>(1 << 20, static_cast<size_t>(options_.max_line_length) + 1));
  return loop_.start([this] { return init_on_loop(); });
}

Status TaildirSource::init_on_loop() {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_.loop(), timer_);
  timer_->data = this;
  for (Group& g : groups_) {
    struct stat st {};
    if (::stat(g.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      spdlog::warn("taildir {}: directory {} of file group {} does not exist (yet); polling",
                   name(), g.dir, g.name);
  }
  scan(true);
  saved_.clear();
  schedule(0);
  return Status::ok();
}

void TaildirSource::schedule(uint64_t delay_ms) {
  if (stopping_) return;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<TaildirSource*>(t->data)->work(); }, delay_ms, 0);
}

void TaildirSource::list_group(Group& g, bool force) {
  if (!g.watch) {
    // inotify on the directory reports new, renamed and modified files: wake up at once.
    auto* w = new uv_fs_event_t;
    uv_fs_event_init(loop_.loop(), w);
    w->data = this;
    int rc = uv_fs_event_start(
        w,
        [](uv_fs_event_t* h, const char*, int events, int) {
          auto* self = static_cast<TaildirSource*>(h->data);
          if (events & UV_RENAME) self->last_scan_ = {};  // a file appeared or moved: rescan
          self->backoff_ms_ = 0;
          self->schedule(0);
        },
        g.dir.c_str(), 0);
    if (rc == 0) {
      g.watch = w;
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(w),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_fs_event_t*>(h); });
    }
  }
  struct stat dst {};
  if (::stat(g.dir.c_str(), &dst) != 0) {
    g.listing.clear();
    return;
  }
  // With cachePatternMatching, an unchanged directory mtime means the same names; a change
  // within the last 2 s is re-listed anyway (coarse mtime granularity on some filesystems).
  auto now = std::time(nullptr);
  if (!force && options_.cache_pattern_matching && same_time(dst.st_mtim, g.dir_mtime) &&
      now - dst.st_mtim.tv_sec > 2) {
    for (auto& [path, st] : g.listing)
      ::stat(path.c_str(), &st);
    return;
  }
  g.dir_mtime = dst.st_mtim;
  g.listing.clear();
  DIR* d = ::opendir(g.dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    if (n == "." || n == ".." || !g.regex.full_match(n)) continue;
    std::string path = g.dir == "/" ? "/" + std::string(n) : g.dir + "/" + std::string(n);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    g.listing.emplace_back(std::move(path), st);
  }
  ::closedir(d);
}

void TaildirSource::refresh_fingerprint(File& f) {
  const size_t want = static_cast<size_t>(std::min<uint64_t>(options_.fingerprint_bytes, f.size));
  if (want <= f.fp_len && f.fp_len > 0) return;
  std::string head(want, '\0');
  ssize_t n = ::pread(f.fd, head.data(), want, 0);
  if (n < 0) return;
  f.fp_len = static_cast<uint64_t>(n);
  f.fp = fingerprint_of(head.data(), static_cast<size_t>(n));
}

bool TaildirSource::fingerprint_matches(const File& f, uint64_t fp, uint64_t fp_len) {
  if (fp_len == 0) return true;
  std::string head(fp_len, '\0');
  ssize_t n = ::pread(f.fd, head.data(), fp_len, 0);
  return n == static_cast<ssize_t>(fp_len) && fingerprint_of(head.data(), fp_len) == fp;
}

void TaildirSource::scan(bool startup) {
  last_scan_ = Clock::now();
  std::map<std::pair<uint64_t, uint64_t>, std::pair<size_t, const std::string*>> matched;
  std::map<std::pair<uint64_t, uint64_t>, struct stat> stats;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    list_group(groups_[gi], startup);
    for (const auto& [path, st] : groups_[gi].listing) {
      auto key = std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
      matched.emplace(key, std::make_pair(gi, &path));
      stats[key] = st;
    }
  }
  const auto now = Clock::now();
  for (const auto& [key, where] : matched) {
    const auto& [gi, path] = where;
    auto it = files_.find(key);
    if (it != files_.end()) {
      File& f = it->second;
      if (f.path != *path) {
        spdlog::info("taildir {}: {} was renamed to {}; following it", name(), f.path, *path);
        rotations_->inc();
        f.path = *path;
      }
      f.matched = true;
      f.drained_since = {};
      if (f.fd < 0 && static_cast<uint64_t>(stats[key].st_size) != f.pos) {
        f.fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
        f.last_growth = now;
      }
      continue;
    }
    File f;
    f.group = gi;
    f.path = *path;
    f.dev = key.first;
    f.ino = key.second;
    f.fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) continue;  // vanished between listing and open: next scan decides
    struct stat st {};
    if (::fstat(f.fd, &st) != 0 || st.st_ino != static_cast<ino_t>(key.second)) {
      ::close(f.fd);
      continue;
    }
    f.size = static_cast<uint64_t>(st.st_size);
    f.last_growth = now;
    // A saved position applies to the same file only: same inode (and device when known), and
    // the same first bytes when fingerprinted (else, as in Flume, the same path).
    bool positioned = false;
    for (const PositionEntry& e : saved_) {
      if (e.inode != f.ino || (e.dev && *e.dev != f.dev)) continue;
      // Without a fingerprint: Flume's entry (same path required, as Flume does), or ours for
      // a file that was still empty (position 0, so the inode alone is safe).
      bool same = e.fingerprint ? fingerprint_matches(f, *e.fingerprint, e.fingerprint_length)
                                : (e.file == f.path || (e.dev && e.pos == 0));
      if (!same) continue;
      f.pos = std::min<uint64_t>(e.pos, f.size);
      positioned = true;
      break;
    }
    refresh_fingerprint(f);
    if (!positioned) positioned = position_copy(f);
    if (!positioned && startup && options_.skip_to_end) f.pos = f.size;
    spdlog::info("taildir {}: tailing {} from byte {}", name(), f.path, f.pos);
    files_.emplace(key, std::move(f));
  }
  for (auto& [key, f] : files_) {
    if (!matched.count(key) && f.matched) {
      f.matched = false;
      rotations_->inc();
      spdlog::info("taildir {}: {} was rotated away or deleted; reading it to its end", name(),
                   f.path);
    }
    if (f.fd < 0) continue;
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) continue;
    auto size = static_cast<uint64_t>(st.st_size);
    bool replaced = false;
    if (size < f.pos) {
      replaced = true;  // copytruncate: the file shrank under us
    } else if (size != f.size && !fingerprint_matches(f, f.fp, f.fp_len)) {
      replaced = true;  // truncated and rewritten past our position between two looks
    }
    if (replaced) restart_truncated(f, now);
    if (size != f.size) f.last_growth = now;
    f.size = size;
    refresh_fingerprint(f);
  }
}

void TaildirSource::restart_truncated(File& f, Clock::time_point now) {
  spdlog::warn("taildir {}: {} was truncated; reading it again from the start", name(), f.path);
  // copytruncate: the copy (if it shows up, under a name we tail) holds what we had not read
  // yet; remember where we were so the copy is read from there, not from 0.
  if (f.fp_len == static_cast<uint64_t>(options_.fingerprint_bytes))
    truncated_.push_back({f.fp, f.fp_len, f.pos, now});
  truncations_->inc();
  f.pos = 0;
  f.fp_len = 0;
  f.size = 0;
  buf_file_ = {~0ULL, ~0ULL};
  positions_dirty_ = true;
}

bool TaildirSource::position_copy(File& f) {
  // A new file whose first fingerprintBytes equal those of a file we tail (or tailed until it
  // was truncated) is that file's copytruncate copy: it is read from where we were, so lines
  // are neither lost nor read twice. Only full-length fingerprints count: short heads are too
  // easily shared by unrelated files.
  if (f.fp_len != static_cast<uint64_t>(options_.fingerprint_bytes)) return false;
  const auto now = Clock::now();
  truncated_.erase(
      std::remove_if(truncated_.begin(), truncated_.end(),
                     [&](const Truncated& t) { return now - t.when > std::chrono::minutes(10); }),
      truncated_.end());
  for (auto it = truncated_.begin(); it != truncated_.end(); ++it) {
    if (it->fp == f.fp && it->fp_len == f.fp_len && it->pos <= f.size) {
      f.pos = it->pos;
      truncated_.erase(it);
      spdlog::info("taildir {}: {} is a copy of a truncated file; reading it from byte {}", name(),
                   f.path, f.pos);
      return true;
    }
  }
  for (const auto& [key, other] : files_) {
    if (other.fp_len == f.fp_len && other.fp == f.fp && other.pos <= f.size) {
      f.pos = other.pos;
      spdlog::info("taildir {}: {} is a copy of {}; reading it from byte {}", name(), f.path,
                   other.path, f.pos);
      return true;
    }
  }
  return false;
}

bool TaildirSource::put(EventBatch& batch) {
  return processor().process_batch(batch).is_ok();
}

bool TaildirSource::read_batch(File& f, bool flush_partial, bool& more) {
  more = false;
  batch_.clear();
  const auto key = std::make_pair(f.dev, f.ino);
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  const size_t max_events = static_cast<size_t>(options_.batch_size);
  Group& g = groups_[f.group];
  uint64_t p = f.pos;
  uint64_t bytes = 0;
  char offset_text[24];
  // The bytes buffered from p on; refilled when p leaves the buffer or when what is left holds
  // no complete line and could be short of one.
  auto view_from = [&](uint64_t at) -> std::string_view {
    if (buf_file_ == key && at >= buf_start_ && at <= buf_start_ + buf_len_) {
      std::string_view v(buf_.data() + (at - buf_start_), buf_start_ + buf_len_ - at);
      if (v.size() > max_line || std::memchr(v.data(), '\n', v.size()) != nullptr) return v;
    }
    ssize_t n = ::pread(f.fd, buf_.data(), buf_.size(), static_cast<off_t>(at));
    buf_file_ = key;
    buf_start_ = at;
    buf_len_ = n > 0 ? static_cast<size_t>(n) : 0;
    return {buf_.data(), buf_len_};
  };
  auto add = [&](std::string_view line, uint64_t offset) {
    batch_.begin_event();
    batch_.append_body(line);
    size_t i = batch_.end_event();
    for (const auto& [k, v] : g.headers)
      batch_.set_header(i, k, v);
    if (options_.file_header) batch_.set_header(i, options_.file_header_key, f.path);
    if (options_.byte_offset_header) {
      auto [end, ec] = std::to_chars(offset_text, offset_text + sizeof offset_text, offset);
      batch_.set_header(i, "byteoffset", std::string_view(offset_text, end - offset_text));
    }
  };
  while (batch_.size() < max_events) {
    std::string_view v = view_from(p);
    if (v.empty()) break;
    const char* nl = static_cast<const char*>(std::memchr(v.data(), '\n', v.size()));
    if (nl) {
      size_t len = static_cast<size_t>(nl - v.data());
      std::string_view line = v.substr(0, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, as Flume
      uint64_t at = p;
      while (line.size() > max_line && batch_.size() < max_events) {
        add(line.substr(0, max_line), at);
        lines_split_->inc();
        line.remove_prefix(max_line);
        at += max_line;
      }
      if (batch_.size() >= max_events && !line.empty()) {
        // The batch filled inside a long line: continue from the rest next time.
        p = at;
        break;
      }
      add(line, at);
      p += len + 1;
      bytes += len + 1;
    } else if (v.size() >= max_line) {
      add(v.substr(0, max_line), p);
      lines_split_->inc();
      p += max_line;
      bytes += max_line;
    } else if (flush_partial) {
      add(v, p);
      partial_lines_->inc();
      p += v.size();
      bytes += v.size();
      break;
    } else {
      break;  // an unterminated last line waits for its newline
    }
  }
  if (batch_.empty()) return true;
  // A truncate (copytruncate) and regrowth between two scans would otherwise hand us the new
  // content from the old position: the head still being the one we fingerprinted proves the
  // bytes just read belong to the file our position counts in. Checked after the read, so a
  // truncation racing with it is caught too.
  if (f.fp_len > 0 && !fingerprint_matches(f, f.fp, f.fp_len)) {
    batch_.clear();
    restart_truncated(f, Clock::now());
    more = true;
    return true;
  }
  more = batch_.size() >= max_events;
  if (!put(batch_)) return false;  // nothing advances: the same bytes are read again later
  g.lines->inc(static_cast<int64_t>(batch_.size()));
  g.bytes->inc(static_cast<int64_t>(bytes));
  f.pos = p;
  // A saved position must always carry the fingerprint of the bytes it counts, or a restart
  // could not recognise the file under a new name.
  if (f.fp_len < static_cast<uint64_t>(options_.fingerprint_bytes) && f.fp_len < f.pos) {
    f.size = std::max(f.size, f.pos);
    refresh_fingerprint(f);
  }
  positions_dirty_ = true;
  if (options_.write_pos_interval_ms == 0) save_positions_now();
  return true;
}

void TaildirSource::close_file(File& f, const char* why) {
  if (f.fd >= 0) {
    ::close(f.fd);
    f.fd = -1;
    spdlog::info("taildir {}: closed {} ({})", name(), f.path, why);
  }
  if (buf_file_ == std::make_pair(f.dev, f.ino)) buf_file_ = {~0ULL, ~0ULL};
}

void TaildirSource::work() {
  if (stopping_) return;
  const auto now = Clock::now();
  if (now - last_scan_ >= std::chrono::milliseconds(500)) scan(false);
  bool progress = false;
  bool blocked = false;
  for (auto it = files_.begin(); it != files_.end() && !blocked;) {
    File& f = it->second;
    if (f.fd < 0) {
      ++it;
      continue;
    }
    const uint64_t before = f.pos;
    for (int64_t batches = 0; batches < options_.max_batch_count; ++batches) {
      bool more = false;
      if (!read_batch(f, false, more)) {
        blocked = true;
        break;
      }
      if (!more) break;
    }
    if (f.pos != before) {
      progress = true;
      f.last_growth = Clock::now();
    }
    if (blocked) break;
    struct stat st {};
    bool deleted = ::fstat(f.fd, &st) == 0 && st.st_nlink == 0;
    bool at_end = st.st_size >= 0 && f.pos >= static_cast<uint64_t>(st.st_size);
    bool has_partial = !at_end;
    if (!f.matched || deleted) {
      // Rotated away or deleted: keep reading until the end stays put for the grace period.
      if (f.pos != before || f.drained_since == Clock::time_point{}) f.drained_since = now;
      if (now - f.drained_since >= std::chrono::milliseconds(options_.rotated_grace_ms)) {
        bool more = false;
        if (has_partial && !read_batch(f, true, more)) {
          blocked = true;
          break;
        }
        close_file(f, deleted ? "deleted and drained" : "rotated and drained");
        it = files_.erase(it);
        positions_dirty_ = true;
        continue;
      }
    } else if (options_.idle_timeout_ms > 0 &&
               now - f.last_growth >= std::chrono::milliseconds(options_.idle_timeout_ms)) {
      bool more = false;
      if (has_partial && !read_batch(f, true, more)) {
        blocked = true;
        break;
      }
      f.size = f.pos;
      close_file(f, "idle");
    }
    ++it;
  }
  if (positions_dirty_ &&
      now - last_position_write_ >= std::chrono::milliseconds(options_.write_pos_interval_ms))
    save_positions_now();
  update_lag();
  if (blocked) {
    // The channel refused: back off (the unread bytes stay in the file, the writer is unaffected).
    backoff_ms_ = std::clamp<int64_t>(backoff_ms_ * 2, 50, 1000);
    schedule(static_cast<uint64_t>(backoff_ms_));
  } else if (progress) {
    backoff_ms_ = 0;
    schedule(0);
  } else {
    backoff_ms_ =
        std::min(backoff_ms_ + options_.backoff_sleep_increment_ms, options_.max_backoff_sleep_ms);
    // Rotated files waiting out their grace period need a look sooner than a long backoff.
    int64_t delay = backoff_ms_;
    for (const auto& [k, f] : files_)
      if (!f.matched) delay = std::min<int64_t>(delay, 200);
    schedule(static_cast<uint64_t>(delay));
  }
}

void TaildirSource::update_lag() {
  for (Group& g : groups_) {
    g.open_files->set(0);
    g.lag->set(0);
  }
  for (const auto& [k, f] : files_) {
    Group& g = groups_[f.group];
    if (f.fd >= 0) g.open_files->inc();
    if (f.size > f.pos) g.lag->inc(static_cast<int64_t>(f.size - f.pos));
  }
}

void TaildirSource::save_positions_now() {
  std::vector<PositionEntry> entries;
  for (const auto& [k, f] : files_) {
    PositionEntry e;
    e.inode = f.ino;
    e.pos = f.pos;
    e.file = f.path;
    e.dev = f.dev;
    if (f.fp_len > 0) {
      e.fingerprint = f.fp;
      e.fingerprint_length = f.fp_len;
    }
    entries.push_back(std::move(e));
  }
  const auto now = Clock::now();
  const bool sync = stopping_ || now - last_position_sync_ >= std::chrono::seconds(1);
  if (Status s = save_positions(position_path_, entries, sync); !s) {
    spdlog::error("taildir {}: {}", name(), s.message());
    counters().generic_processing_fail->inc();
    return;  // stays dirty: retried at the next interval
  }
  positions_dirty_ = false;
  last_position_write_ = now;
  if (sync) last_position_sync_ = now;
}

void TaildirSource::do_stop() {
  loop_.stop([this] {
    stopping_ = true;
    if (positions_dirty_) save_positions_now();
    for (auto& [k, f] : files_)
      close_file(f, "source stopping");
    files_.clear();
    for (Group& g : groups_) {
      if (g.watch)
        uv_close(reinterpret_cast<uv_handle_t*>(g.watch),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_fs_event_t*>(h); });
      g.watch = nullptr;
    }
    if (timer_)
      uv_close(reinterpret_cast<uv_handle_t*>(timer_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  });
}

}  // namespace flumen::plugins
