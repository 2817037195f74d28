#!/usr/bin/env python3
"""Apache Flume 1.11.0 next to flumen, same machine, same file, same conf, same run.

A 5,000,000-line log file (smart-car driving lines, ~110 bytes; ~550 MB) is tailed from its head
by TAILDIR through a memory channel, one agent at a time, each pipeline in turn:
  defaults   TAILDIR -> memory -> null with every batch and capacity at Flume's defaults (100);
             Flume with its launcher's JVM options (bin/flume-ng: -Xmx20m)
  tuned      batchSize 1000, capacity 100000, transactionCapacity 1000; Flume with the heap its
             conf/flume-env.sh.template recommends (-Xms100m -Xmx2000m)
  tuned-file the tuned pipeline into file_roll instead of null: every line written is compared
             with the input, in order (nothing lost, nothing twice); flumen's file_roll fsyncs
             each batch before it commits (its default), Flume's only flushes
  file-nosync the same with flumen's sink.fsync = false (a key Flume does not read), so both
             leave the writing to the page cache
  file-channel tuned, through a file channel (capacity 1,000,000; both sync each commit, Flume's
             fsyncPerTransaction and flumen's default) into file_roll, every line compared
For each: wall seconds from process start until the channel has handed every line to the sink
(start-up included), the start-up alone (until the source has started), lines/s overall and
after the start, CPU seconds (user+sys of
the agent process) and its peak RSS (VmHWM). The null-sink runs are checked by count (the
channel's EventTakeSuccessCount and the source's EventAcceptedCount must equal the file's lines).
Flume runs from Maven Central's jars (tests/integration/flume_peer.py fetches them on first use).

  hop-defaults, hop-tuned  two agents: TAILDIR -> file channel -> avro sink -> a second agent's
             avro source -> memory -> file_roll, every line compared; at Flume's defaults and
             tuned (batch 1000). Flume to Flume is Avro RPC, flumen to flumen the forward
             protocol. Wall from the edge's start; CPU and peak RSS of both processes added.
Usage: bench/flume_vs_flumen.py [--flumen build/flumen] [--lines 5000000] [--runs 1]
                                [--pipelines defaults,tuned,tuned-file,file-nosync]
                                (add file-channel, hop-defaults, hop-tuned to the list: each
                                takes Flume several minutes for 5,000,000 lines)
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
from flume_peer import FlumeAgent, flume_classpath, free_port  # noqa: E402
from taildir_throughput import make_log  # noqa: E402
from agent_throughput import proc_stats  # noqa: E402

FLUME_DEFAULT_JVM = ["-Xmx20m"]                 # bin/flume-ng
FLUME_TUNED_JVM = ["-Xms100m", "-Xmx2000m"]     # conf/flume-env.sh.template

PIPELINES = {
    "defaults": dict(batch=None, sink="null", jvm=FLUME_DEFAULT_JVM),
    "tuned": dict(batch=1000, sink="null", jvm=FLUME_TUNED_JVM),
    "tuned-file": dict(batch=1000, sink="file_roll", jvm=FLUME_TUNED_JVM),
    "file-nosync": dict(batch=1000, sink="file_roll", jvm=FLUME_TUNED_JVM, nosync=True),
    "file-channel": dict(batch=1000, sink="file_roll", jvm=FLUME_TUNED_JVM, channel="file"),
    # Two agents: TAILDIR -> file channel -> avro -> a second agent (avro -> memory -> file_roll).
    # Flume to Flume speaks Avro RPC; flumen to flumen its forward protocol (the avro type).
    "hop-defaults": dict(batch=None, sink="file_roll", jvm=FLUME_DEFAULT_JVM, hop=True),
    "hop-tuned": dict(batch=1000, sink="file_roll", jvm=FLUME_TUNED_JVM, hop=True),
}


def hop_confs(log_dir, pos, out, batch, channel_dir, port):
    """The edge (TAILDIR -> file channel -> avro sink) and the collector (avro source -> memory
    -> file_roll) of the two-agent pipelines."""
    edge = [
        "edge.sources = tail", "edge.channels = ch", "edge.sinks = out",
        "edge.sources.tail.type = TAILDIR", "edge.sources.tail.filegroups = g",
        "edge.sources.tail.filegroups.g = %s/drive\\.log" % log_dir,
        "edge.sources.tail.positionFile = %s" % pos, "edge.sources.tail.channels = ch",
        "edge.channels.ch.type = file",
        "edge.channels.ch.checkpointDir = %s/checkpoint" % channel_dir,
        "edge.channels.ch.dataDirs = %s/data" % channel_dir,
        "edge.sinks.out.type = avro", "edge.sinks.out.channel = ch",
        "edge.sinks.out.hostname = 127.0.0.1", "edge.sinks.out.port = %d" % port,
    ]
    collector = [
        "collector.sources = in", "collector.channels = ch", "collector.sinks = out",
        "collector.sources.in.type = avro", "collector.sources.in.bind = 127.0.0.1",
        "collector.sources.in.port = %d" % port, "collector.sources.in.channels = ch",
        "collector.channels.ch.type = memory",
        "collector.sinks.out.type = file_roll", "collector.sinks.out.channel = ch",
        "collector.sinks.out.sink.directory = %s" % out,
        "collector.sinks.out.sink.rollInterval = 0",
    ]
    if batch:
        edge += ["edge.sources.tail.batchSize = %d" % batch,
                 "edge.channels.ch.capacity = 1000000",
                 "edge.channels.ch.transactionCapacity = %d" % batch,
                 "edge.sinks.out.batch-size = %d" % batch]
        collector += ["collector.channels.ch.capacity = 100000",
                      "collector.channels.ch.transactionCapacity = %d" % batch,
                      "collector.sinks.out.sink.batchSize = %d" % batch]
    return "\n".join(edge) + "\n", "\n".join(collector) + "\n"


def conf_text(agent, log_dir, pos, out, batch, sink, nosync=False, channel="memory",
              channel_dir=None):
    lines = [
        "%s.sources = tail" % agent, "%s.channels = ch" % agent, "%s.sinks = out" % agent,
        "%s.sources.tail.type = TAILDIR" % agent,
        "%s.sources.tail.filegroups = g" % agent,
        "%s.sources.tail.filegroups.g = %s/drive\\.log" % (agent, log_dir),
        "%s.sources.tail.positionFile = %s" % (agent, pos),
        "%s.sources.tail.channels = ch" % agent,
        "%s.channels.ch.type = %s" % (agent, channel),
        "%s.sinks.out.type = %s" % (agent, sink),
        "%s.sinks.out.channel = ch" % agent,
    ]
    if batch:
        lines += ["%s.sources.tail.batchSize = %d" % (agent, batch),
                  "%s.channels.ch.capacity = %d" % (agent, 100000 if channel == "memory" else 1000000),
                  "%s.channels.ch.transactionCapacity = %d" % (agent, batch),
                  "%s.sinks.out.batchSize = %d" % (agent, batch)]
    if channel == "file":
        lines += ["%s.channels.ch.checkpointDir = %s/checkpoint" % (agent, channel_dir),
                  "%s.channels.ch.dataDirs = %s/data" % (agent, channel_dir)]
    if sink == "file_roll":
        lines += ["%s.sinks.out.sink.directory = %s" % (agent, out),
                  "%s.sinks.out.sink.rollInterval = 0" % agent]
        if batch:
            # file_roll's key is sink.batchSize; batchSize above is ignored by it (in both).
            lines.append("%s.sinks.out.sink.batchSize = %d" % (agent, batch))
        if nosync:
            # flumen's own key (Flume never reads it): flumen's file_roll fsyncs every batch
            # before its commit by default, Flume's only flushes to the page cache.
            lines.append("%s.sinks.out.sink.fsync = false" % agent)
    return "\n".join(lines) + "\n"


def http_json(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return json.load(r)


class Flumen:
    """A flumen agent process (the bench's own, not the tests' harness: no readiness wait)."""

    def __init__(self, binary, workdir, conf, name):
        self.port = free_port()
        path = os.path.join(workdir, "flumen-%s.conf" % name)
        with open(path, "w") as f:
            f.write(conf)
        self.log = open(os.path.join(workdir, "flumen-%s.log" % name), "w")
        self.proc = subprocess.Popen([binary, "agent", "-f", path, "-n", name, "--metrics-port",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def counters(self):
        return http_json(self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=120)
        self.log.close()


def source_started(agent, source="SOURCE.tail"):
    """The source has started: Flume logs it (its monitoring answers only after all sources
    started); flumen's metrics carry a StartTime."""
    if isinstance(agent, FlumeAgent):
        return ("Component type: SOURCE, name: %s started" % source.split(".", 1)[1]
                in agent.log_text())
    try:
        return agent.counters()[source].get("StartTime", "0") != "0"
    except (OSError, ValueError, KeyError):
        return False


def wait_done(agent, lines, timeout, source="SOURCE.tail"):
    """Polls the agent until the channel has handed every line to the sink.
    Returns (seconds until the source started, seconds until done, the final counters)."""
    t0 = time.time()
    started = None
    deadline = t0 + timeout
    last_taken, last_progress, stall_s = -1, t0, 90
    while time.time() < deadline:
        if agent.proc.poll() is not None:
            raise RuntimeError("agent exited with %s" % agent.proc.returncode)
        if started is None and source_started(agent, source):
            started = time.time() - t0
        try:
            c = agent.counters()
        except (OSError, ValueError):
            time.sleep(0.02)
            continue
        taken = int(c.get("CHANNEL.ch", {}).get("EventTakeSuccessCount", 0))
        if taken >= lines:
            done = time.time() - t0
            return (started if started is not None else done), done, c
        if taken != last_taken:
            last_taken, last_progress = taken, time.time()
        elif time.time() - last_progress > stall_s:
            raise Stalled("no progress for %d s at %d of %d lines" % (stall_s, taken, lines))
        time.sleep(0.05)
    raise RuntimeError("not done after %.0f s: %s" % (timeout, agent.counters()))


class Stalled(RuntimeError):
    """A pipeline that stopped moving (Flume at -Xmx20m runs out of heap, for one)."""


def check_output(out_dir, log_path):
    """Every line of the input, once, in order, in the file_roll output."""
    files = sorted(os.listdir(out_dir))
    with open(log_path, "rb") as want:
        got_lines = 0
        for name in files:
            with open(os.path.join(out_dir, name), "rb") as got:
                for line in got:
                    expected = want.readline()
                    got_lines += 1
                    if line != expected:
                        return "line %d differs: %r != %r" % (got_lines, line[:60], expected[:60])
        rest = want.readline()
        if rest:
            return "output ends after %d lines; next input line %r" % (got_lines, rest[:60])
    return None


def start_agent(kind, binary, workdir, tag, conf, name, jvm):
    if kind == "flume":
        run_dir = os.path.join(workdir, tag + "-" + name)
        os.makedirs(run_dir)
        agent = FlumeAgent(run_dir, conf, name, monitoring_port=True, jvm_opts=jvm)
        agent.start()
        return agent
    return Flumen(binary, workdir, conf, name)


def wait_listening(port, agent, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if agent.proc.poll() is not None:
            raise RuntimeError("collector exited with %s" % agent.proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the collector does not listen on %d" % port)


def run_hop(kind, binary, workdir, log_dir, log_path, lines, pipeline):
    p = PIPELINES[pipeline]
    tag = "%s-%s-%d" % (kind, pipeline, time.time_ns())
    out = os.path.join(workdir, tag + ".out")
    os.makedirs(out)
    port = free_port()
    edge_conf, collector_conf = hop_confs(log_dir, os.path.join(workdir, tag + ".pos.json"), out,
                                          p["batch"], os.path.join(workdir, tag + ".channel"),
                                          port)
    collector = start_agent(kind, binary, workdir, tag, collector_conf, "collector", p["jvm"])
    edge = None
    try:
        wait_listening(port, collector)
        t0 = time.time()
        edge = start_agent(kind, binary, workdir, tag, edge_conf, "edge", p["jvm"])
        try:
            startup, secs, counters = wait_done(collector, lines, 3600, source="SOURCE.in")
        except Stalled as e:
            logs = "".join(a.log_text() for a in (collector, edge) if isinstance(a, FlumeAgent))
            why = " (OutOfMemoryError in the log)" if "OutOfMemoryError" in logs else ""
            cpu_e, hwm_e, _ = proc_stats(edge.pid)
            cpu_c, hwm_c, _ = proc_stats(collector.pid)
            return dict(secs=float("nan"), startup=float("nan"), cpu=cpu_e + cpu_c,
                        rss=hwm_e + hwm_c, problem="stalled: %s%s" % (e, why))
        secs = time.time() - t0  # from the edge's start
        cpu_e, hwm_e, _ = proc_stats(edge.pid)
        cpu_c, hwm_c, _ = proc_stats(collector.pid)
        accepted = int(edge.counters()["SOURCE.tail"]["EventAcceptedCount"])
    finally:
        if edge:
            edge.stop()
        collector.stop()
    problem = None
    if accepted != lines:
        problem = "the edge's source accepted %d of %d" % (accepted, lines)
    if problem is None:
        problem = check_output(out, log_path)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(os.path.join(workdir, tag + ".channel"), ignore_errors=True)
    # Both processes: CPU seconds added, peak RSS added (both are resident at once); each
    # process's own figures go in the run's line.
    detail = "edge %.2f s CPU %.1f MB, collector %.2f s CPU %.1f MB" % (
        cpu_e, hwm_e / 2**20, cpu_c, hwm_c / 2**20)
    return dict(secs=secs, startup=startup, cpu=cpu_e + cpu_c, rss=hwm_e + hwm_c,
                problem=problem, detail=detail)


def run_one(kind, binary, workdir, log_dir, log_path, lines, pipeline):
    p = PIPELINES[pipeline]
    if p.get("hop"):
        return run_hop(kind, binary, workdir, log_dir, log_path, lines, pipeline)
    tag = "%s-%s-%d" % (kind, pipeline, time.time_ns())
    pos = os.path.join(workdir, tag + ".pos.json")
    out = os.path.join(workdir, tag + ".out")
    os.makedirs(out)
    name = "bench"
    conf = conf_text(name, log_dir, pos, out, p["batch"], p["sink"], p.get("nosync", False),
                     p.get("channel", "memory"), os.path.join(workdir, tag + ".channel"))
    if kind == "flume":
        run_dir = os.path.join(workdir, tag)
        os.makedirs(run_dir)
        agent = FlumeAgent(run_dir, conf, name, monitoring_port=True, jvm_opts=p["jvm"])
        agent.start()
    else:
        agent = Flumen(binary, workdir, conf, name)
    try:
        startup, secs, counters = wait_done(agent, lines, 1800)
        cpu, hwm, _ = proc_stats(agent.pid)
    finally:
        agent.stop()
    accepted = int(counters["SOURCE.tail"]["EventAcceptedCount"])
    taken = int(counters["CHANNEL.ch"]["EventTakeSuccessCount"])
    problem = None
    if accepted != lines or taken != lines:
        problem = "source accepted %d, channel handed out %d, file has %d" % (accepted, taken,
                                                                             lines)
    if p["sink"] == "file_roll" and problem is None:
        problem = check_output(out, log_path)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(os.path.join(workdir, tag + ".channel"), ignore_errors=True)
    return dict(secs=secs, startup=startup, cpu=cpu, rss=hwm, problem=problem)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(HERE, "..", "build", "flumen"))
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=1)
    # file-channel is left out by default: Flume's file channel takes about 10 minutes for
    # 5,000,000 lines on 2 cores (~10,000 lines/s).
    ap.add_argument("--pipelines", default="defaults,tuned,tuned-file,file-nosync")
    args = ap.parse_args()
    binary = os.path.abspath(args.flumen)
    pipelines = args.pipelines.split(",")
    flume_classpath()
    java = subprocess.run(["java", "-version"], capture_output=True,
                          text=True).stderr.split("\n")[0]
    workdir = tempfile.mkdtemp(prefix="flume-vs-flumen-")
    results = {}
    try:
        log_dir = os.path.join(workdir, "logs")
        os.mkdir(log_dir)
        log_path = os.path.join(log_dir, "drive.log")
        make_log(log_path, args.lines)
        size = os.path.getsize(log_path)
        subprocess.run(["cat", log_path], stdout=subprocess.DEVNULL, check=True)  # page cache
        for pipeline in pipelines:
            for kind in ("flume", "flumen"):
                runs = []
                for i in range(args.runs):
                    r = run_one(kind, binary, workdir, log_dir, log_path, args.lines, pipeline)
                    print("  %-10s %-6s run %d: %.2f s%s%s" % (
                        pipeline, kind, i + 1, r["secs"],
                        " (%s)" % r["detail"] if r.get("detail") else "",
                        "  PROBLEM: " + r["problem"] if r["problem"] else ""), file=sys.stderr)
                    runs.append(r)
                results[(pipeline, kind)] = runs
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("TAILDIR -> channel -> sink, %d lines, %.0f MB, from the page cache; median of %d run(s);"
          " %s; %d CPUs" % (args.lines, size / 1e6, args.runs, java, os.cpu_count()))
    print("%-12s %-7s %8s %9s %12s %14s %8s %10s  %s" % (
        "pipeline", "agent", "wall s", "start s", "lines/s", "after start", "CPU s", "peak RSS",
        "lines"))
    for pipeline in pipelines:
        row = {}
        for kind in ("flume", "flumen"):
            runs = results[(pipeline, kind)]
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ("secs", "startup", "cpu", "rss")}
            bad = [r["problem"] for r in runs if r["problem"]]
            row[kind] = med
            print("%-12s %-7s %8.2f %9.2f %12.0f %14.0f %8.2f %8.1fMB  %s" % (
                pipeline, kind, med["secs"], med["startup"], args.lines / med["secs"],
                args.lines / max(med["secs"] - med["startup"], 1e-3), med["cpu"],
                med["rss"] / 2**20, "; ".join(bad) if bad else "all checked"))
        f, n = row["flume"], row["flumen"]
        print("%-12s %-7s %7.1fx %9s %11.1fx %13.1fx %7.1fx %9.1fx" % (
            "", "ratio", f["secs"] / n["secs"], "", f["secs"] / n["secs"],
            (f["secs"] - f["startup"]) / max(n["secs"] - n["startup"], 1e-3),
            f["cpu"] / max(n["cpu"], 1e-3), f["rss"] / max(n["rss"], 1)))
    print("(wall and lines/s include start-up; 'after start' counts from the source's start. "
          "ratio = Flume / flumen: time, throughput, CPU seconds, peak RSS)")


if __name__ == "__main__":
    main()
