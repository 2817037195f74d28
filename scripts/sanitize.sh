#!/usr/bin/env bash
# Builds the doctest unit tests and the flumen binary (with its modules) with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc, in build-asan/), runs the unit tests, then the integration
# tests of hostile input against that binary: hostile clients are where memory errors hide, and
# memory errors and undefined behaviour in the listeners' layer and decoders fail CI.
# Usage: scripts/sanitize.sh [doctest args...]
#   FLUMEN_SANITIZE_INTEGRATION="test_a test_b" names the integration modules run against the
#   ASan binary (default: test_hostile_input; empty: none). They need scripts/setup.sh's packages
#   (kcat), which scripts/test.sh installs first in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# -O1 with line tables only: much quicker to compile on 2 cores than -O2 -g, and the reports
# still name functions, files and lines.
echo "sanitize: building the unit tests and flumen with ASan + UBSan in build-asan/" \
     "(a first build takes 20 to 30 minutes on 2 cores)" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j2 --target unit_tests flumen
# librdkafka and RocksDB keep some allocations until exit: leaks are not what this run checks.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/tests/unit_tests "$@"

modules=${FLUMEN_SANITIZE_INTEGRATION-test_hostile_input}
[ -n "$modules" ] || exit 0
# The agents run as child processes whose output the tests keep to themselves, and some are
# killed at the end of a test: every report goes to a file, and any file fails the run.
reports=$PWD/build-asan/sanitizer-reports
rm -rf "$reports" && mkdir -p "$reports"
# A small quarantine: the tests bound the agent's RSS growth (64 MB), and ASan's default
# quarantine (256 MB of freed blocks held back) would count against it.
export ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=16:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan"
status=0
root=$PWD
(cd tests/integration && FLUMEN_BIN="$root/build-asan/flumen" FLUMEN_SOURCE_DIR="$root" \
   python3 -m unittest $modules) || status=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitize: sanitizer reports from the ASan flumen under $modules:" >&2
  cat "$reports"/* >&2
  status=1
fi
exit $status
