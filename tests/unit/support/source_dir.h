#pragma once
// The checkout the unit tests were built from, for the docs and scripts they read. It is
// compiled into one generated file (tests/CMakeLists.txt) rather than defined on every test
// object's command line, so that the other objects are the same in any clone and a clean
// clone's build reuses them from ccache.
namespace flumen::testing {
const char* source_dir();
}  // namespace flumen::testing
