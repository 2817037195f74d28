#include "broker/storage/partition_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "agent/util/atomic_file.h"
#include "agent/util/byte_order.h"
#include "broker/protocol/record_batch.h"
#include "broker/storage/batch_records.h"
#include "broker/storage/segment_swap.h"

namespace flumen::broker {

namespace fs = std::filesystem;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string segment_name(int64_t base) {
  char b[32];
  std::snprintf(b, sizeof b, "%020lld", static_cast<long long>(base));
  return b;
}

constexpr const char* kStartOffsetFile = "log-start-offset";
// A lookup by time inflates one compressed batch; a batch that inflates past this (a bomb, or
// far above any max.message.bytes) answers with its base offset instead.
constexpr size_t kMaxInflatedForTimeLookup = 64 << 20;
constexpr const char* kCleanOffsetFile = "cleaner-offset-checkpoint";

Status io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

// Writes both pieces in order (one writev in the usual case; the rest piece by piece after a
// short write).
bool write_all(int fd, std::string_view a, std::string_view b) {
  iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  size_t done = 0;
  const size_t total = a.size() + b.size();
  while (done < total) {
    ssize_t w;
    if (done < a.size()) {
      iov[0].iov_base = const_cast<char*>(a.data()) + done;
      iov[0].iov_len = a.size() - done;
      w = ::writev(fd, iov, 2);
    } else {
      w = ::write(fd, b.data() + (done - a.size()), total - done);
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

struct PartitionLog::Segment {
  int64_t base = 0;
  std::string path;  // without extension
  int fd = -1;
  int index_fd = -1;
  int time_fd = -1;
  uint64_t size = 0;
  int64_t created_ms = 0;
  int64_t max_timestamp = -1;
  int64_t next_offset = 0;                               // one past the last offset in this segment
  std::vector<std::pair<uint32_t, uint32_t>> index;      // (relative offset, position)
  std::vector<std::pair<int64_t, uint32_t>> time_index;  // (max timestamp, relative offset)

  ~Segment() {
    for (int f : {fd, index_fd, time_fd})
      if (f >= 0) ::close(f);
  }
};

PartitionLog::PartitionLog(std::string dir, LogConfig config)
    : dir_(std::move(dir)), config_(config) {}

PartitionLog::~PartitionLog() = default;

Result<std::unique_ptr<PartitionLog>> PartitionLog::open(const std::string& dir, LogConfig config) {
  std::unique_ptr<PartitionLog> log(new PartitionLog(dir, config));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + dir + ": " + ec.message());
  if (Status s = log->load(); !s) return s.error();
  return log;
}

Status PartitionLog::load() {
  // A swap of cleaned segments interrupted by a crash is completed before the segments are
  // listed; the files of a clean that never reached its commit point go.
  if (Status s = finish_swap(dir_); !s) return s;
  discard_cleaned(dir_);
  std::vector<int64_t> bases;
  // Without exceptions: running out of descriptors (a CreatePartitions of thousands) is an
  // error for the request, not the end of the broker; a stray file is not a segment.
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t base = 0;
    const char* digits = name.data();
    if (name.size() == 24 && name.ends_with(".log") &&
        std::from_chars(digits, digits + 20, base).ptr == digits + 20)
      bases.push_back(base);
  }
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + dir_ + ": " + ec.message());
  std::sort(bases.begin(), bases.end());
  if (bases.empty()) return open_segment(0, true);
  for (int64_t b : bases)
    if (Status s = open_segment(b, false); !s) return s;
  // Every segment but the last ends where the next begins.
  for (size_t i = 0; i + 1 < segments_.size(); ++i)
    segments_[i]->next_offset = segments_[i + 1]->base;
  Segment& last = *segments_.back();
  if (Status s = recover_tail(last); !s) return s;
  // What a killed broker wrote but never synced is in the page cache only. Sync it now: a
  // producer that sends such a batch again is answered "already written" without a new fsync.
  if (::fdatasync(last.fd) != 0) return io_error("cannot sync", last.path + ".log");
  next_offset_ = last.next_offset;
  if (FILE* f = std::fopen((dir_ + "/" + kStartOffsetFile).c_str(), "r")) {
    long long v = 0;
    if (std::fscanf(f, "%lld", &v) == 1) start_offset_ = std::min<int64_t>(v, next_offset_);
    std::fclose(f);
  }
  if (FILE* f = std::fopen((dir_ + "/" + kCleanOffsetFile).c_str(), "r")) {
    long long v = 0;
    if (std::fscanf(f, "%lld", &v) == 1) clean_offset_ = std::min<int64_t>(v, next_offset_);
    std::fclose(f);
  }
  return Status::ok();
}

Status PartitionLog::open_segment(int64_t base, bool create) {
  auto s = load_segment(base, create);
  if (!s) return s.status();
  segments_.push_back(std::move(s).value());
  return Status::ok();
}

Result<std::unique_ptr<PartitionLog::Segment>> PartitionLog::load_segment(int64_t base,
                                                                          bool create) {
  auto s = std::make_unique<Segment>();
  s->base = base;
  s->next_offset = base;
  s->path = dir_ + "/" + segment_name(base);
  const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  s->fd = ::open((s->path + ".log").c_str(), flags | O_APPEND, 0644);
  if (s->fd < 0) return io_error("cannot open", s->path + ".log").error();
  s->index_fd = ::open((s->path + ".index").c_str(), O_RDWR | O_CLOEXEC | O_CREAT, 0644);
  s->time_fd = ::open((s->path + ".timeindex").c_str(), O_RDWR | O_CLOEXEC | O_CREAT, 0644);
  if (s->index_fd < 0 || s->time_fd < 0) return io_error("cannot open index of", s->path).error();
  struct stat st {};
  ::fstat(s->fd, &st);
  s->size = static_cast<uint64_t>(st.st_size);
  s->created_ms = create ? now_ms() : static_cast<int64_t>(st.st_mtim.tv_sec) * 1000;
  // Load the indexes; a torn one (not a whole number of entries) is rebuilt.
  struct stat is {
  }, ts{};
  ::fstat(s->index_fd, &is);
  ::fstat(s->time_fd, &ts);
  bool rebuild = is.st_size % 8 != 0 || ts.st_size % 12 != 0;
  if (!rebuild && is.st_size > 0) {
    std::string buf(static_cast<size_t>(is.st_size), '\0');
    if (::pread(s->index_fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size()))
      rebuild = true;
    for (size_t i = 0; !rebuild && i < buf.size(); i += 8) {
      auto rel = util::load_be<uint32_t>(buf.data() + i);
      auto pos = util::load_be<uint32_t>(buf.data() + i + 4);
      if (pos >= s->size || (!s->index.empty() && pos <= s->index.back().second)) {
        rebuild = true;
        break;
      }
      s->index.emplace_back(rel, pos);
    }
  }
  if (!rebuild && ts.st_size > 0) {
    std::string buf(static_cast<size_t>(ts.st_size), '\0');
    if (::pread(s->time_fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size()))
      rebuild = true;
    for (size_t i = 0; !rebuild && i < buf.size(); i += 12)
      s->time_index.emplace_back(util::load_be<int64_t>(buf.data() + i),
                                 util::load_be<uint32_t>(buf.data() + i + 8));
  }
  Segment& ref = *s;
  if (rebuild) {
    ref.index.clear();
    ref.time_index.clear();
    if (::ftruncate(ref.index_fd, 0) != 0 || ::ftruncate(ref.time_fd, 0) != 0)
      return io_error("cannot reset index of", ref.path).error();
    if (Status st = rebuild_index(ref, 0, false); !st) return st.error();
    return s;
  }
  if (!ref.time_index.empty()) ref.max_timestamp = ref.time_index.back().first;
  // Where this segment ends is learnt from its batches: scan from the last index point.
  if (Status st = rebuild_index(ref, ref.index.empty() ? 0 : ref.index.back().second, false); !st)
    return st.error();
  return s;
}

Status PartitionLog::rebuild_index(Segment& s, uint64_t from, bool verify) {
  // Walks batch headers from `from`, re-adding index entries past the last one, and finds
  // where the segment's offsets end. With `verify`, stops at the first torn or corrupt batch
  // and truncates the segment there.
  uint64_t pos = from;
  char head[kBatchHeaderSize];
  std::string body;
  while (pos + kBatchHeaderSize <= s.size) {
    if (::pread(s.fd, head, sizeof head, static_cast<off_t>(pos)) !=
        static_cast<ssize_t>(sizeof head))
      break;
    BatchHeader h;
    if (!read_batch_header(std::string_view(head, sizeof head), h) || h.magic != 2 ||
        pos + h.total_size() > s.size || h.base_offset < s.base)
      break;
    if (verify) {
      body.resize(h.total_size());
      if (::pread(s.fd, body.data(), body.size(), static_cast<off_t>(pos)) !=
              static_cast<ssize_t>(body.size()) ||
          !batch_crc_ok(body))
        break;
    }
    if (s.index.empty() ||
        (pos > s.index.back().second &&
         pos - s.index.back().second >= static_cast<uint64_t>(config_.index_interval_bytes)))
      index_batch(s, h.base_offset, h.max_timestamp, pos);
    s.max_timestamp = std::max(s.max_timestamp, h.max_timestamp);
    s.next_offset = h.last_offset() + 1;
    pos += h.total_size();
  }
  if (verify && pos < s.size) {
    truncated_bytes_ += s.size - pos;
    spdlog::warn("broker log {}: {} bytes of a torn or corrupt tail truncated at position {}",
                 s.path, s.size - pos, pos);
    if (::ftruncate(s.fd, static_cast<off_t>(pos)) != 0) return io_error("cannot truncate", s.path);
    s.size = pos;
    // Drop index entries that pointed into the cut.
    while (!s.index.empty() && s.index.back().second >= pos)
      s.index.pop_back();
    if (::ftruncate(s.index_fd, static_cast<off_t>(s.index.size() * 8)) != 0)
      return io_error("cannot truncate index", s.path);
  }
  return Status::ok();
}

Status PartitionLog::recover_tail(Segment& s) {
  return rebuild_index(s, s.index.empty() ? 0 : s.index.back().second, true);
}

void PartitionLog::index_batch(Segment& s, int64_t base_offset, int64_t max_timestamp,
                               uint64_t position) {
  const auto rel = static_cast<uint32_t>(base_offset - s.base);
  s.index.emplace_back(rel, static_cast<uint32_t>(position));
  std::string e;
  util::append_be<uint32_t>(e, rel);
  util::append_be<uint32_t>(e, position);
  (void)::pwrite(s.index_fd, e.data(), e.size(), static_cast<off_t>((s.index.size() - 1) * 8));
  if (s.time_index.empty() || max_timestamp > s.time_index.back().first) {
    s.time_index.emplace_back(max_timestamp, rel);
    std::string t;
    util::append_be<int64_t>(t, max_timestamp);
    util::append_be<uint32_t>(t, rel);
    (void)::pwrite(s.time_fd, t.data(), t.size(),
                   static_cast<off_t>((s.time_index.size() - 1) * 12));
  }
}

Status PartitionLog::roll() {
  if (Status s = flush(); !s) return s;
  return open_segment(next_offset_, true);
}

Result<int64_t> PartitionLog::append(std::string_view batch_in) {
  BatchHeader h;
  if (!read_batch_header(batch_in, h) || h.total_size() != batch_in.size())
    return make_error(ErrorCode::kRejected, "not one whole batch");
  Segment* s = segments_.back().get();
  const bool too_big =
      s->size > 0 && s->size + batch_in.size() > static_cast<uint64_t>(config_.segment_bytes);
  const bool too_old = s->size > 0 && now_ms() - s->created_ms >= config_.segment_ms;
  if (too_big || too_old || s->size + batch_in.size() > UINT32_MAX) {
    if (Status st = roll(); !st) return st.error();
    s = segments_.back().get();
  }
  // Only the first 16 bytes change (base offset, leader epoch): they are written from a copy,
  // the rest straight from the request.
  char head[16];
  std::memcpy(head, batch_in.data(), sizeof head);
  const int64_t base = next_offset_;
  set_base_offset(head, base);
  const uint64_t position = s->size;
  if (!write_all(s->fd, std::string_view(head, sizeof head), batch_in.substr(sizeof head))) {
    Status err = io_error("cannot append to", s->path + ".log");
    // A partial write would leave a torn batch: cut it off again.
    (void)::ftruncate(s->fd, static_cast<off_t>(position));
    return err.error();
  }
  s->size += batch_in.size();
  if (s->index.empty() ||
      position - s->index.back().second >= static_cast<uint64_t>(config_.index_interval_bytes))
    index_batch(*s, base, h.max_timestamp, position);
  s->max_timestamp = std::max(s->max_timestamp, h.max_timestamp);
  next_offset_ = base + h.last_offset_delta + 1;
  s->next_offset = next_offset_;
  dirty_ = true;
  return base;
}

void PartitionLog::visit_recent_batches(
    size_t segments, const std::function<void(const BatchHeader&)>& visit) const {
  const size_t first = segments_.size() > segments ? segments_.size() - segments : 0;
  char head[kBatchHeaderSize];
  for (size_t i = first; i < segments_.size(); ++i) {
    const Segment& s = *segments_[i];
    // Only the last segment's tail is CRC-checked when the log opens: a header that does not
    // make sense ends the walk of its segment rather than planting a bogus sequence.
    for (uint64_t pos = 0; pos + kBatchHeaderSize <= s.size;) {
      BatchHeader h;
      if (::pread(s.fd, head, sizeof head, static_cast<off_t>(pos)) !=
              static_cast<ssize_t>(sizeof head) ||
          !read_batch_header(std::string_view(head, sizeof head), h) || h.magic != 2 ||
          pos + h.total_size() > s.size || h.base_offset < s.base)
        break;
      visit(h);
      pos += h.total_size();
    }
  }
}

Status PartitionLog::flush() {
  if (!dirty_) return Status::ok();
  Segment& s = *segments_.back();
  if (::fdatasync(s.fd) != 0) return io_error("cannot sync", s.path + ".log");
  dirty_ = false;
  return Status::ok();
}

int PartitionLog::take_dirty_fd() {
  if (!dirty_) return -1;
  int fd = ::dup(segments_.back()->fd);
  if (fd >= 0) dirty_ = false;
  return fd;
}

int64_t PartitionLog::log_start_offset() const {
  return std::max(start_offset_, segments_.front()->base);
}

uint64_t PartitionLog::size_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments_)
    n += s->size;
  return n;
}

const PartitionLog::Segment* PartitionLog::segment_for(int64_t offset) const {
  // The last segment whose base is <= offset.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](int64_t o, const auto& s) { return o < s->base; });
  if (it == segments_.begin()) return nullptr;
  return (it - 1)->get();
}

Status PartitionLog::read(int64_t offset, size_t max_bytes, bool at_least_one,
                          std::string& out) const {
  size_t taken = 0;
  for (const Segment* s = segment_for(offset); s != nullptr;) {
    // Start from the index entry at or before the offset, then walk batch headers.
    const auto rel = static_cast<uint32_t>(std::max<int64_t>(0, offset - s->base));
    auto it = std::upper_bound(s->index.begin(), s->index.end(), rel,
                               [](uint32_t r, const auto& e) { return r < e.first; });
    uint64_t pos = it == s->index.begin() ? 0 : (it - 1)->second;
    // Walk the headers to find the run of whole batches to return, then read it in one go.
    uint64_t from = 0, to = 0;  // [from, to): the run in this segment
    bool full = false;
    char head[kBatchHeaderSize];
    while (pos + kBatchHeaderSize <= s->size) {
      if (::pread(s->fd, head, sizeof head, static_cast<off_t>(pos)) !=
          static_cast<ssize_t>(sizeof head))
        return io_error("cannot read", s->path + ".log");
      BatchHeader h;
      if (!read_batch_header(std::string_view(head, sizeof head), h))
        return make_error(ErrorCode::kCorruption, "bad batch header in " + s->path);
      const size_t n = h.total_size();
      if (h.last_offset() < offset) {
        pos += n;
        continue;
      }
      if (taken + n > max_bytes && !(at_least_one && taken == 0)) {
        full = true;
        break;
      }
      if (to == from) from = pos;
      to = pos + n;
      taken += n;
      pos += n;
    }
    if (to > from) {
      const size_t at = out.size(), n = to - from;
      out.resize(at + n);
      if (::pread(s->fd, out.data() + at, n, static_cast<off_t>(from)) != static_cast<ssize_t>(n)) {
        out.resize(at);
        return io_error("cannot read", s->path + ".log");
      }
    }
    if (full) return Status::ok();
    // On to the next segment, if any.
    auto next = std::upper_bound(segments_.begin(), segments_.end(), s->base,
                                 [](int64_t b, const auto& seg) { return b < seg->base; });
    s = next == segments_.end() ? nullptr : next->get();
    if (s) offset = s->base;
  }
  return Status::ok();
}

int64_t PartitionLog::offset_for_timestamp(int64_t ts, int64_t& found) const {
  for (const auto& s : segments_) {
    if (s->max_timestamp < ts) continue;
    // The time index gives a batch at or before the first one reaching ts; scan from there.
    uint32_t rel = 0;
    for (const auto& [t, r] : s->time_index) {
      if (t >= ts) break;
      rel = r;
    }
    auto it = std::upper_bound(s->index.begin(), s->index.end(), rel,
                               [](uint32_t r, const auto& e) { return r < e.first; });
    uint64_t pos = it == s->index.begin() ? 0 : (it - 1)->second;
    char head[kBatchHeaderSize];
    while (pos + kBatchHeaderSize <= s->size &&
           ::pread(s->fd, head, sizeof head, static_cast<off_t>(pos)) ==
               static_cast<ssize_t>(sizeof head)) {
      BatchHeader h;
      if (!read_batch_header(std::string_view(head, sizeof head), h)) break;
      if (h.max_timestamp >= ts) {
        // The batch holds it: the record itself, read from the batch (inflated when
        // compressed; one that cannot be read answers its base offset).
        found = h.max_timestamp;
        int64_t offset = h.base_offset;
        std::string batch(h.total_size(), '\0');
        if (::pread(s->fd, batch.data(), batch.size(), static_cast<off_t>(pos)) ==
            static_cast<ssize_t>(batch.size()))
          (void)find_record_by_time(batch, ts, false, kMaxInflatedForTimeLookup, offset, found);
        return offset;
      }
      pos += h.total_size();
    }
  }
  found = -1;
  return -1;
}

int64_t PartitionLog::offset_of_max_timestamp(int64_t& found) const {
  // The batch with the largest max timestamp (the first of equals), then its record.
  found = -1;
  int64_t offset = -1;
  uint64_t best_pos = 0;
  const Segment* best = nullptr;
  BatchHeader best_h;
  for (const auto& s : segments_) {
    if (s->max_timestamp <= found) continue;
    uint64_t pos = 0;
    char head[kBatchHeaderSize];
    while (pos + kBatchHeaderSize <= s->size &&
           ::pread(s->fd, head, sizeof head, static_cast<off_t>(pos)) ==
               static_cast<ssize_t>(sizeof head)) {
      BatchHeader h;
      if (!read_batch_header(std::string_view(head, sizeof head), h)) break;
      if (h.max_timestamp > found) {
        found = h.max_timestamp;
        offset = h.last_offset();
        best = s.get();
        best_pos = pos;
        best_h = h;
      }
      pos += h.total_size();
    }
  }
  if (best) {
    std::string batch(best_h.total_size(), '\0');
    int64_t ts = found;
    if (::pread(best->fd, batch.data(), batch.size(), static_cast<off_t>(best_pos)) ==
        static_cast<ssize_t>(batch.size()))
      (void)find_record_by_time(batch, 0, true, kMaxInflatedForTimeLookup, offset, ts);
  }
  return offset;
}

Result<int64_t> PartitionLog::advance_start(int64_t offset) {
  offset = std::min(offset, next_offset_);
  if (offset <= log_start_offset()) return log_start_offset();
  // The new start is on disk before any segment goes: a crash in between leaves segments
  // that are only hidden, never a start that points into deleted data.
  const std::string path = dir_ + "/" + kStartOffsetFile;
  const std::string text = std::to_string(offset) + "\n";
  const int fd = ::open((path + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot write", path + ".tmp").error();
  const bool ok = write_all(fd, text, {}) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename((path + ".tmp").c_str(), path.c_str()) != 0)
    return io_error("cannot write", path).error();
  start_offset_ = offset;
  Segment& active = *segments_.back();
  if (active.base < offset && offset == next_offset_ && active.size > 0) {
    if (Status st = roll(); !st) return st.error();
  }
  while (segments_.size() > 1 && segments_[1]->base <= offset) {
    const std::string seg = segments_.front()->path;
    segments_.erase(segments_.begin());
    for (const char* ext : {".log", ".index", ".timeindex"})
      ::unlink((seg + ext).c_str());
  }
  return log_start_offset();
}

int PartitionLog::enforce_retention(int64_t now) {
  int removed = 0;
  if (!config_.cleanup_delete) return 0;  // cleanup.policy=compact: the cleaner's alone
  while (segments_.size() > 1) {
    Segment& oldest = *segments_.front();
    const bool too_old = config_.retention_ms >= 0 && oldest.max_timestamp >= 0 &&
                         now - oldest.max_timestamp > config_.retention_ms;
    const bool too_big =
        config_.retention_bytes >= 0 &&
        size_bytes() - oldest.size >= static_cast<uint64_t>(config_.retention_bytes) &&
        size_bytes() > static_cast<uint64_t>(config_.retention_bytes);
    if (!too_old && !too_big) break;
    const std::string path = oldest.path;
    segments_.erase(segments_.begin());
    for (const char* ext : {".log", ".index", ".timeindex"})
      ::unlink((path + ext).c_str());
    ++removed;
  }
  return removed;
}

std::vector<SegmentInfo> PartitionLog::segment_infos() const {
  std::vector<SegmentInfo> out;
  out.reserve(segments_.size());
  for (const auto& s : segments_)
    out.push_back({s->base, s->next_offset, s->size, s->max_timestamp});
  return out;
}

int PartitionLog::dup_segment_fd(int64_t base) const {
  for (const auto& s : segments_)
    if (s->base == base) return ::fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
  return -1;
}

Status PartitionLog::set_clean_offset(int64_t offset) {
  clean_offset_ = offset;
  return write_file_atomically(dir_ + "/" + kCleanOffsetFile, std::to_string(offset) + "\n", false);
}

Status PartitionLog::swap_in_cleaned(int64_t base, int64_t end,
                                     const std::vector<std::pair<int64_t, uint64_t>>& expected) {
  // The replaced segments must be exactly those the cleaner read, none of them active.
  auto first = std::find_if(segments_.begin(), segments_.end(),
                            [base](const auto& s) { return s->base == base; });
  if (first == segments_.end() || static_cast<size_t>(segments_.end() - first) <= expected.size())
    return make_error(ErrorCode::kUnavailable, "the log changed while it was cleaned");
  for (size_t i = 0; i < expected.size(); ++i) {
    const Segment& s = *first[static_cast<std::ptrdiff_t>(i)];
    if (s.base != expected[i].first || s.size != expected[i].second)
      return make_error(ErrorCode::kUnavailable, "the log changed while it was cleaned");
  }
  const auto last = first + static_cast<std::ptrdiff_t>(expected.size());
  if ((*last)->base != end)
    return make_error(ErrorCode::kUnavailable, "the log changed while it was cleaned");
  if (Status s = commit_swap(dir_, base, end); !s) return s;
  // The old segments' descriptors still read the old files until they are closed here.
  auto fresh = load_segment(base, false);
  if (!fresh) return fresh.status();
  fresh.value()->next_offset = end;
  const auto at = segments_.erase(first, last);
  segments_.insert(at, std::move(fresh).value());
  return Status::ok();
}

void PartitionLog::destroy() {
  segments_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace flumen::broker
