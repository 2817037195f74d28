#!/usr/bin/env python3
"""Broker benchmark: a librdkafka load generator (bench/kafka_load.cc) produces 1,000,000
100-byte messages to one partition and consumes back a window of the last 40,000 ten times,
against `flumen broker` with acks=1 and acks=all (fsync before the answer), and the same at
acks=1 against librdkafka's in-process mock cluster in the same run: the baseline of every
ratio, acks=all included (the mock has no disk to sync). (The mock keeps only the last
5 MB of a partition, hence the window.) Consume is timed while messages flow (each pass from its
first message to its last) and, as "consume-with-starts", whole. Prints the median of several
runs: msgs/s, MB/s, the ratio to the mock, and the broker's peak RSS.
Targets: produce acks=1 and consume >= 0.8 of the mock; acks=all >= 0.5.

Usage: bench/broker_throughput.py [--build build] [--count 1000000] [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_throughput import free_port, metrics, proc_stats, start_broker  # noqa: E402


def load(tool, args):
    r = subprocess.run([tool] + args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("kafka_load failed: " + r.stderr[-2000:])
    out = {}
    for line in r.stdout.splitlines():
        phase, msgs, mb = line.split()
        out[phase] = (float(msgs), float(mb))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    flumen = os.path.abspath(os.path.join(args.build, "flumen"))
    tool = os.path.abspath(os.path.join(args.build, "bench", "kafka_load"))
    rows = {"mock produce": [], "mock consume": [], "mock consume-with-starts": [],
            "acks=1 produce": [], "acks=1 consume": [], "acks=1 consume-with-starts": [],
            "acks=all produce": [], "acks=all consume": [], "acks=all consume-with-starts": []}
    rss, cpu, fsync_ratio = [], [], []
    for run in range(args.runs):
        mock = load(tool, ["--mock", "--count", str(args.count)])
        for phase in ("produce", "consume", "consume-with-starts"):
            rows["mock " + phase].append(mock[phase])
        data = tempfile.mkdtemp(prefix="flumen-brokerbench-")
        port = free_port()
        mport = free_port()
        broker = start_broker(flumen, data, port, "--metrics-port", str(mport))
        try:
            for acks in ("1", "all"):
                before = metrics(mport)["BROKER.broker"]
                r = load(tool, ["--brokers", "127.0.0.1:%d" % port, "--topic", "t-" + acks,
                                "--acks", acks, "--count", str(args.count)])
                for phase in ("produce", "consume", "consume-with-starts"):
                    rows["acks=%s %s" % (acks, phase)].append(r[phase])
                if acks == "all":
                    # Group commit: produce requests answered per fsync.
                    after = metrics(mport)["BROKER.broker"]
                    batches = int(after["BatchAppendCount"]) - int(before["BatchAppendCount"])
                    syncs = int(after["FsyncCount"]) - int(before["FsyncCount"])
                    fsync_ratio.append(batches / max(syncs, 1))
            c, peak, _ = proc_stats(broker.pid)
            rss.append(peak)
            cpu.append(c)
        finally:
            broker.terminate()
            broker.wait(timeout=30)
            shutil.rmtree(data, ignore_errors=True)
        print("  run %d done" % (run + 1), file=sys.stderr)
    def median_of(name):
        return statistics.median(v[0] for v in rows[name])
    print()
    print("flumen broker vs librdkafka mock cluster, %d x 100-byte messages, 1 partition "
          "(median of %d runs)" % (args.count, args.runs))
    print("%-28s %12s %9s %9s" % ("", "msgs/s", "MB/s", "vs mock"))
    for name, vals in rows.items():
        m = median_of(name)
        mb = statistics.median(v[1] for v in vals)
        base = median_of("mock " + name.split(" ", 1)[1])
        print("%-28s %12.0f %9.1f %9.2f" % (name, m, mb, m / base))
    print("broker peak RSS: %.1f MB, CPU %.2f s for both rounds, acks=all: %.1f appended "
          "batches per fsync" % (statistics.median(rss) / 2**20, statistics.median(cpu),
                                 statistics.median(fsync_ratio)))


if __name__ == "__main__":
    main()
