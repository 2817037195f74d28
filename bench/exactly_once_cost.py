#!/usr/bin/env python3
"""What exactly-once costs: the same pipelines with the file channel's exactlyOnce on and off,
alternated in one run, so the ratio is taken on the same machine under the same load.

  forward hop: seq -> file channel -> forward sink -> forward source -> memory -> null
               (exactly-once on the sender: one record of the take's batch numbers in the
               channel before it is sent, synced with fsyncPerTransaction)
  tail:        a pre-written file -> TAILDIR -> file channel (-> null sink): the read position
               goes into the channel with each batch
  tail -> kafka: a pre-written file -> TAILDIR -> file channel -> kafka sink -> `flumen broker`
               (a fresh one per run); here on/off is the kafka sink's exactlyOnce (one Kafka
               transaction per take with its offsets-topic record, vs the idempotent producer),
               the file channel's stays on. --batch is TAILDIR's batchSize and the sink's
               flumeBatchSize (100 = both defaults)

Prints per pipeline and mode the median events/s and the channel syncs per 1,000 events (the
file channel's SyncCount: puts and sink records that were fsynced, fdatasync'd by RocksDB), and
the ratio on/off.

Usage: bench/exactly_once_cost.py [--flumen build/flumen] [--events 300000] [--runs 3]
                                  [--batch 1000] [--pipelines forward,tail,kafka]
"""
import argparse
import json
import os
import shutil
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


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return json.load(r)


def counter(port, component, name):
    return int(metrics(port)[component][name])


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


class Agent:
    def __init__(self, flumen, workdir, name, conf):
        self.port = free_port()
        path = os.path.join(workdir, name + ".conf")
        with open(path, "w") as f:
            f.write(conf)
        self.log = open(os.path.join(workdir, name + ".log"), "w")
        self.proc = subprocess.Popen([flumen, "agent", "-f", path, "-n", name, "--metrics-port",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise SystemExit("agent %s exited; see %s" % (name, self.log.name))
            m = metrics(self.port)
            parts = [v for k, v in m.items() if k.startswith(("SOURCE.", "SINK."))]
            return parts and all(v.get("StartTime", "0") != "0" for v in parts)
        wait_for(ready, 30, "agent " + name)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def channel_conf(name, workdir, on, capacity):
    return """
{n}.channels.c1.type = file
{n}.channels.c1.dataDirs = {d}
{n}.channels.c1.capacity = {cap}
{n}.channels.c1.transactionCapacity = 10000
{n}.channels.c1.minimumRequiredSpace = 1048576
{n}.channels.c1.exactlyOnce = {on}
""".format(n=name, d=os.path.join(workdir, name + "-channel"), cap=capacity,
           on="true" if on else "false")


def forward_hop(flumen, workdir, events, batch, on):
    port = free_port()
    agg = Agent(flumen, workdir, "agg", """
agg.sources = r1
agg.channels = c1
agg.sinks = k1
agg.sources.r1.type = avro
agg.sources.r1.bind = 127.0.0.1
agg.sources.r1.port = {port}
agg.sources.r1.channels = c1
agg.channels.c1.type = memory
agg.channels.c1.capacity = 1000000
agg.channels.c1.transactionCapacity = 10000
agg.sinks.k1.type = null
agg.sinks.k1.channel = c1
agg.sinks.k1.batchSize = 10000
""".format(port=port))
    edge = Agent(flumen, workdir, "edge", """
edge.sources = r1
edge.channels = c1
edge.sinks = k1
edge.sources.r1.type = seq
edge.sources.r1.totalEvents = {events}
edge.sources.r1.batchSize = {batch}
edge.sources.r1.channels = c1
edge.sinks.k1.type = avro
edge.sinks.k1.channel = c1
edge.sinks.k1.hostname = 127.0.0.1
edge.sinks.k1.port = {port}
edge.sinks.k1.batch-size = {batch}
""".format(events=events, batch=batch, port=port) + channel_conf("edge", workdir, on, events))
    start = time.time()
    wait_for(lambda: counter(agg.port, "SINK.k1", "EventDrainSuccessCount") >= events, 600,
             "the forward hop")
    took = time.time() - start
    syncs = counter(edge.port, "CHANNEL.c1", "SyncCount")
    edge.stop()
    agg.stop()
    return events / took, syncs * 1000.0 / events


def pre_written_log(workdir, events):
    logs = os.path.join(workdir, "logs")
    os.makedirs(logs, exist_ok=True)
    path = os.path.join(logs, "app.log")
    if not os.path.exists(path):
        with open(path, "w") as f:
            for i in range(events):
                f.write("line-%09d %s\n" % (i, "z" * 90))
    return path


def tail_into(flumen, workdir, events, batch, channel_on, sink):
    """The pre-written log through TAILDIR -> file channel -> `sink` (its conf lines, with the
    sink named t1.sinks.k1); events/s and channel syncs per 1,000 events."""
    path = pre_written_log(workdir, events)
    a = Agent(flumen, workdir, "t1", """
t1.sources = r1
t1.channels = c1
t1.sinks = k1
t1.sources.r1.type = TAILDIR
t1.sources.r1.filegroups = g1
t1.sources.r1.filegroups.g1 = {path}
t1.sources.r1.positionFile = {work}/t1-pos.json
t1.sources.r1.batchSize = {batch}
t1.sources.r1.channels = c1
t1.sinks.k1.channel = c1
""".format(path=path, work=workdir, batch=batch) + sink +
              channel_conf("t1", workdir, channel_on, events))
    start = time.time()
    wait_for(lambda: counter(a.port, "SINK.k1", "EventDrainSuccessCount") >= events, 900,
             "the tail")
    took = time.time() - start
    syncs = counter(a.port, "CHANNEL.c1", "SyncCount")
    a.stop()
    os.remove(os.path.join(workdir, "t1-pos.json"))
    return events / took, syncs * 1000.0 / events


def tail(flumen, workdir, events, batch, on):
    return tail_into(flumen, workdir, events, batch, on,
                     "t1.sinks.k1.type = null\nt1.sinks.k1.batchSize = %d\n" % batch)


def tail_kafka(flumen, workdir, events, batch, on):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from agent_throughput import start_broker
    port = free_port()
    broker = start_broker(flumen, os.path.join(workdir, "broker"), port)
    try:
        return tail_into(flumen, workdir, events, batch, True, """
t1.sinks.k1.type = kafka
t1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:{port}
t1.sinks.k1.kafka.topic = lines
t1.sinks.k1.flumeBatchSize = {batch}
t1.sinks.k1.exactlyOnce = {on}
""".format(port=port, batch=batch, on="true" if on else "false"))
    finally:
        broker.kill()
        broker.wait()


PIPELINES = {"forward": ("forward hop", forward_hop), "tail": ("tail -> file channel", tail),
             "kafka": ("tail -> kafka", tail_kafka)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flumen", default="build/flumen")
    ap.add_argument("--events", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--pipelines", default="forward,tail,kafka")
    args = ap.parse_args()
    chosen = [PIPELINES[p] for p in args.pipelines.split(",")]
    results = {}
    for run in range(args.runs):
        for name, fn in chosen:
            for on in (True, False):  # alternated: the same load for both modes
                work = tempfile.mkdtemp(prefix="flumen-eo-")
                try:
                    rate, syncs = fn(args.flumen, work, args.events, args.batch, on)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                results.setdefault((name, on), []).append((rate, syncs))
                print("run %d %-22s exactlyOnce=%-5s %10.0f events/s %6.2f syncs/1000 events"
                      % (run + 1, name, on, rate, syncs), file=sys.stderr)
    print("%-22s %-12s %12s %18s" % ("pipeline", "exactlyOnce", "events/s", "syncs/1000 events"))
    for name, _ in chosen:
        med = {}
        for on in (True, False):
            rates = [r for r, _ in results[(name, on)]]
            syncs = [s for _, s in results[(name, on)]]
            med[on] = statistics.median(rates)
            print("%-22s %-12s %12.0f %18.2f" % (name, "on" if on else "off", med[on],
                                                  statistics.median(syncs)))
        print("%-22s on/off throughput ratio: %.3f" % (name, med[True] / med[False]))
    print("(%d events per run, batch %d, %d runs, medians)" % (args.events, args.batch, args.runs))


if __name__ == "__main__":
    main()
