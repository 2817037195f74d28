#!/usr/bin/env python3
"""TAILDIR benchmark: tail a 5,000,000-line log file (about 550 MB) from its head through a
memory channel into the null sink. Prints the median of several runs: seconds, lines/s, MB/s,
CPU seconds and peak RSS of the agent, next to `cat FILE > /dev/null` measured in the same run
(the file comes from the page cache in both). Target: <= 0.7 s (>= 7 M lines/s), RSS <= 64 MB.

Usage: bench/taildir_throughput.py [--flumen build/flumen] [--lines 5000000] [--runs 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import Agent, metrics, proc_stats, wait_for  # noqa: E402


def make_log(path, lines):
    # Smart-car driving-log-like lines of about 110 bytes.
    template = "20261124%06d,D%04d,SmartCar-%04d,%03d,%03d,%d,%d,normal-driving-status-pad-lane-keeping-ok-abs-ok-esp-ok\n"
    with open(path, "w") as f:
        chunk = []
        for i in range(lines):
            chunk.append(template % (i % 240000, i % 100, i % 100, i % 140, i % 100, i % 2,
                                     i % 7))
            if len(chunk) == 100000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def run_once(flumen, workdir, log_dir, lines, batch):
    pos = os.path.join(workdir, "pos-%d.json" % time.time_ns())
    conf = "\n".join([
        "bench.sources = tail", "bench.channels = mem", "bench.sinks = drop",
        "bench.sources.tail.type = TAILDIR", "bench.sources.tail.filegroups = g",
        "bench.sources.tail.filegroups.g = %s/drive\\.log" % log_dir,
        "bench.sources.tail.positionFile = %s" % pos,
        "bench.sources.tail.batchSize = %d" % batch, "bench.sources.tail.channels = mem",
        "bench.channels.mem.type = memory", "bench.channels.mem.capacity = 100000",
        "bench.channels.mem.transactionCapacity = %d" % batch,
        "bench.sinks.drop.type = null", "bench.sinks.drop.batchSize = %d" % batch,
        "bench.sinks.drop.channel = mem", ""])
    t0 = time.time()
    agent = Agent(flumen, conf, "bench", workdir)
    try:
        wait_for(lambda: int(metrics(agent.port)["SINK.drop"]["EventDrainSuccessCount"]) >= lines,
                 300, "the file to be read")
        elapsed = time.time() - t0
        cpu, hwm, _ = proc_stats(agent.proc.pid)
    finally:
        agent.stop()
    return elapsed, cpu, hwm


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "flumen"))
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)
    workdir = tempfile.mkdtemp(prefix="flumen-tailbench-")
    try:
        log_dir = os.path.join(workdir, "logs")
        os.mkdir(log_dir)
        log = os.path.join(log_dir, "drive.log")
        make_log(log, args.lines)
        size = os.path.getsize(log)
        subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)  # warm the cache
        cats, runs = [], []
        for i in range(args.runs):
            t0 = time.time()
            subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)
            cats.append(time.time() - t0)
            runs.append(run_once(flumen, workdir, log_dir, args.lines, args.batch))
            print("  run %d: %.2f s" % (i + 1, runs[-1][0]), file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    secs = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = statistics.median(r[2] for r in runs)
    cat = statistics.median(cats)
    print()
    print("TAILDIR -> memory -> null, %d lines, %.0f MB, batch %d (median of %d runs; includes "
          "agent start-up)" % (args.lines, size / 1e6, args.batch, args.runs))
    print("%-24s %8s %14s %9s %8s %10s" % ("", "seconds", "lines/s", "MB/s", "CPU s", "peak RSS"))
    print("%-24s %8.2f %14.0f %9.0f %8.2f %8.1fMB" % ("flumen taildir", secs, args.lines / secs,
                                                       size / secs / 1e6, cpu, rss / 2**20))
    print("%-24s %8.2f %14.0f %9.0f %8s %10s" % ("cat FILE > /dev/null", cat, args.lines / cat,
                                                  size / cat / 1e6, "", ""))
    print("flumen / cat time: %.1fx" % (secs / cat))


if __name__ == "__main__":
    main()
