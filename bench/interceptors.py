#!/usr/bin/env python3
"""Interceptor benchmark: seq (100-byte bodies) -> [regex_filter + timestamp + static] ->
memory -> null, against the same pipeline without interceptors measured in the same run.
Prints medians of several runs: events/s, CPU seconds, and the ratio to the baseline.

Usage: bench/interceptors.py [--flumen build/flumen] [--events 10000000] [--runs 5]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import Agent, metrics, proc_stats, wait_for  # noqa: E402

CHAIN = [
    "bench.sources.gen.interceptors = keep ts tag",
    "bench.sources.gen.interceptors.keep.type = regex_filter",
    # Bodies are "<n>....": keep them all, so every event still costs a regex search.
    "bench.sources.gen.interceptors.keep.regex = ^\\\\d+\\\\.",
    "bench.sources.gen.interceptors.ts.type = timestamp",
    "bench.sources.gen.interceptors.tag.type = static",
    "bench.sources.gen.interceptors.tag.key = fleet",
    "bench.sources.gen.interceptors.tag.value = smartcar",
]


def conf(events, batch, chain):
    return "\n".join([
        "bench.sources = gen", "bench.channels = mem", "bench.sinks = drop",
        "bench.sources.gen.type = seq", "bench.sources.gen.batchSize = %d" % batch,
        "bench.sources.gen.totalEvents = %d" % events, "bench.sources.gen.bodySize = 100",
        "bench.sources.gen.channels = mem"] + (CHAIN if chain else []) + [
        "bench.channels.mem.type = memory", "bench.channels.mem.capacity = 100000",
        "bench.channels.mem.transactionCapacity = %d" % batch,
        "bench.sinks.drop.type = null", "bench.sinks.drop.batchSize = %d" % batch,
        "bench.sinks.drop.channel = mem", ""])


def run(flumen, workdir, events, batch, chain):
    t0 = time.time()
    agent = Agent(flumen, conf(events, batch, chain), "bench", workdir)
    try:
        wait_for(lambda: int(metrics(agent.port)["SINK.drop"]["EventDrainSuccessCount"]) >= events,
                 600, "the events")
        elapsed = time.time() - t0
        cpu, _, _ = proc_stats(agent.proc.pid)
    finally:
        agent.stop()
    return events / elapsed, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "flumen"))
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)
    with tempfile.TemporaryDirectory() as workdir:
        base, chain = [], []
        for _ in range(args.runs):
            base.append(run(flumen, workdir, args.events, args.batch, False))
            chain.append(run(flumen, workdir, args.events, args.batch, True))
    b = statistics.median(r[0] for r in base)
    c = statistics.median(r[0] for r in chain)
    print("seq -> memory -> null, %d events of 100 bytes, batch %d (median of %d runs)"
          % (args.events, args.batch, args.runs))
    print("%-40s %14s %8s" % ("", "events/s", "CPU s"))
    print("%-40s %14.0f %8.2f" % ("no interceptors", b, statistics.median(r[1] for r in base)))
    print("%-40s %14.0f %8.2f" % ("regex_filter + timestamp + static", c,
                                  statistics.median(r[1] for r in chain)))
    print("interceptor chain keeps %.0f%% of the baseline rate" % (100 * c / b))


if __name__ == "__main__":
    main()
