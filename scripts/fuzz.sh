#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang, all in one build-fuzz/, and runs each for a
# while (default: every target, 60 s each). A run starts from what earlier runs found
# (build-fuzz/corpus-TARGET) and from well-formed seeds (tests/fuzz/make_seeds.py), so a short
# run on a clean clone still gets past the framing. A crash leaves its input in build-fuzz/ and
# exits non-zero, after the other targets have had their run.
# Usage: scripts/fuzz.sh [seconds] [target...]   targets: forward_frame_fuzz broker_request_fuzz
#                                                 syslog_message_fuzz listener_fuzz avro_rpc_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all_targets=(forward_frame_fuzz broker_request_fuzz syslog_message_fuzz listener_fuzz avro_rpc_fuzz
             netcat_lines_fuzz)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
missing=()
for p in clang libclang-rt-14-dev liblz4-dev libzstd-dev libuv1-dev libhttp-parser-dev cmake pkg-config python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# -O1 with line tables only (as OSS-Fuzz builds): quicker to compile than -O2 -g, and a
# crash's stack still names files and lines.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DFLUMEN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]}"
failed=()
for target in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus-$target"
  python3 tests/fuzz/make_seeds.py "$target" "build-fuzz/seeds-$target"
  echo "fuzz: $target for $seconds s" >&2
  # New inputs go to the first directory only: the seeds stay as they were written.
  (cd build-fuzz && "./tests/fuzz/$target" "corpus-$target" "seeds-$target" \
     -max_total_time="$seconds" -max_len=65536 -print_final_stats=1) || failed+=("$target")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in build-fuzz/)" >&2
  exit 1
fi
