#!/usr/bin/env bash
# Builds the doctest unit tests with AddressSanitizer and UndefinedBehaviorSanitizer (gcc, in
# build-asan/) and runs them: memory errors and undefined behaviour in the listeners' layer and
# decoders fail CI. The integration tests run on the normal build only (CI time).
# Usage: scripts/sanitize.sh [doctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# -O1 without debug info: quicker to compile and link than -O2 -g on 2 cores, and the
# reports still name the functions.
echo "sanitize: building the unit tests with ASan + UBSan in build-asan/ (several minutes)" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -DNDEBUG" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j2 --target unit_tests
# librdkafka and RocksDB keep some allocations until exit: leaks are not what this run checks.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/tests/unit_tests "$@"
