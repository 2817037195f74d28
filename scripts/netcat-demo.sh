#!/usr/bin/env bash
# Sets up everything and runs the demo pipeline (conf/netcat-to-files.conf): an agent listens on
# a TCP port, a little client sends it smart-car-like status lines for a while, and you watch the
# lines arrive in rolling files, in the log, and in the agent's Flume-style metrics.
# Usage: scripts/netcat-demo.sh [seconds]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
seconds=${1:-15}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export DEMO_PORT=$(free_port)
metrics_port=$(free_port)
export DEMO_DIR=$(mktemp -d /tmp/flumen-demo.XXXXXX)
echo "demo: agent 'demo' on 127.0.0.1:$DEMO_PORT, files in $DEMO_DIR/out, metrics on :$metrics_port"

build/flumen agent -f conf/netcat-to-files.conf -n demo --metrics-port "$metrics_port" \
  2> "$DEMO_DIR/agent.log" &
agent=$!
trap 'kill $agent 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$DEMO_PORT) 2>/dev/null && break
  sleep 0.1
done

# The client: one status line per car every 100 ms, acknowledged line by line ("OK").
python3 - "$DEMO_PORT" "$seconds" <<'PY' &
import random, socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rwb")
random.seed(7)
end = time.time() + seconds
n = 0
while time.time() < end:
    for car in range(1, 6):
        line = "%s,SmartCar-%04d,%d,%d,%s\n" % (time.strftime("%Y%m%d%H%M%S"), car,
               random.randint(0, 120), random.randint(10, 100), random.choice("AAAAB"))
        f.write(line.encode()); f.flush()
        assert f.readline() == b"OK\n"
        n += 1
    time.sleep(0.1)
print("client: sent %d lines, every one acknowledged" % n, file=sys.stderr)
PY
client=$!

while kill -0 $client 2>/dev/null; do
  python3 - "$metrics_port" <<'PY'
import json, sys, urllib.request
try:
    m = json.load(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2))
    print("\rreceived %6s  in channel %4s  written to files %6s" % (
        m["SOURCE.r1"]["EventReceivedCount"], m["CHANNEL.files"]["ChannelSize"],
        m["SINK.k1"]["EventDrainSuccessCount"]), end="", flush=True)
except Exception:
    pass
PY
  sleep 1
done
wait $client
echo
kill -TERM $agent
wait $agent || true
trap - EXIT
echo "demo: agent stopped (SIGTERM drains the channels first). Last log lines:"
tail -n 5 "$DEMO_DIR/agent.log"
echo "demo: files written:"
ls -l "$DEMO_DIR/out"
echo "demo: $(cat "$DEMO_DIR"/out/* | wc -l) lines in files; first three:"
cat "$DEMO_DIR"/out/* | head -3
