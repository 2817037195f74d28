#!/usr/bin/env bash
# Installs what flumen needs from Debian's packages (only what is missing, quietly) and builds it.
# Idempotent: a second run with everything present installs nothing and only rebuilds what changed.
# Usage: scripts/setup.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ccache python3
  libuv1-dev nlohmann-json3-dev libcli11-dev doctest-dev librocksdb-dev
  libspdlog-dev libfmt-dev libhttp-parser-dev libpcre2-dev zlib1g-dev libzstd-dev liblz4-dev bsdutils
  libssl-dev libhowardhinnant-date-dev tzdata rsyslog curl librdkafka-dev kcat netcat-openbsd
  # systemd-analyze verify checks the packaged units (about 20 MB; nothing is started)
  systemd
  # Independent Kafka clients for the broker's tests: kafka-python (with the codecs it can
  # use) and Sarama's Go sources (built in GOPATH mode, no module proxy).
  python3-kafka python3-snappy python3-lz4 python3-zstandard
  golang-github-shopify-sarama-dev
  # kafka-go 0.2.1's sources: a Go client of the pre-0.11 message format only (GOPATH mode too)
  golang-github-segmentio-kafka-go-dev
  # Apache Flume, Apache Kafka and the Java Kafka client, test peers fetched through Maven
  openjdk-17-jdk-headless maven
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages (first run: a few minutes): ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kafkajs for the broker's client tests, from the npm registry (Node.js from Debian if absent).
if ! command -v npm >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi
# Go for building the Sarama test client (Debian's if the machine has none).
if ! command -v go >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    golang-go >/dev/null
fi
if [ ! -d tests/integration/kafkajs/node_modules/kafkajs ]; then
  echo "setup: installing kafkajs (npm) for the broker's client tests" >&2
  (cd tests/integration/kafkajs && npm install --no-audit --no-fund --silent >/dev/null)
fi
if [ ! -d tests/integration/kafka_node/node_modules/kafka-node ]; then
  echo "setup: installing kafka-node (npm) for the broker's old-format client tests" >&2
  (cd tests/integration/kafka_node && npm install --no-audit --no-fund --silent >/dev/null)
fi
if [ ! -d tests/integration/platformatic/node_modules/@platformatic/kafka ]; then
  echo "setup: installing @platformatic/kafka (npm) for the broker's client tests" >&2
  (cd tests/integration/platformatic && npm install --no-audit --no-fund --silent >/dev/null)
fi

build_dir=${1:-build}
# A build directory configured for another checkout (this one was moved or copied) makes CMake
# refuse with a cache error: configure it again for this one.
if [ -f "$build_dir/CMakeCache.txt" ] &&
   ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$(pwd)" "$build_dir/CMakeCache.txt"; then
  echo "setup: $build_dir was configured for another checkout; configuring it again for $(pwd)" >&2
  rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
fi
if [ ! -x "$build_dir/flumen" ]; then
  echo "setup: building flumen in $build_dir (a first build takes 10 to 20 minutes on 2 cores;" \
       "later ones only rebuild what changed)" >&2
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# The build's own output goes to stdout; its progress, every 10 %, also to stderr, so a caller
# that hides stdout (scripts/demo.sh) still shows that something is happening.
set -o pipefail
cmake --build "$build_dir" -j2 | awk '
  { print; fflush() }
  match($0, /^\[ *[0-9]+%\]/) {
    pct = substr($0, RSTART + 1, RLENGTH - 3) + 0
    if (pct >= shown + 10) { shown = pct - pct % 10; printf "setup: build %d%%\n", shown > "/dev/stderr" }
  }'

