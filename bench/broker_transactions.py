#!/usr/bin/env python3
"""Transactions benchmark: what exactly-once costs on the bundled broker. A librdkafka load
generator (bench/kafka_load.cc) produces 1,000,000 100-byte messages to one partition

  - idempotent, acks=all, no transaction (the baseline of the cost ratios),
  - in transactions committed every 10,000 messages,
  - in transactions committed every 1,000 messages,

each followed by ten passes over the last 40,000 messages with isolation.level=read_committed
(read_uncommitted for the baseline), against `flumen broker` at its defaults and against
librdkafka's in-process mock cluster in the same run (the mock has transactions but no disk).
Prints the median of several runs: msgs/s, the ratio to the mock's same phase, the ratio to
the broker's own non-transactional phase, the broker's acks=all sync rounds per 1,000 messages
(its FsyncCount: the markers' and the coordinator's own syncs come on top, 4 per transaction in
all) and its peak RSS.

Usage: bench/broker_transactions.py [--build build] [--count 1000000] [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import free_port, metrics, proc_stats, start_broker  # noqa: E402
from broker_throughput import load  # noqa: E402

# name, kafka_load arguments
PHASES = [
    ("no txn", ["--acks", "all"]),
    ("txn/10000", ["--acks", "all", "--transaction-every", "10000", "--read-committed"]),
    ("txn/1000", ["--acks", "all", "--transaction-every", "1000", "--read-committed"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    flumen = os.path.abspath(os.path.join(args.build, "flumen"))
    tool = os.path.abspath(os.path.join(args.build, "bench", "kafka_load"))
    rows = {}  # (target, phase, produce|consume) -> [msgs/s]
    fsyncs = {name: [] for name, _ in PHASES}
    rss = []
    for run in range(args.runs):
        for name, extra in PHASES:
            topic = "t-" + name.replace("/", "-").replace(" ", "-")
            mock = load(tool, ["--mock", "--topic", topic, "--count", str(args.count)] + extra)
            for what in ("produce", "consume"):
                rows.setdefault(("mock", name, what), []).append(mock[what][0])
        data = tempfile.mkdtemp(prefix="flumen-txnbench-")
        port, mport = free_port(), free_port()
        broker = start_broker(flumen, data, port, "--metrics-port", str(mport))
        try:
            for name, extra in PHASES:
                topic = "t-" + name.replace("/", "-").replace(" ", "-")
                before = metrics(mport)["BROKER.broker"]
                r = load(tool, ["--brokers", "127.0.0.1:%d" % port, "--topic", topic,
                                "--count", str(args.count)] + extra)
                after = metrics(mport)["BROKER.broker"]
                fsyncs[name].append(int(after["FsyncCount"]) - int(before["FsyncCount"]))
                for what in ("produce", "consume"):
                    rows.setdefault(("flumen", name, what), []).append(r[what][0])
            rss.append(proc_stats(broker.pid)[1])
        finally:
            broker.terminate()
            broker.wait(timeout=30)
            shutil.rmtree(data, ignore_errors=True)
        print("  run %d done" % (run + 1), file=sys.stderr)

    def med(target, name, what):
        return statistics.median(rows[(target, name, what)])
    print()
    print("transactions: flumen broker vs librdkafka mock cluster, %d x 100-byte messages, "
          "1 partition, acks=all (median of %d runs)" % (args.count, args.runs))
    print("%-22s %12s %12s %9s %11s %14s" % ("", "flumen msg/s", "mock msg/s", "vs mock",
                                              "vs no txn", "syncs/1k msg"))
    for name, _ in PHASES:
        for what in ("produce", "consume"):
            f, m = med("flumen", name, what), med("mock", name, what)
            base = med("flumen", "no txn", what)
            label = "%s %s%s" % (name, what,
                                 " (rc)" if what == "consume" and name != "no txn" else "")
            sync = ("%14.2f" % (statistics.median(fsyncs[name]) * 1000 / args.count)
                    if what == "produce" else "")
            print("%-22s %12.0f %12.0f %9.2f %11.2f %s" % (label, f, m, f / m, f / base, sync))
    print("broker peak RSS: %.1f MB" % (statistics.median(rss) / 2**20))


if __name__ == "__main__":
    main()
