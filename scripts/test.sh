#!/usr/bin/env bash
# Sets up everything (Debian packages, build) and runs every test: doctest units and the
# integration tests that start real agents on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
cd build
ctest --output-on-failure -j2 "$@"
