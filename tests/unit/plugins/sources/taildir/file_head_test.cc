#include "plugins/sources/taildir/file_head.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  fs::path path;
  int fd = -1;
  TempFile() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("flumen-head-" + std::to_string(rd()));
    write("");
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~TempFile() {
    ::close(fd);
    fs::remove(path);
  }
  // Truncates and writes, keeping the inode (what copytruncate does to the original).
  void write(const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  void append(const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::app) << text;
  }
};

TEST_CASE("a head rewritten to the same size is seen, though the size says nothing") {
  TempFile f;
  f.write("line-0001\nline-0002\n");
  std::string head = read_head(f.fd, 1024);
  CHECK(head == "line-0001\nline-0002\n");  // shorter than 1024: all of it
  CHECK(starts_with_head(f.fd, head));
  f.append("line-0003\n");
  CHECK(starts_with_head(f.fd, head));  // growth keeps the head
  f.write("LINE-0001\nLINE-0002\n");    // truncated and written back to the same size
  CHECK_FALSE(starts_with_head(f.fd, head));
  f.write("line-0001\n");  // shorter than the head: truncated
  CHECK_FALSE(starts_with_head(f.fd, head));
  CHECK(starts_with_head(f.fd, ""));  // nothing read yet: nothing to contradict
}

TEST_CASE("binary bytes and a head limited to n bytes") {
  TempFile f;
  std::string data("\0\xff\x01\n", 4);
  for (int i = 0; i < 600; ++i)
    f.append(data);
  std::string head = read_head(f.fd, 1024);
  CHECK(head.size() == 1024);
  CHECK(head.substr(0, 4) == data);
  CHECK(starts_with_head(f.fd, head));
}

TEST_CASE("copy verdicts") {
  const std::string full(64, 'x');
  const std::string known = full;
  // A full-length head identifies a copy on its own.
  CHECK(compare_heads(full, known, 64, false) == CopyVerdict::kCopy);
  // A copy still being written: a prefix of the known head, undecided.
  CHECK(compare_heads(full.substr(0, 10), known, 64, false) == CopyVerdict::kUndecided);
  CHECK(compare_heads("", known, 64, false) == CopyVerdict::kUndecided);
  // Other bytes: not a copy, whatever the length.
  CHECK(compare_heads("y" + full.substr(1), known, 64, false) == CopyVerdict::kNotACopy);
  CHECK(compare_heads("xy", known, 64, false) == CopyVerdict::kNotACopy);
  // A short known head (a small file, a CSV header) counts only once its file was truncated.
  CHECK(compare_heads("ts,speed\n1,2\n", "ts,speed\n", 64, false) == CopyVerdict::kUndecided);
  CHECK(compare_heads("ts,speed\n1,2\n", "ts,speed\n", 64, true) == CopyVerdict::kCopy);
  // Nothing was read of the known file: nothing a copy could repeat.
  CHECK(compare_heads("abc", "", 64, true) == CopyVerdict::kNotACopy);
}

TEST_CASE("a copy holds the original's bytes before the position; a shared banner does not") {
  TempFile original, copy, banner;
  const std::string head(2048, 'B');
  original.write(head + "car=1 speed=10\ncar=1 speed=11\n");
  copy.write(head + "car=1 speed=10\ncar=1 speed=11\n");
  banner.write(head + "car=2 speed=99\ncar=2 speed=98\n");
  const uint64_t end = head.size() + 30;
  CHECK(same_bytes_before(copy.fd, original.fd, end, 1024));
  CHECK_FALSE(same_bytes_before(banner.fd, original.fd, end, 1024));
  CHECK(same_bytes_before(banner.fd, original.fd, 1024, 1024));           // nothing past the heads
  CHECK_FALSE(same_bytes_before(copy.fd, original.fd, end + 100, 1024));  // past its end
}

TEST_CASE("where a file taken for a copy parts from its original, to the start of that line") {
  TempFile original, banner;
  const std::string head(100'000, 'B');  // longer than one comparison chunk
  original.write(head + "\ncar=1 speed=10\ncar=1 speed=11\n");
  banner.write(head + "\ncar=1 speed=10\ncar=2 speed=99\n");
  const uint64_t line2 = head.size() + 1 + 15;  // "car=1 speed=10\n" is 15 bytes
  const uint64_t end = line2 + 15;
  CHECK(first_difference(banner.fd, original.fd, 0, end) == line2 + 4);
  CHECK(first_difference(banner.fd, original.fd, 10, line2) == line2);  // same bytes: end
  CHECK(first_difference(banner.fd, original.fd, end, end) == end);
  CHECK(line_start(banner.fd, line2 + 4, 0) == line2);
  CHECK(line_start(banner.fd, line2, 0) == line2);
  CHECK(line_start(banner.fd, line2 + 4, line2 + 2) == line2 + 2);  // never before the floor
  CHECK(line_start(banner.fd, 50'000, 0) == 0);                     // no newline before: the floor
  // A file that ends first differs where it ends.
  TempFile shorter;
  shorter.write(head);
  CHECK(first_difference(shorter.fd, original.fd, 0, end) == head.size());
  // Both together: where a copy parts, at its line; nothing where they agree.
  CHECK(copy_parts_at(banner.fd, original.fd, 0, end) == line2);
  CHECK_FALSE(copy_parts_at(banner.fd, original.fd, 0, line2).has_value());
  CHECK_FALSE(copy_parts_at(-1, original.fd, 0, end).has_value());
}

}  // namespace
}  // namespace flumen::plugins
