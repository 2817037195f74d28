#!/usr/bin/env python3
"""Defaults matrix: the paths a Flume user runs, each with every key at its default (Flume's:
TAILDIR batchSize 100, memory channel capacity/transactionCapacity 100, sink batches 100,
file_roll sink.fsync on) and tuned, on one smart-car-style file, next to baselines measured in
the same run (`cat FILE > /dev/null`, `tail -n +1 FILE | nc` into a reader that discards).

For every run it prints wall seconds, lines/s, CPU seconds and peak RSS of each agent, the
syncs the agents counted (metrics named *Sync*), context switches of each agent (voluntary +
involuntary, all threads) per 1,000 lines, and it checks that every line arrived exactly once
(file outputs are compared line by line, sorted; the null sink by its count). Figures are the
median of --runs runs, interleaved (each round runs every path once). The ratio column is wall
time over the `tail | nc` baseline of the same run.

Paths:
  mem-null        TAILDIR -> memory -> null
  fwd             TAILDIR -> memory -> forward -> 2nd agent: forward -> memory -> file_roll
  fwd-snd-tuned   the same, sender tuned, receiver at defaults
  fwd-rcv-tuned   the same, receiver tuned, sender at defaults
  fc-fwd          TAILDIR -> file channel -> forward -> 2nd agent -> file_roll
  mem-roll        TAILDIR -> memory -> file_roll
  mem-hdfs        TAILDIR -> memory -> hdfs (local files; at defaults it rolls every 10 events)
  fc-null         TAILDIR -> file channel -> null (the durable channel's put and take commits)

With --perf PATH, one more run of PATH follows the matrix with `perf record -g` attached to each
of its agents, and the hottest symbols of each (self time) are printed: the profile of a slow
path, measured the same way.

With --against OLD_BIN, every run of a path is paired with a run of OLD_BIN (a copy of the
build before a change), interleaved, and the medians are compared: on a noisy machine the only
before/after figure worth quoting.

Usage: bench/defaults_matrix.py [--flumen build/flumen] [--lines 5000000] [--runs 3]
                                [--paths mem-null,fwd,...] [--timeout 120] [--perf fc-fwd]
                                [--against /tmp/before/flumen]
"""
import argparse
import glob
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import Agent, free_port, metrics, proc_stats  # noqa: E402
from taildir_throughput import make_log  # noqa: E402

TUNED_BATCH = 5000


def ctx_switches(pid):
    total = 0
    for status in glob.glob("/proc/%d/task/*/status" % pid):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def syncs(port):
    n = 0
    for comp in metrics(port).values():
        for k, v in comp.items():
            if "Sync" in k and k.endswith("Count"):
                try:
                    n += int(v)
                except ValueError:
                    pass
    return n


def tail_source(name, log, pos, tuned, channel):
    lines = ["%s.sources = tail" % name, "%s.sources.tail.type = TAILDIR" % name,
             "%s.sources.tail.filegroups = g" % name,
             "%s.sources.tail.filegroups.g = %s" % (name, log),
             "%s.sources.tail.positionFile = %s" % (name, pos),
             "%s.sources.tail.channels = c" % name]
    if tuned:
        lines.append("%s.sources.tail.batchSize = %d" % (name, TUNED_BATCH))
    return lines + channel_lines(name, tuned, channel)


def channel_lines(name, tuned, kind, data_dir=None):
    lines = ["%s.channels = c" % name, "%s.channels.c.type = %s" % (name, kind)]
    if kind == "file":
        lines.append("%s.channels.c.dataDirs = %s" % (name, data_dir))
    if tuned:
        lines += ["%s.channels.c.capacity = 200000" % name,
                  "%s.channels.c.transactionCapacity = %d" % (name, TUNED_BATCH)]
    return lines


def conf_text(lines):
    return "\n".join(lines) + "\n"


class Path:
    """One path's agents for one run; `done()` tells when every line is at its destination."""

    def __init__(self, flumen, workdir, log, lines, path):
        self.flumen, self.workdir, self.log, self.lines, self.path = \
            flumen, workdir, log, lines, path
        tag = "%s-%d" % (path, time.time_ns())
        self.dir = os.path.join(workdir, tag)
        os.mkdir(self.dir)
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        self.agents = []

    def start(self):
        p, d = self.path, self.dir
        pos = os.path.join(d, "pos.json")
        if p == "mem-null" or p == "mem-null-tuned":
            tuned = p.endswith("tuned")
            lines = tail_source("a", self.log, pos, tuned, "memory") + [
                "a.sinks = k", "a.sinks.k.type = null", "a.sinks.k.channel = c"]
            if tuned:
                lines.append("a.sinks.k.batchSize = %d" % TUNED_BATCH)
            self.final = self.spawn(lines, "a")
            self.final_sink = "SINK.k"
        elif p == "fc-null" or p == "fc-null-tuned":
            tuned = p.endswith("tuned")
            lines = [l for l in tail_source("a", self.log, pos, tuned, "memory")
                     if not l.startswith("a.channels")]
            lines += channel_lines("a", tuned, "file", os.path.join(d, "fc-a"))
            lines += ["a.sinks = k", "a.sinks.k.type = null", "a.sinks.k.channel = c"]
            if tuned:
                lines.append("a.sinks.k.batchSize = %d" % TUNED_BATCH)
            self.final = self.spawn(lines, "a")
            self.final_sink = "SINK.k"
        elif p == "mem-hdfs" or p == "mem-hdfs-tuned":
            tuned = p.endswith("tuned")
            lines = tail_source("a", self.log, pos, tuned, "memory") + [
                "a.sinks = out", "a.sinks.out.type = hdfs", "a.sinks.out.channel = c",
                "a.sinks.out.hdfs.path = %s" % self.out]
            if tuned:  # Flume's defaults roll every 10 events, 1024 bytes or 30 s
                lines += ["a.sinks.out.hdfs.batchSize = %d" % TUNED_BATCH,
                          "a.sinks.out.hdfs.rollCount = 0", "a.sinks.out.hdfs.rollSize = 0",
                          "a.sinks.out.hdfs.rollInterval = 0"]
            self.final = self.spawn(lines, "a")
            self.final_sink = "SINK.out"
        elif p == "mem-roll" or p == "mem-roll-tuned":
            tuned = p.endswith("tuned")
            lines = tail_source("a", self.log, pos, tuned, "memory") + self.roll("a", tuned)
            self.final = self.spawn(lines, "a")
            self.final_sink = "SINK.out"
        else:
            snd_tuned = p in ("fwd-tuned", "fwd-snd-tuned", "fc-fwd-tuned")
            rcv_tuned = p in ("fwd-tuned", "fwd-rcv-tuned", "fc-fwd-tuned")
            durable = p.startswith("fc-")
            port = free_port()
            rcv = ["b.sources = in", "b.sources.in.type = avro", "b.sources.in.bind = 127.0.0.1",
                   "b.sources.in.port = %d" % port, "b.sources.in.channels = c"]
            rcv += channel_lines("b", rcv_tuned, "file" if durable else "memory",
                                 os.path.join(d, "fc-b"))
            rcv += self.roll("b", rcv_tuned)
            self.final = self.spawn(rcv, "b")
            self.final_sink = "SINK.out"
            snd = tail_source("a", self.log, pos, snd_tuned, "memory")
            if durable:
                snd = [l for l in snd if not l.startswith("a.channels")]
                snd += channel_lines("a", snd_tuned, "file", os.path.join(d, "fc-a"))
            snd += ["a.sinks = k", "a.sinks.k.type = avro", "a.sinks.k.channel = c",
                    "a.sinks.k.hostname = 127.0.0.1", "a.sinks.k.port = %d" % port]
            if snd_tuned:
                snd.append("a.sinks.k.batch-size = %d" % TUNED_BATCH)
            self.spawn(snd, "a")

    def roll(self, name, tuned):
        lines = ["%s.sinks = out" % name, "%s.sinks.out.type = file_roll" % name,
                 "%s.sinks.out.channel = c" % name,
                 "%s.sinks.out.sink.directory = %s" % (name, self.out),
                 "%s.sinks.out.sink.rollInterval = 0" % name]
        if tuned:
            lines.append("%s.sinks.out.sink.batchSize = %d" % (name, TUNED_BATCH))
        return lines

    def spawn(self, lines, name):
        a = Agent(self.flumen, conf_text(lines), name, self.dir)
        self.agents.append(a)
        return a

    def delivered(self):
        # The metrics endpoint answers before every component registered: not there yet is 0.
        comp = metrics(self.final.port).get(self.final_sink, {})
        return int(comp.get("EventDrainSuccessCount", 0))

    def stats(self):
        out = []
        for a in self.agents:
            cpu, hwm, _ = proc_stats(a.proc.pid)
            out.append((cpu, hwm, ctx_switches(a.proc.pid), syncs(a.port)))
        return out

    def check(self, delivered):
        if self.final_sink == "SINK.k":
            return delivered == self.lines
        got = []
        for f in sorted(os.listdir(self.out)):
            with open(os.path.join(self.out, f), "rb") as fh:
                got.extend(fh.read().splitlines())
        if len(got) != self.lines:
            return False
        with open(self.log, "rb") as fh:
            want = fh.read().splitlines()
        return sorted(got) == sorted(want)

    def stop(self):
        for a in reversed(self.agents):
            try:
                a.stop()
            except Exception:  # noqa: BLE001 - a wedged agent must not stop the benchmark
                a.proc.kill()


def perf_report(data, top=15):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                          "--sort", "dso,symbol", "-g", "none", "--percent-limit", "1"],
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        # "  18.49%  [kernel.kallsyms]  [k] finish_task_switch   -   -": percent, dso, symbol
        fields = [f for f in line.strip().split("  ") if f.strip() and f.strip() != "-"]
        rows.append("  ".join(f.strip() for f in fields[:3]))
    return rows[:top]


def run_path(flumen, workdir, log, lines, path, timeout, perf=False):
    p = Path(flumen, workdir, log, lines, path)
    t0 = time.time()
    p.start()
    recorders = []
    if perf:
        for a in p.agents:
            data = os.path.join(workdir, "perf-%s-%d.data" % (path, a.proc.pid))
            recorders.append((a, data, subprocess.Popen(
                ["perf", "record", "-q", "-g", "-F", "999", "-p", str(a.proc.pid), "-o", data],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    done = False
    try:
        deadline = t0 + timeout
        while time.time() < deadline:
            if p.delivered() >= lines:
                done = True
                break
            time.sleep(0.02)
        wall = time.time() - t0
        got = p.delivered()
        stats = p.stats()
    finally:
        for _, _, rec in recorders:
            rec.send_signal(2)
            rec.wait()
        p.stop()
    for i, (a, data, _) in enumerate(recorders):
        # Agents in the order started: for two-agent paths the receiver comes first.
        print("perf, %s agent %d of %d (%.2f s wall), self time:" % (path, i + 1, len(recorders),
                                                                     wall))
        for row in perf_report(data):
            print("   " + row)
    ok = done and p.check(got)
    shutil.rmtree(p.dir, ignore_errors=True)
    return {"wall": wall, "done": done, "delivered": got, "ok": ok, "stats": stats}


def baseline_cat(log):
    t0 = time.time()
    subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)
    return time.time() - t0


def baseline_tail_nc(log):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = [0]

    def drain():
        c, _ = srv.accept()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            got[0] += len(b)
        c.close()

    t = threading.Thread(target=drain)
    t.start()
    t0 = time.time()
    subprocess.run("tail -n +1 %s | nc -q 0 127.0.0.1 %d" % (log, port), shell=True, check=True)
    t.join()
    srv.close()
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flumen", default="build/flumen")
    ap.add_argument("--lines", type=int, default=5000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--perf", default="", help="profile one more run of this path")
    ap.add_argument("--against", default="",
                    help="another flumen binary (a build before a change): each run of a path "
                         "is paired with one of it, interleaved, and the medians are compared")
    ap.add_argument("--paths", default="mem-null,mem-null-tuned,fwd,fwd-tuned,fwd-snd-tuned,"
                                       "fwd-rcv-tuned,fc-fwd,fc-fwd-tuned,mem-roll,mem-roll-tuned,"
                                       "mem-hdfs,mem-hdfs-tuned")
    args = ap.parse_args()
    if not shutil.which("nc"):
        raise SystemExit("needs nc (netcat-openbsd) for the tail | nc baseline")
    flumen = os.path.abspath(args.flumen)
    paths = args.paths.split(",")
    workdir = tempfile.mkdtemp(prefix="flumen-defaults-")
    try:
        log = os.path.join(workdir, "drive.log")
        print("writing %d lines to %s ..." % (args.lines, log), flush=True)
        make_log(log, args.lines)
        size = os.path.getsize(log)
        print("%d lines, %.0f MB; %d rounds of %d paths" % (args.lines, size / 1e6, args.runs,
                                                            len(paths)), flush=True)
        results = {p: [] for p in paths}
        against = os.path.abspath(args.against) if args.against else ""
        results_against = {p: [] for p in paths}
        cat, tnc = [], []
        for r in range(args.runs):
            cat.append(baseline_cat(log))
            tnc.append(baseline_tail_nc(log))
            for p in paths:
                if against:
                    res = run_path(against, workdir, log, args.lines, p, args.timeout)
                    results_against[p].append(res)
                    print("  round %d %-15s %7.2f s %s (--against)" % (
                        r + 1, p, res["wall"], "ok" if res["ok"] else "NOT OK"), flush=True)
                res = run_path(flumen, workdir, log, args.lines, p, args.timeout)
                results[p].append(res)
                print("  round %d %-15s %7.2f s %s%s" % (
                    r + 1, p, res["wall"], "ok" if res["ok"] else "NOT OK",
                    "" if res["done"] else " (timed out with %d of %d)" % (
                        res["delivered"], args.lines)), flush=True)
        if args.perf:
            if not shutil.which("perf"):
                raise SystemExit("--perf needs perf (Debian: linux-perf)")
            print()
            run_path(flumen, workdir, log, args.lines, args.perf, args.timeout, perf=True)
        base = statistics.median(tnc)
        print()
        print("baselines: cat %.2f s, tail | nc %.2f s (medians)" % (statistics.median(cat), base))
        print("%-15s %8s %11s %7s %9s %9s %9s %8s %s" % (
            "path", "wall s", "lines/s", "x nc", "cpu s", "rss MiB", "cs/1k ln", "syncs", "check"))
        for p in paths:
            rs = results[p]
            wall = statistics.median(r["wall"] for r in rs)
            per_agent = list(zip(*[r["stats"] for r in rs]))
            cpu = "+".join("%.2f" % statistics.median(s[0] for s in a) for a in per_agent)
            rss = "+".join("%.0f" % (statistics.median(s[1] for s in a) / 2**20) for a in per_agent)
            cs = "+".join("%.1f" % (statistics.median(s[2] for s in a) * 1000 / args.lines)
                          for a in per_agent)
            sy = "+".join("%d" % statistics.median(s[3] for s in a) for a in per_agent)
            done = all(r["done"] for r in rs)
            lps = statistics.median(r["delivered"] / r["wall"] for r in rs)
            check = "exactly once" if all(r["ok"] for r in rs) else (
                "INCOMPLETE" if not done else "MISMATCH")
            print("%-15s %8.2f %11.0f %7.1f %9s %9s %9s %8s %s" % (
                p, wall, lps, wall / base, cpu, rss, cs, sy, check))
        if against:
            print()
            print("against %s: wall s, medians (every run), this build / that one" % against)
            for p in paths:
                a = [r["wall"] for r in results_against[p]]
                b = [r["wall"] for r in results[p]]
                ok = all(r["ok"] for r in results_against[p])
                print("%-15s %7.2f [%s] -> %7.2f [%s]  %.2fx%s" % (
                    p, statistics.median(a), " ".join("%.2f" % v for v in a),
                    statistics.median(b), " ".join("%.2f" % v for v in b),
                    statistics.median(b) / statistics.median(a), "" if ok else " (NOT OK)"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
