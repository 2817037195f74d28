#!/usr/bin/env bash
# Sets up everything and runs the smart-car demo on this machine: the bundled broker, two
# aggregators, three edge agents and the simulator writing each edge's driving and status logs,
# with a live progress line; at the end it counts every line at its destination.
# Usage: scripts/demo.sh [seconds]   (default 30: how long the simulated cars drive)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
exec python3 scripts/smartcar_demo.py --flumen build/flumen --seconds "${1:-30}"
