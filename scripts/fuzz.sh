#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang and runs one for a while (default: the forward
# frame decoder for 60 s). A crash leaves its input in build-fuzz/ and exits non-zero.
# Usage: scripts/fuzz.sh [seconds] [forward_frame_fuzz | broker_request_fuzz | syslog_message_fuzz |
#                                   listener_fuzz | avro_rpc_fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
target=${2:-forward_frame_fuzz}
missing=()
for p in clang libclang-rt-14-dev liblz4-dev libzstd-dev libuv1-dev libhttp-parser-dev cmake pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DFLUMEN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target "$target"
mkdir -p "build-fuzz/corpus-$target"
cd build-fuzz
"./tests/fuzz/$target" "corpus-$target" -max_total_time="$seconds" -max_len=65536 \
  -print_final_stats=1
