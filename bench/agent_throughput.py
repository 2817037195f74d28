#!/usr/bin/env python3
"""Agent throughput and footprint benchmark.

Runs the real flumen binary and prints, for each pipeline, the median of several runs:
events/s, MB/s (bodies), CPU seconds (user+sys of the agent), peak RSS; and the idle RSS of an
agent with a listening netcat source. Pipelines:
  seq -> memory -> null     100-byte bodies (target: >= 3,000,000 events/s on 2 cores)
  netcat -> memory -> null  100-byte lines from a client process over loopback (no acks)
As a same-run baseline it times `cat` of the same volume of lines into /dev/null through a pipe
(what moving the bytes alone costs on this machine), so figures from a noisy shared machine can
be compared as ratios.

Usage: bench/agent_throughput.py [--flumen build/flumen] [--events 20000000] [--runs 5]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_stats(pid):
    """(cpu seconds, peak RSS bytes, current RSS bytes) of a live process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return cpu, hwm, rss


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return json.load(r)


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.01)
    raise SystemExit("timed out waiting for " + what)


def start_broker(flumen, data_dir, port, *extra):
    """`flumen broker` on 127.0.0.1:port, returned once it accepts connections."""
    broker = subprocess.Popen([flumen, "broker", "--data-dir", data_dir, "--listen",
                               "127.0.0.1:%d" % port, "--log-level", "warn"] + list(extra))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return broker
        except OSError:
            time.sleep(0.05)
    broker.kill()
    raise RuntimeError("the broker did not start")


class Agent:
    def __init__(self, flumen, conf_text, name, workdir):
        self.conf = os.path.join(workdir, name + ".conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.port = free_port()
        self.log = open(os.path.join(workdir, name + ".log"), "w")
        self.proc = subprocess.Popen(
            [flumen, "agent", "-f", self.conf, "-n", name, "--metrics-port", str(self.port),
             "--log-level", "warn"], stderr=self.log)
        wait_for(lambda: metrics(self.port) is not None, 10, "the agent to start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def memory_null_conf(name, source_lines, batch):
    return "\n".join([
        "%s.sources = src" % name,
        "%s.channels = mem" % name,
        "%s.sinks = drop" % name,
    ] + ["%s.sources.src.%s" % (name, l) for l in source_lines] + [
        "%s.sources.src.channels = mem" % name,
        "%s.channels.mem.type = memory" % name,
        "%s.channels.mem.capacity = 100000" % name,
        "%s.channels.mem.transactionCapacity = %d" % (name, batch),
        "%s.sinks.drop.type = null" % name,
        "%s.sinks.drop.batchSize = %d" % (name, batch),
        "%s.sinks.drop.channel = mem" % name,
        "",
    ])


def drained(agent, total):
    return int(metrics(agent.port)["SINK.drop"]["EventDrainSuccessCount"]) >= total


def run_seq(flumen, workdir, events, batch):
    conf = memory_null_conf("bench", ["type = seq", "batchSize = %d" % batch,
                                      "totalEvents = %d" % events, "bodySize = 100"], batch)
    t0 = time.time()
    agent = Agent(flumen, conf, "bench", workdir)
    wait_for(lambda: drained(agent, events), 600, "seq events to drain")
    elapsed = time.time() - t0
    cpu, hwm, _ = proc_stats(agent.proc.pid)
    agent.stop()
    return events / elapsed, events * 100 / elapsed / 1e6, cpu, hwm


def run_netcat(flumen, workdir, events, batch):
    port = free_port()
    conf = memory_null_conf("bench", ["type = netcat", "bind = 127.0.0.1", "port = %d" % port,
                                      "ack-every-event = false", "batchSize = %d" % batch,
                                      "max-line-length = 512"], batch)
    agent = Agent(flumen, conf, "bench", workdir)
    client = subprocess.Popen([sys.executable, "-c", (
        "import socket\n"
        "s=socket.create_connection(('127.0.0.1',%d))\n"
        "chunk=(b'x'*99+b'\\n')*10000\n"
        "for _ in range(%d): s.sendall(chunk)\n"
        "s.close()\n") % (port, events // 10000)])
    t0 = time.time()
    wait_for(lambda: drained(agent, events // 10000 * 10000), 600, "netcat events to drain")
    elapsed = time.time() - t0
    client.wait()
    cpu, hwm, _ = proc_stats(agent.proc.pid)
    agent.stop()
    n = events // 10000 * 10000
    return n / elapsed, n * 100 / elapsed / 1e6, cpu, hwm


def idle_rss(flumen, workdir):
    conf = memory_null_conf("bench", ["type = netcat", "bind = 127.0.0.1",
                                      "port = %d" % free_port()], 100)
    agent = Agent(flumen, conf, "bench", workdir)
    time.sleep(1.0)
    _, _, rss = proc_stats(agent.proc.pid)
    agent.stop()
    return rss


def baseline_cat(workdir, events):
    """Seconds for `cat` to move the same bytes through a pipe: the machine's floor."""
    path = os.path.join(workdir, "lines")
    with open(path, "wb") as f:
        chunk = (b"x" * 99 + b"\n") * 10000
        for _ in range(max(1, events // 10000)):
            f.write(chunk)
    t0 = time.time()
    subprocess.run("cat %s | cat > /dev/null" % path, shell=True, check=True)
    elapsed = time.time() - t0
    os.unlink(path)
    return events / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(os.path.dirname(__file__), "..", "build", "flumen"))
    ap.add_argument("--events", type=int, default=20_000_000)
    ap.add_argument("--netcat-events", type=int, default=5_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)

    with tempfile.TemporaryDirectory() as workdir:
        rows = []
        for label, fn, n in (("seq -> memory -> null", run_seq, args.events),
                             ("netcat -> memory -> null", run_netcat, args.netcat_events)):
            results = []
            for i in range(args.runs):
                r = fn(flumen, workdir, n, args.batch)
                results.append(r)
                print("  %s run %d: %.0f events/s" % (label, i + 1, r[0]), file=sys.stderr)
            med = [statistics.median(x[k] for x in results) for k in range(4)]
            rows.append((label, n, med))
        base = statistics.median(baseline_cat(workdir, args.netcat_events) for _ in range(3))
        idle = statistics.median(idle_rss(flumen, workdir) for _ in range(3))

    print()
    print("flumen agent throughput (median of %d runs, batch %d, 100-byte bodies)" % (args.runs, args.batch))
    print("%-26s %12s %14s %9s %9s %10s %12s" % ("pipeline", "events", "events/s", "MB/s", "CPU s", "peak RSS", "vs cat pipe"))
    for label, n, (eps, mbs, cpu, hwm) in rows:
        print("%-26s %12d %14.0f %9.1f %9.2f %8.1fMB %11.2fx" % (label, n, eps, mbs, cpu, hwm / 2**20, eps / base))
    print("%-26s %12s %14.0f   (baseline: cat | cat > /dev/null of the same lines)" % ("cat pipe baseline", "", base))
    print("idle agent RSS (netcat -> memory -> null, listening): %.1f MB (target <= 10 MB)" % (idle / 2**20))


if __name__ == "__main__":
    main()
