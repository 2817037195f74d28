#!/usr/bin/env python3
"""Forward benchmark: an edge agent tails a 5,000,000-line log (about 110-byte smart-car lines)
into a memory channel and forwards it to an aggregator agent (forward source -> memory channel ->
file_roll), end to end on 127.0.0.1. Prints the median of several runs for each compression:
seconds, lines/s, MB/s, CPU seconds and peak RSS of each agent, and the bytes on the wire. The
baseline, measured in the same run, is one agent doing the same without the hop (TAILDIR ->
memory -> file_roll). Target: >= 2,500,000 lines/s end to end.

--tls also runs each codec's hop over TLS (ssl = true on both ends, a CA made for the run by
tests/tools/make_test_certs.sh), interleaved with the plain hop, and prints TLS's cost as the
ratio of the two in the same run.

Usage: bench/forward_throughput.py [--flumen build/flumen] [--lines 5000000] [--runs 3] [--tls]
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
from agent_throughput import Agent, free_port, metrics, proc_stats, wait_for  # noqa: E402
from taildir_throughput import make_log  # noqa: E402


def tail_lines(name, log_dir, pos, batch):
    return [
        "%s.sources = tail" % name, "%s.sources.tail.type = TAILDIR" % name,
        "%s.sources.tail.filegroups = g" % name,
        "%s.sources.tail.filegroups.g = %s/drive\\.log" % (name, log_dir),
        "%s.sources.tail.positionFile = %s" % (name, pos),
        "%s.sources.tail.batchSize = %d" % (name, batch),
        "%s.sources.tail.channels = mem" % name,
        "%s.channels = mem" % name, "%s.channels.mem.type = memory" % name,
        "%s.channels.mem.capacity = 200000" % name,
        "%s.channels.mem.transactionCapacity = %d" % (name, batch)]


def file_roll_lines(name, out_dir, batch=1000):
    # A sink batch never larger than its channel's transactionCapacity (the agent refuses that).
    return [
        "%s.sinks = out" % name, "%s.sinks.out.type = file_roll" % name,
        "%s.sinks.out.channel = mem" % name, "%s.sinks.out.sink.directory = %s" % (name, out_dir),
        "%s.sinks.out.sink.rollInterval = 0" % name,
        "%s.sinks.out.sink.batchSize = %d" % (name, min(batch, 1000))]


def tls_keys(certs):
    """The hop's TLS keys (source, sink), or empty lists without TLS."""
    if not certs:
        return [], []
    return ([
        "agg.sources.in.ssl = true",
        "agg.sources.in.ssl-cert = %s" % os.path.join(certs, "server.pem"),
        "agg.sources.in.ssl-key = %s" % os.path.join(certs, "server.key")], [
        "edge.sinks.fwd.ssl = true",
        "edge.sinks.fwd.ssl-ca = %s" % os.path.join(certs, "ca.pem")])


def run_hop(flumen, workdir, log_dir, lines, batch, codec, certs=None, protocol="flumen"):
    tag = "%s-%d" % (codec, time.time_ns())
    source_tls, sink_tls = tls_keys(certs)
    out_dir = os.path.join(workdir, "out-" + tag)
    os.mkdir(out_dir)
    port = free_port()
    agg_conf = "\n".join([
        "agg.sources = in", "agg.sources.in.type = forward", "agg.sources.in.bind = 127.0.0.1",
        "agg.sources.in.port = %d" % port, "agg.sources.in.channels = mem",
        "agg.channels = mem", "agg.channels.mem.type = memory",
        "agg.channels.mem.capacity = 200000", "agg.channels.mem.transactionCapacity = 1000"] +
        source_tls + file_roll_lines("agg", out_dir) + [""])
    edge_conf = "\n".join(
        tail_lines("edge", log_dir, os.path.join(workdir, "pos-" + tag), batch) + [
            "edge.sinks = fwd", "edge.sinks.fwd.type = forward", "edge.sinks.fwd.channel = mem",
            "edge.sinks.fwd.hostname = 127.0.0.1", "edge.sinks.fwd.port = %d" % port,
            "edge.sinks.fwd.batch-size = %d" % batch,
            "edge.sinks.fwd.compression-type = %s" % codec,
            "edge.sinks.fwd.protocol = %s" % protocol] + sink_tls + [""])
    agg = Agent(flumen, agg_conf, "agg", workdir)
    try:
        t0 = time.time()
        edge = Agent(flumen, edge_conf, "edge", workdir)
        try:
            wait_for(lambda: int(metrics(agg.port)["SINK.out"]["EventDrainSuccessCount"]) >= lines,
                     600, "the aggregator to write every line")
            elapsed = time.time() - t0
            edge_cpu, edge_rss, _ = proc_stats(edge.proc.pid)
            agg_cpu, agg_rss, _ = proc_stats(agg.proc.pid)
            m = metrics(edge.port)["SINK.fwd"]
            wire, raw = int(m["BytesSentCount"]), int(m["EventBytesSentCount"])
        finally:
            edge.stop()
    finally:
        agg.stop()
    shutil.rmtree(out_dir, ignore_errors=True)
    return elapsed, edge_cpu, edge_rss, agg_cpu, agg_rss, wire, raw


def run_single(flumen, workdir, log_dir, lines, batch):
    tag = str(time.time_ns())
    out_dir = os.path.join(workdir, "out-" + tag)
    os.mkdir(out_dir)
    conf = "\n".join(tail_lines("one", log_dir, os.path.join(workdir, "pos-" + tag), batch) +
                     file_roll_lines("one", out_dir, batch) + [""])
    t0 = time.time()
    agent = Agent(flumen, conf, "one", workdir)
    try:
        wait_for(lambda: int(metrics(agent.port)["SINK.out"]["EventDrainSuccessCount"]) >= lines,
                 600, "every line written")
        elapsed = time.time() - t0
        cpu, rss, _ = proc_stats(agent.proc.pid)
    finally:
        agent.stop()
    shutil.rmtree(out_dir, ignore_errors=True)
    return elapsed, cpu, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "flumen"))
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--codecs", default="none,lz4,zstd")
    ap.add_argument("--tls", action="store_true", help="also run each hop over TLS")
    ap.add_argument("--protocol", default="flumen", choices=["flumen", "flume"],
                    help="the sink's protocol: flumen's forward protocol, or Apache Flume's Avro "
                         "RPC (codecs none or deflate)")
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)
    workdir = tempfile.mkdtemp(prefix="flumen-fwdbench-")
    codecs = args.codecs.split(",")
    try:
        log_dir = os.path.join(workdir, "logs")
        os.mkdir(log_dir)
        log = os.path.join(log_dir, "drive.log")
        make_log(log, args.lines)
        size = os.path.getsize(log)
        certs = None
        if args.tls:
            certs = os.path.join(workdir, "certs")
            subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                         "tests", "tools", "make_test_certs.sh"), certs],
                           check=True)
        singles, hops = [], {c: [] for c in codecs}
        tls_hops = {c: [] for c in codecs}
        for i in range(args.runs):
            singles.append(run_single(flumen, workdir, log_dir, args.lines, args.batch))
            print("  run %d single agent: %.2f s" % (i + 1, singles[-1][0]), file=sys.stderr)
            for c in codecs:
                hops[c].append(run_hop(flumen, workdir, log_dir, args.lines, args.batch, c,
                                       protocol=args.protocol))
                print("  run %d forward %s: %.2f s" % (i + 1, c, hops[c][-1][0]), file=sys.stderr)
                if certs:
                    tls_hops[c].append(run_hop(flumen, workdir, log_dir, args.lines, args.batch,
                                               c, certs))
                    print("  run %d forward %s TLS: %.2f s" % (i + 1, c, tls_hops[c][-1][0]),
                          file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def med(rows, k):
        return statistics.median(r[k] for r in rows)

    print()
    print("TAILDIR -> memory -> forward -> memory -> file_roll, %d lines, %.0f MB, batch-size %d "
          "(median of %d runs, agent start-up included)" % (args.lines, size / 1e6, args.batch,
                                                            args.runs))
    print("%-22s %7s %11s %7s %11s %11s %10s %7s" % (
        "", "seconds", "lines/s", "MB/s", "edge CPU/RSS", "agg CPU/RSS", "wire MB", "ratio"))
    s = med(singles, 0)
    print("%-22s %7.2f %11.0f %7.0f %5.2fs/%4.0fMB %11s %10s %7s" % (
        "one agent (baseline)", s, args.lines / s, size / s / 1e6, med(singles, 1),
        med(singles, 2) / 2**20, "", "", "1.00"))
    for c in codecs:
        t = med(hops[c], 0)
        wire, raw = med(hops[c], 5), med(hops[c], 6)
        print("%-22s %7.2f %11.0f %7.0f %5.2fs/%4.0fMB %5.2fs/%4.0fMB %10.0f %7.2f" % (
            "forward " + c, t, args.lines / t, size / t / 1e6, med(hops[c], 1),
            med(hops[c], 2) / 2**20, med(hops[c], 3), med(hops[c], 4) / 2**20, wire / 1e6,
            s / t))
        if raw:
            print("%-22s wire bytes / event bytes: %.3f" % ("", wire / raw))
        if certs:
            tt = med(tls_hops[c], 0)
            print("%-22s %7.2f %11.0f %7.0f %5.2fs/%4.0fMB %5.2fs/%4.0fMB %10s %7.2f" % (
                "forward " + c + " TLS", tt, args.lines / tt, size / tt / 1e6,
                med(tls_hops[c], 1), med(tls_hops[c], 2) / 2**20, med(tls_hops[c], 3),
                med(tls_hops[c], 4) / 2**20, "", s / tt))
            print("%-22s TLS / plain hop, same run: %.2f x the time, %.2f x the edge CPU, "
                  "%.2f x the aggregator CPU" % ("", tt / t, med(tls_hops[c], 1) / med(hops[c], 1),
                                                 med(tls_hops[c], 3) / med(hops[c], 3)))


if __name__ == "__main__":
    main()
