#pragma once
// A throw-away PKI for TLS tests, generated once per test process by
// tests/tools/make_test_certs.sh (openssl CLI) into a temporary folder removed at exit. Nothing
// of it is committed. Files: ca.pem, server.pem/.key (localhost, 127.0.0.1), server-enc.key
// (password "secret"), client.pem/.key, other-ca.pem, rogue.pem/.key (signed by other-ca),
// server.p12.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/unit/support/source_dir.h"

namespace flumen::testing {

inline const std::string& test_cert_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/flumen-test-certs-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    std::string out = d;
    std::string cmd = std::string("'") + flumen::testing::source_dir() +
                      "/tests/tools/make_test_certs.sh' '" + out + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    static struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } cleanup{out};
    return out;
  }();
  return dir;
}

inline std::string test_cert(const std::string& name) {
  return test_cert_dir() + "/" + name;
}

}  // namespace flumen::testing
