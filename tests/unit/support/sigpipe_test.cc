// The unit tests run clients and servers of the net layer in one process, as flumen and
// flumen-broker do; those ignore SIGPIPE, so a write to a peer that has closed is an EPIPE error
// the code handles. The test process must behave the same, or a race between a test client's
// write and the server's close kills the whole run (a clean-clone CI run died with 141).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

TEST_CASE("a write to a socket whose peer closed fails with EPIPE instead of killing the tests") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  ::close(fds[1]);
  const char byte = 'x';
  errno = 0;
  CHECK(::write(fds[0], &byte, 1) == -1);  // plain write(): no MSG_NOSIGNAL, as SSL_write uses
  CHECK(errno == EPIPE);
  ::close(fds[0]);
}
