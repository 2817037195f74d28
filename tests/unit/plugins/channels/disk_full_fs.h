#pragma once
// A RocksDB FileSystem over the real one whose disk the test can fill: while full, every write
// to a file (appends, the WAL included) fails with IOStatus::NoSpace, as the POSIX filesystem
// reports ENOSPC. Creating files and reading still work, like on a real full disk.

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>

namespace flumen::testing {

class DiskFullFileSystem : public rocksdb::FileSystemWrapper {
 public:
  DiskFullFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "DiskFullFileSystem"; }

  void set_full(bool full) { full_ = full; }
  int failed_writes() const { return failed_writes_; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(f, old, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& f, DiskFullFileSystem* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return fs_->no_space();
      return target()->Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return fs_->no_space();
      return target()->Append(d, o, v, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return fs_->no_space();
      return target()->PositionedAppend(d, off, o, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return fs_->no_space();
      return target()->PositionedAppend(d, off, o, v, dbg);
    }
    rocksdb::IOStatus Allocate(uint64_t off, uint64_t len, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return fs_->no_space();
      return target()->Allocate(off, len, o, dbg);
    }

   private:
    DiskFullFileSystem* fs_;
  };

  rocksdb::IOStatus no_space() {
    ++failed_writes_;
    return rocksdb::IOStatus::NoSpace("injected: no space left on device");
  }

  std::atomic<bool> full_{false};
  std::atomic<int> failed_writes_{0};
};

}  // namespace flumen::testing
