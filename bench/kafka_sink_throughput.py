#!/usr/bin/env python3
"""Kafka sink benchmark: seq -> memory channel -> kafka sink -> `flumen broker`, 100-byte events,
events/s (median of several runs), against the broker's own produce rate measured in the same
run with the librdkafka load generator (bench/kafka_load.cc) at the same acks=all, with one sink
worker and with two. Not quite like for like, both against the sink: the load generator's
producer is not idempotent (the sink's is), and its clock starts after its process started
(the sink's before the agent's process). The sink sends no Kafka headers (flumeHeaders =
false): records without headers take librdkafka's batch path. Also kafka source -> memory ->
null reading the topic back.
Transactions of 9,000 events: with 100-byte bodies they fit in one librdkafka batch (batch.size,
1 MB), so each is one Produce request. At 10,000 the last ~1,000 records make a second request,
which librdkafka's idempotent producer sends only once the first is answered (measured: 0.59 of
the load generator with one worker instead of 0.65, 0.67 with two instead of 0.95).
Target: the sink reaches >= 0.7 of the load generator's rate.

Usage: bench/kafka_sink_throughput.py [--build build] [--events 2000000] [--runs 3]
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
from agent_throughput import (Agent, free_port, metrics, proc_stats, start_broker,  # noqa: E402
                              wait_for)
from broker_throughput import load as load_generator  # noqa: E402


def sink_conf(port, events, workers, topic):
    return "\n".join([
        "w.sources = s", "w.channels = c", "w.sinks = k",
        "w.sources.s.type = seq", "w.sources.s.totalEvents = %d" % events,
        "w.sources.s.batchSize = 5000", "w.sources.s.bodySize = 100", "w.sources.s.channels = c",
        "w.channels.c.type = memory", "w.channels.c.capacity = 200000",
        "w.channels.c.transactionCapacity = 10000",
        "w.sinks.k.type = kafka", "w.sinks.k.channel = c",
        "w.sinks.k.kafka.bootstrap.servers = 127.0.0.1:%d" % port,
        "w.sinks.k.kafka.topic = %s" % topic, "w.sinks.k.flumeBatchSize = 9000",
        "w.sinks.k.flumeHeaders = false", "w.sinks.k.workers = %d" % workers, ""])


def source_conf(port):
    return "\n".join([
        "r.sources = s", "r.channels = c", "r.sinks = k",
        "r.sources.s.type = kafka", "r.sources.s.kafka.bootstrap.servers = 127.0.0.1:%d" % port,
        "r.sources.s.kafka.topics = sinkbench", "r.sources.s.batchSize = 10000",
        "r.sources.s.batchDurationMillis = 100", "r.sources.s.channels = c",
        "r.channels.c.type = memory", "r.channels.c.capacity = 200000",
        "r.channels.c.transactionCapacity = 10000",
        "r.sinks.k.type = null", "r.sinks.k.channel = c", "r.sinks.k.batchSize = 10000", ""])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    flumen = os.path.abspath(os.path.join(args.build, "flumen"))
    tool = os.path.abspath(os.path.join(args.build, "bench", "kafka_load"))
    load, sink1, sink, source, sink_cpu, sink_rss = [], [], [], [], [], []
    for run in range(args.runs):
        work = tempfile.mkdtemp(prefix="flumen-kafkabench-")
        port = free_port()
        broker = start_broker(flumen, os.path.join(work, "b"), port)
        try:
            load.append(load_generator(tool, ["--brokers", "127.0.0.1:%d" % port, "--topic",
                                              "loadgen", "--acks", "all", "--count",
                                              str(args.events), "--produce-only"])["produce"][0])
            # One worker, then two (the sink's `workers`: two producers with their own
            # transactions, one sending while the other waits for its acknowledgements).
            for workers, topic, rates in ((1, "sinkbench1", sink1), (2, "sinkbench", sink)):
                t0 = time.time()
                w = Agent(flumen, sink_conf(port, args.events, workers, topic), "w", work)
                try:
                    wait_for(lambda: int(metrics(w.port)["SINK.k"]["EventDrainSuccessCount"]) >=
                             args.events, 600, "the sink to deliver")
                    rates.append(args.events / (time.time() - t0))
                    if workers == 2:
                        cpu, rss, _ = proc_stats(w.proc.pid)
                        sink_cpu.append(cpu)
                        sink_rss.append(rss)
                finally:
                    w.stop()
            t0 = time.time()
            rd = Agent(flumen, source_conf(port), "r", work)
            try:
                wait_for(lambda: int(metrics(rd.port)["SINK.k"]["EventDrainSuccessCount"]) >=
                         args.events, 600, "the source to read")
                source.append(args.events / (time.time() - t0))
            finally:
                rd.stop()
        finally:
            broker.terminate()
            broker.wait(timeout=30)
            shutil.rmtree(work, ignore_errors=True)
        print("  run %d done" % (run + 1), file=sys.stderr)
    base = statistics.median(load)
    print()
    print("kafka sink and source against flumen broker, %d x 100-byte events, acks=all "
          "(median of %d runs, agent start-up included)" % (args.events, args.runs))
    print("%-36s %12s %8s" % ("", "events/s", "ratio"))
    print("%-36s %12.0f %8s" % ("load generator produce (baseline)", base, "1.00"))
    s1 = statistics.median(sink1)
    print("%-36s %12.0f %8.2f" % ("seq -> memory -> kafka sink", s1, s1 / base))
    s = statistics.median(sink)
    print("%-36s %12.0f %8.2f   (agent CPU %.2f s, RSS %.0f MB)" % (
        "  the same with workers = 2", s, s / base, statistics.median(sink_cpu),
        statistics.median(sink_rss) / 2**20))
    print("%-36s %12.0f" % ("kafka source -> memory -> null", statistics.median(source)))


if __name__ == "__main__":
    main()
