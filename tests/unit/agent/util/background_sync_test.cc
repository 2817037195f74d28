#include "agent/util/background_sync.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>

namespace flumen::util {
namespace {

namespace fs = std::filesystem;

TEST_CASE("BackgroundSync answers each request with an fdatasync that started after it") {
  std::random_device rd;
  const fs::path path = fs::temp_directory_path() / ("flumen-bgsync-" + std::to_string(rd()));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  BackgroundSync sync("sync-test");
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(::write(fd, "line\n", 5) == 5);
    const uint64_t t = sync.request(fd);
    CHECK(t > last);
    last = t;
  }
  CHECK(sync.wait(last).is_ok());
  // Requests made while a sync ran shared the next one: never more syncs than requests.
  const uint64_t syncs = sync.take_sync_count();
  CHECK(syncs >= 1);
  CHECK(syncs <= 20);
  CHECK(sync.take_sync_count() == 0);
  sync.quiesce();
  ::close(fd);
  fs::remove(path);
}

TEST_CASE("BackgroundSync reports a failed fdatasync to the requests it answered") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  BackgroundSync sync("sync-test");
  const uint64_t t = sync.request(pipe_fds[1]);  // a pipe cannot be synced: EINVAL
  Status s = sync.wait(t);
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("fdatasync failed") != std::string::npos);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_CASE("BackgroundSync still reports a failed fdatasync after a later one failed too") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  BackgroundSync sync("sync-test");
  const uint64_t first = sync.request(pipe_fds[1]);
  sync.quiesce();  // answered by a failed fdatasync of its own
  const uint64_t second = sync.request(pipe_fds[1]);
  sync.quiesce();  // and this one by another
  CHECK_FALSE(sync.wait(second).is_ok());
  CHECK_FALSE(sync.wait(first).is_ok());  // waited for late: still failed
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace flumen::util
