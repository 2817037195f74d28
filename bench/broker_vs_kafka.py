#!/usr/bin/env python3
"""`flumen broker` next to one Apache Kafka 4.1.1 broker (KRaft, broker and controller in one
process, fetched through Maven by tests/integration/kafka_peer.py), on the same machine, with
the same client in the same run: bench/kafka_load (librdkafka) produces --count 100-byte
messages to one partition at acks=1 and at acks=all, and consumes a window of the last 40,000
messages ten times (see kafka_load.cc). For each broker: msgs/s, MB/s, the broker's CPU seconds
in each phase (from /proc, sampled as kafka_load prints each phase) and its peak RSS; medians of
--runs runs, each with freshly started brokers, and the ratios flumen / Kafka.

Kafka runs with the JVM options of its kafka-server-start.sh (-Xms1g -Xmx1g, G1) and its
default thread counts; its JVM start-up is not counted in CPU. Not the same durability: Kafka's
acks=all on one broker answers once the batch is in the page cache (it leaves fsync to the OS
and replication), flumen's fsyncs before it answers (group commit); so Kafka also runs acks=all
on a topic with flush.messages=1 (an fsync per append), the like-for-like row.

Usage: bench/broker_vs_kafka.py [--build build] [--count 1000000] [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from agent_throughput import free_port, proc_stats, start_broker  # noqa: E402
import kafka_peer  # noqa: E402

# Kafka's defaults, instead of the test-friendly small thread counts of kafka_peer.
KAFKA_BENCH_CONFIG = {
    "num.network.threads": "3",
    "num.io.threads": "8",
    "background.threads": "10",
    "log.cleaner.enable": "true",
    "num.partitions": "1",
}


def run_load(tool, pid, brokers, topic, acks, count):
    """Runs kafka_load; returns {phase: (msgs/s, MB/s, broker cpu seconds in the phase)}."""
    proc = subprocess.Popen([tool, "--brokers", brokers, "--topic", topic, "--acks", acks,
                             "--count", str(count)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = {}
    last_cpu = proc_stats(pid)[0]
    for line in proc.stdout:
        cpu = proc_stats(pid)[0]
        phase, msgs, mb = line.split()
        out[phase] = (float(msgs), float(mb), cpu - last_cpu)
        last_cpu = cpu
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError("kafka_load failed against %s: %s" % (brokers, err[-2000:]))
    return out


def bench_kafka_fsync(tool, pid, addr, count, rows, java_client):
    """Kafka at acks=all on a topic with flush.messages=1 (an fsync per append, the durability
    flumen's acks=all gives): the like-for-like acks=all figure."""
    r = subprocess.run(java_client + [addr, "create-topic", "bench-fsync", "1", "1",
                                      "flush.messages=1"], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0 or '"ok"' not in r.stdout:
        raise RuntimeError("cannot create bench-fsync: " + r.stdout + r.stderr[-2000:])
    res = run_load(tool, pid, addr, "bench-fsync", "all", count)
    rows.setdefault(("kafka", "acks=all+fsync produce"), []).append(res["produce"])


def bench_broker(name, tool, pid, addr, count, rows):
    # The topics exist before the clock starts: auto-creation and the client's first metadata
    # round trips are not what is measured.
    for acks in ("1", "all"):
        r = subprocess.run([tool, "--brokers", addr, "--topic", "bench-" + acks, "--acks", acks,
                            "--count", "1000", "--produce-only"], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError("warm-up failed against %s: %s" % (addr, r.stderr[-2000:]))
    for acks in ("1", "all"):
        r = run_load(tool, pid, addr, "bench-" + acks, acks, count)
        rows.setdefault((name, "acks=%s produce" % acks), []).append(r["produce"])
        rows.setdefault((name, "acks=%s consume" % acks), []).append(r["consume"])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    flumen = os.path.abspath(os.path.join(args.build, "flumen"))
    tool = os.path.abspath(os.path.join(args.build, "bench", "kafka_load"))
    for path in (flumen, tool):
        if not os.path.exists(path):
            raise SystemExit("missing %s: build first (cmake --build %s)" % (path, args.build))
    rows = {}
    rss = {"flumen": [], "kafka": []}
    java_client = kafka_peer.java_client_command()
    for run in range(args.runs):
        # flumen broker
        data = tempfile.mkdtemp(prefix="flumen-vs-kafka-")
        port = free_port()
        broker = start_broker(flumen, data, port)
        try:
            bench_broker("flumen", tool, broker.pid, "127.0.0.1:%d" % port, args.count, rows)
            rss["flumen"].append(proc_stats(broker.pid)[1])
        finally:
            broker.terminate()
            broker.wait(timeout=30)
            shutil.rmtree(data, ignore_errors=True)
        # Apache Kafka, one node
        cluster = kafka_peer.KafkaCluster(1, config=KAFKA_BENCH_CONFIG,
                                          jvm_opts=kafka_peer.KAFKA_JVM_OPTS)
        cluster.start()
        try:
            pid = cluster.nodes[0].proc.pid
            time.sleep(2)  # let start-up work (metadata, log loading) settle before counting CPU
            bench_broker("kafka", tool, pid, cluster.bootstrap, args.count, rows)
            bench_kafka_fsync(tool, pid, cluster.bootstrap, args.count, rows, java_client)
            rss["kafka"].append(proc_stats(pid)[1])
        finally:
            cluster.stop()
        print("  run %d of %d done" % (run + 1, args.runs), file=sys.stderr, flush=True)

    def med(name, phase, i):
        return statistics.median(v[i] for v in rows[(name, phase)])

    print()
    print("flumen broker vs Apache Kafka 4.1.1 (1 KRaft node), kafka_load (librdkafka), "
          "%d x 100-byte messages, 1 partition, median of %d runs" % (args.count, args.runs))
    print("%-18s %12s %8s %8s | %12s %8s %8s | %9s %9s" % (
        "", "flumen msg/s", "MB/s", "CPU s", "kafka msg/s", "MB/s", "CPU s", "rate f/k",
        "CPU f/k"))
    for phase in ("acks=1 produce", "acks=all produce", "acks=1 consume", "acks=all consume"):
        f = [med("flumen", phase, i) for i in range(3)]
        k = [med("kafka", phase, i) for i in range(3)]
        print("%-18s %12.0f %8.1f %8.2f | %12.0f %8.1f %8.2f | %9.2f %9.2f" % (
            phase, f[0], f[1], f[2], k[0], k[1], k[2], f[0] / k[0],
            f[2] / k[2] if k[2] else float("nan")))
    f = [med("flumen", "acks=all produce", i) for i in range(3)]
    k = [med("kafka", "acks=all+fsync produce", i) for i in range(3)]
    print("%-18s %12.0f %8.1f %8.2f | %12.0f %8.1f %8.2f | %9.2f %9.2f   (Kafka: topic with "
          "flush.messages=1, an fsync per append as flumen's acks=all)" % (
              "acks=all, fsync", f[0], f[1], f[2], k[0], k[1], k[2], f[0] / k[0],
              f[2] / k[2] if k[2] else float("nan")))
    frss = statistics.median(rss["flumen"]) / 2**20
    krss = statistics.median(rss["kafka"]) / 2**20
    print("peak RSS: flumen %.1f MB, kafka %.1f MB (ratio %.3f)" % (frss, krss, frss / krss))
    print("consume: a window of the last 40,000 messages read 10 times (kafka_load); CPU: the "
          "broker process's user+system seconds during the phase")


if __name__ == "__main__":
    main()
