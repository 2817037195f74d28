#!/usr/bin/env python3
"""File channel (RocksDB) benchmark, with the memory channel measured in the same run as the
baseline. Prints medians of several runs:
  1. seq -> file channel -> null, 100-byte bodies, fsync per transaction on, at batch 100 and
     1000: events/s, MB/s, syncs/s, CPU seconds, peak RSS, and the ratio to the memory channel.
  2. a long run (default 50 M events at batch 1000): throughput of the first tenth vs the last
     tenth, to show that consumed history (tombstones) does not slow the queue down.
  3. restart with 10 M events queued: seconds until the restarted agent runs, and that every
     event is still there.
Targets on the 2-core machine: >= 1,000,000 events/s at batch 1000 with fsync; last tenth
within 80% of the first; restart <= 2 s.

Usage: bench/file_channel.py [--flumen build/flumen] [--runs 3] [--long 50000000]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import Agent, free_port, metrics, proc_stats, wait_for  # noqa: E402


def conf(channel, data, batch, events, with_sink=True, with_source=True):
    lines = ["bench.channels = ch"]
    if with_source:
        lines += ["bench.sources = gen", "bench.sources.gen.type = seq",
                  "bench.sources.gen.batchSize = %d" % batch,
                  "bench.sources.gen.totalEvents = %d" % events,
                  "bench.sources.gen.bodySize = 100", "bench.sources.gen.channels = ch"]
    if with_sink:
        lines += ["bench.sinks = drop", "bench.sinks.drop.type = null",
                  "bench.sinks.drop.batchSize = %d" % batch, "bench.sinks.drop.channel = ch"]
    lines += ["bench.channels.ch.type = %s" % channel,
              "bench.channels.ch.capacity = 20000000",
              "bench.channels.ch.transactionCapacity = %d" % max(batch, 1000)]
    if channel == "file":
        lines += ["bench.channels.ch.dataDirs = %s" % data,
                  "bench.channels.ch.fsyncPerTransaction = true",
                  "bench.channels.ch.minimumRequiredSpace = 1048576"]
    return "\n".join(lines) + "\n"


def drained(agent, n):
    return int(metrics(agent.port)["SINK.drop"]["EventDrainSuccessCount"]) >= n


def run_pipeline(flumen, workdir, channel, batch, events):
    data = os.path.join(workdir, "data-%s-%d" % (channel, time.time_ns()))
    t0 = time.time()
    agent = Agent(flumen, conf(channel, data, batch, events), "bench", workdir)
    try:
        wait_for(lambda: drained(agent, events), 900, "the events to drain")
        elapsed = time.time() - t0
        m = metrics(agent.port)["CHANNEL.ch"]
        syncs = int(m.get("SyncCount", 0))
        cpu, hwm, _ = proc_stats(agent.proc.pid)
    finally:
        agent.stop()
        shutil.rmtree(data, ignore_errors=True)
    return events / elapsed, events * 100 / elapsed / 1e6, syncs / elapsed, cpu, hwm


def long_run(flumen, workdir, events, batch):
    data = os.path.join(workdir, "data-long")
    agent = Agent(flumen, conf("file", data, batch, events), "bench", workdir)
    marks = [events * k // 10 for k in range(11)]
    times = {0: time.time()}
    try:
        for mark in marks[1:]:
            wait_for(lambda: drained(agent, mark), 1800, "%d events" % mark)
            times[mark] = time.time()
            print("  long run: %3d%% at %.1f s" % (100 * mark // events, times[mark] - times[0]),
                  file=sys.stderr)
        du = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(data) for f in fs)
    finally:
        agent.stop()
        shutil.rmtree(data, ignore_errors=True)
    first = (marks[1] - marks[0]) / (times[marks[1]] - times[marks[0]])
    last = (marks[10] - marks[9]) / (times[marks[10]] - times[marks[9]])
    return first, last, du


def restart(flumen, workdir, events):
    data = os.path.join(workdir, "data-restart")
    filler = Agent(flumen, conf("file", data, 1000, events, with_sink=False), "bench", workdir)
    try:
        wait_for(lambda: int(metrics(filler.port)["CHANNEL.ch"]["ChannelSize"]) >= events, 900,
                 "the channel to fill")
    finally:
        filler.stop()
    results = []
    for _ in range(3):
        # An idle netcat source and no sink: nothing moves, so the size must be exactly what
        # was queued. Sources start last, so a started source means the channel is open.
        idle = conf("file", data, 1000, 0, with_sink=False, with_source=False).replace(
            "bench.channels = ch", "bench.channels = ch\nbench.sources = idle\n"
            "bench.sources.idle.type = netcat\nbench.sources.idle.bind = 127.0.0.1\n"
            "bench.sources.idle.port = %d\nbench.sources.idle.channels = ch\n" % free_port())
        t0 = time.time()
        agent = Agent(flumen, idle, "bench", workdir)
        wait_for(lambda: metrics(agent.port)["SOURCE.idle"]["StartTime"] != "0", 60,
                 "the restarted agent to run")
        ready = time.time() - t0
        size = int(metrics(agent.port)["CHANNEL.ch"]["ChannelSize"])
        agent.stop()
        results.append((ready, size))
    shutil.rmtree(data, ignore_errors=True)
    return statistics.median(r[0] for r in results), results[-1][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "flumen"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--events", type=int, default=5_000_000, help="events per batch-1000 run")
    ap.add_argument("--long", type=int, default=50_000_000)
    ap.add_argument("--restart-events", type=int, default=10_000_000)
    ap.add_argument("--dir", default=None, help="where the databases go (default: a temp dir)")
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)
    workdir = tempfile.mkdtemp(prefix="flumen-bench-", dir=args.dir)
    try:
        rows = []
        for batch in (100, 1000):
            n = args.events if batch == 1000 else args.events // 5
            for channel in ("memory", "file"):
                rs = [run_pipeline(flumen, workdir, channel, batch, n) for _ in range(args.runs)]
                for r in rs:
                    print("  %s batch %d: %.0f events/s" % (channel, batch, r[0]), file=sys.stderr)
                rows.append((channel, batch, n, [statistics.median(r[k] for r in rs)
                                                 for k in range(5)]))
        first, last, du = long_run(flumen, workdir, args.long, 1000) if args.long else (0, 0, 0)
        ready, found = restart(flumen, workdir, args.restart_events) if args.restart_events \
            else (0, 0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("seq -> channel -> null, 100-byte bodies, fsync per transaction (median of %d runs)"
          % args.runs)
    print("%-8s %6s %10s %12s %9s %9s %8s %9s %10s" % ("channel", "batch", "events", "events/s",
                                                         "MB/s", "syncs/s", "CPU s", "peak RSS",
                                                         "file/mem"))
    mem = {b: r[3][0] for r in rows for b in [r[1]] if r[0] == "memory"}
    for channel, batch, n, (eps, mbs, sps, cpu, hwm) in rows:
        print("%-8s %6d %10d %12.0f %9.1f %9.0f %8.2f %7.1fMB %10s" % (
            channel, batch, n, eps, mbs, sps, cpu, hwm / 2**20,
            "%.2f" % (eps / mem[batch]) if channel == "file" else ""))
    if args.long:
        print("long run, %d events at batch 1000: first tenth %.0f events/s, last tenth %.0f "
              "events/s (%.0f%%); database at the end %.1f MB"
              % (args.long, first, last, 100 * last / first, du / 2**20))
    if args.restart_events:
        print("restart with %d events queued: running after %.2f s (median of 3), %d events "
              "found" % (args.restart_events, ready, found))


if __name__ == "__main__":
    main()
