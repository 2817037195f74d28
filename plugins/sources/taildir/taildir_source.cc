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

#include "agent/pipeline/channel.h"
#include "agent/pipeline/channel_processor.h"
#include "plugins/sources/taildir/file_head.h"

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

// How long a copytruncate victim is remembered for a copy that shows up late, and how many.
constexpr auto kTruncatedMemory = std::chrono::minutes(10);
constexpr size_t kTruncatedMax = 256;
// How long the last run's positions are kept for files the first listing did not show (a
// rename during it): a hidden file is listed again at the next scan, within half a second.
constexpr auto kLastRunRecall = std::chrono::seconds(10);

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
  LoadedPositions positions = std::move(loaded).value();
  if (positions.old_format)
    spdlog::info(
        "taildir {}: {} is in flumen's older format; it is rewritten in Flume's, with "
        "the identities in {}",
        name(), position_path_, identity_path(position_path_));
  if (!positions.sidecar_problem.empty())
    spdlog::warn("taildir {}: {}; positions are matched by inode and path only", name(),
                 positions.sidecar_problem);
  saved_ = std::move(positions.entries);
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
  load_markers();
  return loop_.start([this] { return init_on_loop(); });
}

void TaildirSource::load_markers() {
  const std::string prefix = "taildir/" + name() + "/";
  for (pipeline::Channel* ch : processor().selector().channels()) {
    if (!ch->durable()) continue;
    durable_ = true;
    auto& entries = marked_.emplace_back();
    for (const auto& [key, value] : ch->markers(prefix)) {
      int slot = std::atoi(key.c_str() + prefix.size());
      if (auto e = decode_entry(value); e && slot >= 0) {
        if (static_cast<size_t>(slot) >= slot_reserved_.size()) slot_reserved_.resize(slot + 1, 0);
        slot_reserved_[slot] = 1;
        entries.emplace_back(slot, std::move(*e));
      }
    }
  }
  size_t n = 0;
  for (const auto& m : marked_)
    n += m.size();
  if (n > 0)
    spdlog::info("taildir {}: resuming from the positions committed in its channels ({} files)",
                 name(), n);
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
  recall_last_run_until_ = Clock::now() + kLastRunRecall;
  if (positions_dirty_ || positions_urgent_) save_positions_now();
  schedule(0);
  return Status::ok();
}

void TaildirSource::forget_last_run() {
  saved_.clear();
  marked_.clear();
  slot_reserved_.clear();
  recall_last_run_until_ = {};
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
        [](uv_fs_event_t* h, const char* filename, int events, int) {
          auto* self = static_cast<TaildirSource*>(h->data);
          if (events & UV_RENAME) self->last_scan_ = {};  // a file appeared or moved: rescan
          // A change of a file's content makes its head be checked, even when its size and
          // times look the same (a truncate and rewrite within one timestamp tick).
          char dir[4096];
          size_t len = sizeof dir;
          if (filename && uv_fs_event_getpath(h, dir, &len) == 0) {
            std::string path(dir, len);
            if (path != "/") path += '/';
            self->changed_paths_.insert(path + filename);
          } else {
            self->all_changed_ = true;
          }
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

bool TaildirSource::note_stat(File& f, const struct stat& st) {
  const auto size = static_cast<uint64_t>(st.st_size);
  bool changed = size != f.size || !same_time(st.st_mtim, f.mtime) ||
                 !same_time(st.st_ctim, f.ctime) || all_changed_ ||
                 (!changed_paths_.empty() && changed_paths_.count(f.path));
  f.size = size;
  f.mtime = st.st_mtim;
  f.ctime = st.st_ctim;
  return changed;
}

void TaildirSource::check_content(File& f, const struct stat& st, Clock::time_point now) {
  const uint64_t before = f.size;
  if (!note_stat(f, st)) return;
  if (f.size != before) f.last_growth = now;
  if (f.undecided) return;
  bool truncated;
  if (f.copy_filling) {
    if (f.size >= f.pos) f.copy_filling = false;
    truncated = !starts_with_head(f.fd, f.head);
  } else {
    // Files only grow: one shorter than the position was truncated, whatever its head says.
    truncated = f.size < f.pos || !starts_with_head(f.fd, f.head);
  }
  if (truncated) restart_truncated(f, now);
}

bool TaildirSource::identifies(const PositionEntry& e, const File& f) const {
  if (e.inode != f.ino || (e.dev && *e.dev != f.dev)) return false;
  // Without a fingerprint: Flume's entry (same path required, as Flume does), or ours for a file
  // that was still empty (position 0, so the inode alone is safe).
  if (!e.fingerprint) return e.file == f.path || (e.dev && e.pos == 0);
  std::string head = read_head(f.fd, e.fingerprint_length);
  return head.size() == e.fingerprint_length &&
         fingerprint_of(head.data(), head.size()) == *e.fingerprint;
}

bool TaildirSource::apply_saved_position(File& f) {
  // The channels' markers were committed with the events: where they know the file, they
  // decide (the smallest, if several channels disagree: a batch retried into one of them comes
  // twice there rather than never into the other). The position file, written after, is for
  // files no marker knows (positioned without a commit, or a channel that keeps nothing).
  std::optional<uint64_t> pos;
  int slot = -1;
  for (const auto& channel : marked_) {
    // Within one channel the furthest entry is the latest (an older one may linger in another
    // slot until that slot is written again).
    std::optional<uint64_t> here;
    int here_slot = -1;
    for (const auto& [s, e] : channel)
      if ((!here || e.pos > *here) && identifies(e, f)) {
        here = e.pos;
        here_slot = s;
      }
    if (here && (!pos || *here < *pos)) {
      pos = here;
      slot = here_slot;
    }
  }
  for (const PositionEntry& e : saved_) {
    if (!identifies(e, f)) continue;
    if (!pos) {
      pos = e.pos;
    } else if (e.moved_by_another_writer && e.pos > *pos) {
      // flumen writes the position file only after the commits its markers record, so it is
      // never ahead of them; ahead, another writer moved it (Apache Flume, run in between on
      // the same file: a rollback and back). What Flume read was delivered by Flume.
      spdlog::info(
          "taildir {}: {} was read up to byte {} by another agent since this one stopped at "
          "byte {} (the position file says so): resuming from byte {}",
          name(), f.path, e.pos, *pos, e.pos);
      pos = e.pos;  // its marker slot is kept: the next commit overwrites the stale entry
    }
    break;
  }
  if (!pos) return false;
  f.pos = std::min<uint64_t>(*pos, f.size);
  f.head = read_head(f.fd, std::min<uint64_t>(f.pos, options_.fingerprint_bytes));
  if (slot >= 0) f.slot = take_slot(slot);
  return true;
}

int TaildirSource::take_slot(int wanted) {
  if (wanted >= 0 && (static_cast<size_t>(wanted) >= slot_used_.size() || !slot_used_[wanted])) {
    if (static_cast<size_t>(wanted) >= slot_used_.size()) slot_used_.resize(wanted + 1, 0);
    slot_used_[wanted] = 1;
    return wanted;
  }
  // While the markers of the last run are being matched (startup), their slots are kept for
  // the files they describe: a new file must not take one and leave a file two entries.
  auto reserved = [&](size_t slot) { return slot < slot_reserved_.size() && slot_reserved_[slot]; };
  size_t i = 0;
  while (i < slot_used_.size() && (slot_used_[i] || reserved(i)))
    ++i;
  while (reserved(i))
    ++i;
  if (i >= slot_used_.size()) slot_used_.resize(i + 1, 0);
  slot_used_[i] = 1;
  return static_cast<int>(i);
}

void TaildirSource::release(File& f) {
  release_copies(f, "let go");
  if (f.slot >= 0 && static_cast<size_t>(f.slot) < slot_used_.size()) slot_used_[f.slot] = 0;
  f.slot = -1;
  close_file(f, "let go");
}

bool TaildirSource::release_copies(File& original, const char* why) {
  const auto key = std::make_pair(original.dev, original.ino);
  bool any = false;
  for (auto& [k, c] : files_) {
    if (!c.copy_of || *c.copy_of != key) continue;
    any = true;
    c.copy_of.reset();
    // Everything before the original's position was read from the original; the rest of the
    // copy was not read anywhere. A copy still shorter than that is still being written.
    // (When the original is still there to compare, only as far as the two agree.)
    c.pos = parted_from_intact(c, original, c.pos, std::min(original.pos, c.size))
                .value_or(original.pos);
    c.head = original.head.substr(0, std::min<size_t>(original.head.size(), c.pos));
    c.copy_filling = c.size < c.pos;
    positions_urgent_ = true;
    spdlog::info("taildir {}: {} was {}; reading its copy {} from byte {}", name(), original.path,
                 why, c.path, c.pos);
  }
  return any;
}

std::optional<uint64_t> TaildirSource::parted_from_intact(const File& copy, const File& original,
                                                          uint64_t from, uint64_t end) const {
  if (end <= from || original.fd < 0 || !starts_with_head(original.fd, original.head))
    return std::nullopt;
  const auto parted = copy_parts_at(copy.fd, original.fd, from, end);
  // A truncation of the original while they were compared (copytruncate) makes them differ
  // there without the copy being a file of its own: that counts only if the head is still
  // there after the comparison. The truncation itself is noticed by check_content.
  if (parted && !starts_with_head(original.fd, original.head)) return std::nullopt;
  return parted;
}

void TaildirSource::follow_originals() {
  for (auto& [k, c] : files_) {
    if (!c.copy_of) continue;
    auto it = files_.find(*c.copy_of);
    if (it == files_.end()) {
      // Let go without release() (cannot happen today); read on from where it was followed.
      c.copy_of.reset();
      continue;
    }
    const File& o = it->second;
    // Only the bytes it shares with the original are the original's. From the first it does
    // not share (at the start of that line), it is a file of its own: a new file that began with
    // the original's banner, taken for a copy while the banner was all it held.
    // Compared only while the original still holds its head: once it was truncated (noticed
    // later in this pass), its bytes are new ones, and a difference says nothing about the copy.
    const uint64_t claim = std::min(c.size > o.size ? o.size : o.pos, c.size);
    if (const auto parted = parted_from_intact(c, o, c.pos, claim)) {
      c.copy_of.reset();
      c.pos = *parted;
      c.head = read_head(c.fd, std::min<uint64_t>(c.pos, options_.fingerprint_bytes));
      positions_urgent_ = true;
      spdlog::info(
          "taildir {}: {} no longer holds the bytes of {}; reading it on its own from "
          "byte {} (the line where they part)",
          name(), c.path, o.path, c.pos);
      continue;
    }
    if (c.size > o.size) {
      // Written to on its own: no longer a copy. The bytes the original holds are read there.
      c.copy_of.reset();
      c.pos = std::max(c.pos, std::min(o.size, c.size));
      positions_urgent_ = true;
      spdlog::info("taildir {}: {} grew beyond {}; reading it on its own from byte {}", name(),
                   c.path, o.path, c.pos);
      continue;
    }
    const uint64_t pos = std::min(o.pos, c.size);
    if (pos != c.pos) {
      c.pos = pos;
      c.head = o.head.substr(0, std::min<size_t>(o.head.size(), pos));
      positions_dirty_ = true;
    }
  }
}

void TaildirSource::track_new_file(size_t gi, const std::string& path,
                                   std::pair<uint64_t, uint64_t> key, bool startup,
                                   Clock::time_point now) {
  File f;
  f.group = gi;
  f.path = path;
  f.dev = key.first;
  f.ino = key.second;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return;  // vanished between listing and open: next scan decides
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || st.st_ino != static_cast<ino_t>(key.second)) {
    ::close(f.fd);
    return;
  }
  note_stat(f, st);
  f.first_seen = f.last_growth = now;
  // A saved position applies to the same file only: same inode (and device when known), and
  // the same first bytes when fingerprinted (else, as in Flume, the same path).
  bool positioned = (startup || now < recall_last_run_until_) && apply_saved_position(f);
  if (!positioned && startup && options_.skip_to_end) {
    f.pos = f.size;
    f.head = read_head(f.fd, std::min<uint64_t>(f.pos, options_.fingerprint_bytes));
    positions_urgent_ = positioned = f.pos > 0;
  }
  if (f.slot < 0) f.slot = take_slot(-1);
  if (!positioned) {
    f.undecided = true;
    decide_identity(f, now);
  }
  if (!f.undecided) spdlog::info("taildir {}: tailing {} from byte {}", name(), f.path, f.pos);
  files_.emplace(key, std::move(f));
}

void TaildirSource::decide_identity(File& f, Clock::time_point now) {
  const auto full = static_cast<size_t>(options_.fingerprint_bytes);
  const std::string head = read_head(f.fd, full);
  // Its size now, after the head was read: a writer may have added bytes since the last stat,
  // and a size from before them would leave nothing to compare beyond the head.
  uint64_t size = f.size;
  if (struct stat st{}; ::fstat(f.fd, &st) == 0) size = static_cast<uint64_t>(st.st_size);
  size = std::max<uint64_t>(size, head.size());
  const bool in_grace = now - f.first_seen < std::chrono::milliseconds(options_.rotated_grace_ms);
  truncated_.erase(
      std::remove_if(truncated_.begin(), truncated_.end(),
                     [&](const Truncated& t) { return now - t.when > kTruncatedMemory; }),
      truncated_.end());
  // A new file that starts with the head of a file read before is its copy (copytruncate's
  // f.1, a cp): read it only from where the original was, so nothing is read twice.
  bool undecided = false;
  std::optional<uint64_t> copy_pos;
  const std::string* original = nullptr;
  for (auto it = truncated_.begin(); it != truncated_.end() && !copy_pos; ++it) {
    CopyVerdict v = compare_heads(head, it->head, full, true);
    if (v == CopyVerdict::kCopy) {
      copy_pos = it->pos;
      truncated_.erase(it);
      break;
    }
    undecided |= v == CopyVerdict::kUndecided;
  }
  for (const auto& [k, other] : files_) {
    if (copy_pos) break;
    // A linked copy is not compared: its bytes are its original's, which is.
    if (&other == &f || other.undecided || other.copy_of) continue;
    // An original whose head is gone from its disk was truncated (copytruncate, not noticed
    // yet): short heads count then. One still intact must also hold the copy's bytes just
    // before the position: files that merely share a long banner are not copies.
    CopyVerdict v = compare_heads(head, other.head, full, false);
    if (v == CopyVerdict::kNotACopy) continue;  // the common case, without reading the other
    bool intact = other.fd >= 0 && starts_with_head(other.fd, other.head);
    if (v == CopyVerdict::kCopy && intact &&
        !same_bytes_before(f.fd, other.fd, std::min(other.pos, size), other.head.size())) {
      // Bytes that differ say it is not a copy only if the original still holds its head now:
      // copytruncate empties the original right after the copy, maybe while they were read.
      intact = starts_with_head(other.fd, other.head);
      if (intact) v = CopyVerdict::kNotACopy;
    }
    if (other.fd >= 0 && !intact) v = compare_heads(head, other.head, full, true);
    if (v == CopyVerdict::kCopy && intact) {
      if (size < other.pos && in_grace)
        // All it holds so far is the original's: a copy still being written, or a new file that
        // so far holds only what they share (the banner of a daily file). The bytes that tell
        // them apart come next; past the grace it is taken for a copy, and follow_originals
        // reads it on its own from the first byte it does not share.
        v = CopyVerdict::kUndecided;
    }
    if (v == CopyVerdict::kCopy) {
      copy_pos = other.pos;
      original = &other.path;
      if (intact)
        f.copy_of = k;
      else
        files_.at(k).copy_found = true;
    }
    undecided |= v == CopyVerdict::kUndecided;
  }
  // An empty file says nothing yet; neither does one whose head is a prefix of a known head.
  // Waiting costs nothing but latency, and is bounded.
  if (!copy_pos && (head.empty() || undecided) && in_grace) return;
  f.undecided = false;
  if (copy_pos && f.copy_of) {
    f.pos = std::min<uint64_t>(*copy_pos, f.size);
    f.head = head.substr(0, std::min<uint64_t>(f.pos, head.size()));
    positions_urgent_ = true;
    spdlog::info(
        "taildir {}: {} is a copy of {}, which is still being read; it is read only once {} is "
        "truncated or let go",
        name(), f.path, *original, *original);
  } else if (copy_pos) {
    f.pos = *copy_pos;
    f.head = head.substr(0, std::min<uint64_t>(f.pos, head.size()));
    f.copy_filling = f.size < f.pos;
    positions_urgent_ = true;
    spdlog::info("taildir {}: {} is a copy of {}; reading it from byte {}", name(), f.path,
                 original ? *original : std::string("a truncated file"), f.pos);
  } else if (now != f.first_seen) {
    spdlog::info("taildir {}: tailing {} from byte 0", name(), f.path);
  }
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
    if (it == files_.end()) {
      track_new_file(gi, *path, key, startup, now);
      continue;
    }
    File& f = it->second;
    if (f.path != *path) {
      spdlog::info("taildir {}: {} was renamed to {}; following it", name(), f.path, *path);
      rotations_->inc();
      f.path = *path;
    }
    f.matched = true;
    f.drained_since = {};
    const struct stat& st = stats[key];
    if (f.fd < 0 && (static_cast<uint64_t>(st.st_size) != f.size ||
                     !same_time(st.st_mtim, f.mtime) || !same_time(st.st_ctim, f.ctime))) {
      // Closed for idleness and changed since: reopened, and its content checked below (it may
      // have been truncated, or be another file that reuses the inode).
      f.fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
      f.last_growth = now;
    }
  }
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = it->second;
    if (!matched.count(it->first)) {
      if (f.fd < 0) {
        // Closed (idle) and gone from the listing: deleted or renamed away; nothing to read.
        release(f);
        it = files_.erase(it);
        positions_dirty_ = true;
        continue;
      }
      if (f.matched) {
        f.matched = false;
        rotations_->inc();
        spdlog::info("taildir {}: {} was rotated away or deleted; reading it to its end", name(),
                     f.path);
      }
    }
    struct stat st {};
    if (f.fd >= 0 && ::fstat(f.fd, &st) == 0) check_content(f, st, now);
    ++it;
  }
}

void TaildirSource::restart_truncated(File& f, Clock::time_point now) {
  truncation_log_.warn(
      "taildir {}: {} was truncated (or replaced under the same inode) at byte {}; reading it "
      "again from its start",
      name(), f.path, f.pos);
  // copytruncate: the copy holds what we had not read yet. A copy already found is read on
  // from where we were; one that may show up later (under a name we tail) is matched by the
  // head and position remembered here, so it is read from there, not from 0.
  f.copy_of.reset();
  const bool copy_known = release_copies(f, "truncated") || f.copy_found;
  f.copy_found = false;
  if (!f.head.empty() && !copy_known) {
    if (truncated_.size() >= kTruncatedMax) truncated_.erase(truncated_.begin());
    truncated_.push_back({f.head, f.pos, now});
  }
  truncations_->inc();
  f.pos = 0;
  f.head.clear();
  f.copy_filling = false;
  if (buf_file_ == std::make_pair(f.dev, f.ino)) buf_file_ = {~0ULL, ~0ULL};
  positions_dirty_ = true;
}

PositionEntry TaildirSource::entry_of(const File& f) const {
  PositionEntry e;
  e.inode = f.ino;
  e.pos = f.pos;
  e.file = f.path;
  e.dev = f.dev;
  e.fingerprint = fingerprint_of(f.head.data(), f.head.size());
  e.fingerprint_length = f.head.size();
  return e;
}

bool TaildirSource::read_batch(File& f, bool flush_partial, bool& more) {
  more = false;
  batch_.clear();
  const auto key = std::make_pair(f.dev, f.ino);
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  const size_t max_events = static_cast<size_t>(options_.batch_size);
  const auto full = static_cast<uint64_t>(options_.fingerprint_bytes);
  Group& g = groups_[f.group];
  uint64_t p = f.pos;
  uint64_t bytes = 0;
  char offset_text[24];
  // While the head is incomplete (f.head is then all of [0, pos)), the bytes this batch reads
  // below fingerprintBytes extend it: the head is what was read, never what is on disk later.
  head_read_.clear();
  const bool head_open = f.head.size() == f.pos && f.pos < full;
  // The bytes buffered from p on; refilled when p leaves the buffer or when what is left holds
  // no complete line and could be short of one.
  auto view_from = [&](uint64_t at) -> std::string_view {
    std::string_view v;
    if (buf_file_ == key && at >= buf_start_ && at <= buf_start_ + buf_len_) {
      v = std::string_view(buf_.data() + (at - buf_start_), buf_start_ + buf_len_ - at);
      if (v.size() <= max_line && std::memchr(v.data(), '\n', v.size()) == nullptr) v = {};
    }
    if (v.data() == nullptr) {
      ssize_t n = ::pread(f.fd, buf_.data(), buf_.size(), static_cast<off_t>(at));
      buf_file_ = key;
      buf_start_ = at;
      buf_len_ = n > 0 ? static_cast<size_t>(n) : 0;
      v = std::string_view(buf_.data(), buf_len_);
    }
    const uint64_t end = f.head.size() + head_read_.size();
    if (head_open && at <= end && end < full && at + v.size() > end)
      head_read_.append(
          v.substr(static_cast<size_t>(end - at),
                   static_cast<size_t>(std::min<uint64_t>(at + v.size(), full) - end)));
    return v;
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
        bytes += at - p;
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
  // A truncate (copytruncate) and regrowth between two looks would otherwise hand us the new
  // content from the old position: the head still being the bytes read proves the bytes just
  // read belong to the file our position counts in. Checked after the read, so a truncation
  // racing with it is caught too.
  if (!starts_with_head(f.fd, f.head)) {
    batch_.clear();
    // What is in flight was read before the truncation: committed first, or read again.
    if (!settle(0)) return false;
    restart_truncated(f, Clock::now());
    more = true;
    return true;
  }
  more = batch_.size() >= max_events;
  const size_t head_end = static_cast<size_t>(std::min<uint64_t>(p, full));
  const size_t head_before = f.head.size();
  if (head_end > head_before)
    head_read_.resize(std::min(head_read_.size(), head_end - head_before));
  // With a durable channel the file's new position goes into the same commit as its lines.
  pipeline::ChannelProcessor::Marker marker;
  if (durable_) {
    PositionEntry e = entry_of(f);
    e.pos = p;
    std::string new_head = f.head + (head_end > head_before ? head_read_ : std::string());
    e.fingerprint = fingerprint_of(new_head.data(), new_head.size());
    e.fingerprint_length = new_head.size();
    marker_key_ = "taildir/" + name() + "/" + std::to_string(f.slot);
    marker_value_ = encode_entry(e);
    marker = {marker_key_, marker_value_};
  }
  if (durable_) {
    InFlight* fl;
    {
      std::lock_guard lock(flight_mu_);
      fl = &in_flight_.emplace_back();  // a deque's elements stay put as it grows
    }
    fl->file = key;
    fl->pos_before = f.pos;
    fl->head_before = f.head;
    fl->lines = batch_.size();
    fl->bytes = bytes;
    processor().process_batch_async(batch_, {&marker, 1}, chain_, [this, fl](Status s) {
      std::lock_guard lock(flight_mu_);
      fl->status = std::move(s);
      fl->done = true;
      flight_cv_.notify_one();
    });
    // Read on from here while it syncs; put back by settle() if it fails.
    f.pos = p;
    if (head_end > head_before) f.head += head_read_;
    bool failed_now;
    {
      std::lock_guard lock(flight_mu_);
      failed_now = fl->done && !fl->status;
    }
    return settle(failed_now || flush_partial ? 0 : max_in_flight() - 1);
  }
  if (!processor().process_batch(batch_, nullptr).is_ok())
    return false;  // nothing advances: the same bytes are read again later
  g.lines->inc(static_cast<int64_t>(batch_.size()));
  g.bytes->inc(static_cast<int64_t>(bytes));
  f.pos = p;
  if (head_end > head_before) f.head += head_read_;
  positions_dirty_ = true;
  if (options_.write_pos_interval_ms == 0) save_positions_now();
  return true;
}

bool TaildirSource::settle(size_t keep) {
  std::unique_lock lock(flight_mu_);
  bool failed = false;
  while (!in_flight_.empty() && (failed || in_flight_.size() > keep)) {
    InFlight& fl = in_flight_.front();
    flight_cv_.wait(lock, [&] { return fl.done; });
    auto it = files_.find(fl.file);
    // The channel and the processor said why (a full channel, a failed write).
    if (!fl.status) failed = true;
    if (failed) {
      // The oldest uncommitted batch of its file says where that file goes back to.
      if (it != files_.end() && fl.pos_before < it->second.pos) {
        it->second.pos = fl.pos_before;
        it->second.head = fl.head_before;
      }
    } else if (it != files_.end()) {
      Group& g = groups_[it->second.group];
      g.lines->inc(static_cast<int64_t>(fl.lines));
      g.bytes->inc(static_cast<int64_t>(fl.bytes));
      positions_dirty_ = true;
    }
    in_flight_.pop_front();
  }
  lock.unlock();
  if (failed) {
    chain_ = std::make_shared<pipeline::CommitChain>();
    return false;
  }
  if (in_flight_.empty() && positions_dirty_ && options_.write_pos_interval_ms == 0)
    save_positions_now();
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
  if (recall_last_run_until_ != Clock::time_point{} && now >= recall_last_run_until_)
    forget_last_run();
  follow_originals();
  bool progress = false;
  bool blocked = false;
  bool waiting = false;  // undecided or let-go files want a look sooner than a long backoff
  for (auto it = files_.begin(); it != files_.end() && !blocked;) {
    File& f = it->second;
    if (f.fd < 0) {
      ++it;
      continue;
    }
    struct stat st {};
    if (::fstat(f.fd, &st) == 0) check_content(f, st, now);
    if (f.undecided) {
      decide_identity(f, now);
      if (f.undecided) {
        waiting = true;
        ++it;
        continue;
      }
    }
    if (f.copy_of) {
      ++it;  // its bytes are the original's, read there
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
    if (!settle(0)) blocked = true;  // the file's position is what was committed
    if (f.pos != before) {
      progress = true;
      f.last_growth = Clock::now();
    }
    if (blocked) break;
    bool deleted = ::fstat(f.fd, &st) == 0 && st.st_nlink == 0;
    bool at_end = st.st_size >= 0 && f.pos >= static_cast<uint64_t>(st.st_size);
    bool has_partial = !at_end;
    if (!f.matched || deleted) {
      waiting = true;
      // Rotated away or deleted: keep reading until the end stays put for the grace period.
      if (f.pos != before || f.drained_since == Clock::time_point{}) f.drained_since = now;
      if (now - f.drained_since >= std::chrono::milliseconds(options_.rotated_grace_ms)) {
        bool more = false;
        if (has_partial && !f.copy_filling && !read_batch(f, true, more)) {
          blocked = true;
          break;
        }
        close_file(f, deleted ? "deleted and drained" : "rotated and drained");
        release(f);
        it = files_.erase(it);
        positions_dirty_ = true;
        continue;
      }
    } else if (options_.idle_timeout_ms > 0 &&
               now - f.last_growth >= std::chrono::milliseconds(options_.idle_timeout_ms)) {
      bool more = false;
      if (has_partial && !f.copy_filling && !read_batch(f, true, more)) {
        blocked = true;
        break;
      }
      close_file(f, "idle");
    }
    ++it;
  }
  changed_paths_.clear();
  all_changed_ = false;
  if (positions_urgent_ ||
      (positions_dirty_ &&
       now - last_position_write_ >= std::chrono::milliseconds(options_.write_pos_interval_ms)))
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
    int64_t delay = backoff_ms_;
    if (waiting) delay = std::min<int64_t>(delay, 100);
    schedule(static_cast<uint64_t>(delay));
  }
}

void TaildirSource::update_lag() {
  // Counted first and set once: the metrics endpoint reads these gauges from another thread,
  // and must never see a group's count reset and half counted again (0 open files of 1,000).
  std::vector<int64_t> open(groups_.size(), 0), lag(groups_.size(), 0);
  for (const auto& [k, f] : files_) {
    if (f.fd >= 0) ++open[f.group];
    if (f.size > f.pos) lag[f.group] += static_cast<int64_t>(f.size - f.pos);
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].open_files->set(open[g]);
    groups_[g].lag->set(lag[g]);
  }
}

void TaildirSource::save_positions_now() {
  follow_originals();
  std::vector<PositionEntry> entries;
  for (const auto& [k, f] : files_)
    if (!f.undecided) entries.push_back(entry_of(f));
  const auto now = Clock::now();
  const bool sync =
      stopping_ || positions_urgent_ || now - last_position_sync_ >= std::chrono::seconds(1);
  if (Status s = save_positions(position_path_, entries, sync); !s) {
    position_log_.error("taildir {}: {}", name(), s.message());
    counters().generic_processing_fail->inc();
    return;  // stays dirty: retried at the next interval
  }
  position_log_.clear();
  positions_dirty_ = positions_urgent_ = false;
  last_position_write_ = now;
  if (sync) last_position_sync_ = now;
}

void TaildirSource::do_stop() {
  loop_.stop([this] {
    stopping_ = true;
    if (positions_dirty_ || positions_urgent_) save_positions_now();
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
