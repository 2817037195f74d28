#!/usr/bin/env python3
"""The smart-car demo (scripts/demo.sh): a fleet of simulated cars writes driving logs (tailed,
rotated by size) and daily status files (spooled) on three edge hosts; each edge agent forwards
to two aggregators with load balancing; the aggregators route status logs to daily files and
driving logs to the bundled broker. Everything runs on 127.0.0.1 from the confs in conf/, in a
work directory that is kept for you to look at (pass --clean to remove it)."""
import argparse
import datetime
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EDGES = 3


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            return json.load(r)
    except OSError:
        return {}


def counter(m, component, name):
    return int(m.get(component, {}).get(name, 0))


class Fleet:
    def __init__(self, flumen, work):
        self.flumen = flumen
        self.work = work
        self.procs = []

    def start(self, name, args, env=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        full = dict(os.environ)
        full.update(env or {})
        p = subprocess.Popen([self.flumen] + args, stdout=log, stderr=subprocess.STDOUT, env=full)
        self.procs.append((name, p))
        return p

    def agent(self, name, conf, agent_name, env):
        port = free_port()
        self.start(name, ["agent", "-f", os.path.join(ROOT, "conf", conf), "-n", agent_name,
                          "--metrics-port", str(port)], env)
        return port

    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def wait_port(port, what):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("demo: %s did not start" % what)


def broker_records(broker, topic):
    # End offsets of every partition: records in the topic.
    r = subprocess.run(["kcat", "-b", broker, "-L", "-t", topic], capture_output=True, text=True)
    partitions = r.stdout.count("partition ")
    total = 0
    for p in range(partitions):
        q = subprocess.run(["kcat", "-b", broker, "-Q", "-t", "%s:%d:-1" % (topic, p)],
                           capture_output=True, text=True)
        for word in q.stdout.split("offset")[1:]:
            total += int(word.split()[0])
    return total


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    # Ctrl-C or a TERM stops every process of the demo (the finally below), whoever sent it.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--flumen", default=os.path.join(ROOT, "build", "flumen"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--drivers", type=int, default=20, help="drivers per edge")
    ap.add_argument("--cars", type=int, default=10, help="cars in each edge's status day file")
    ap.add_argument("--clean", action="store_true", help="remove the work directory at the end")
    args = ap.parse_args()
    flumen = os.path.abspath(args.flumen)
    work = tempfile.mkdtemp(prefix="flumen-smartcar-")
    fleet = Fleet(flumen, work)
    broker = "127.0.0.1:%d" % free_port()
    print("demo: work directory %s (logs of every process are there)" % work)
    try:
        fleet.start("broker", ["broker", "--data-dir", os.path.join(work, "broker"), "--listen",
                               broker, "--conf", os.path.join(ROOT, "conf",
                                                              "smartcar-broker.properties")])
        wait_port(int(broker.split(":")[1]), "the broker")
        agg_ports, agg_metrics = [], []
        for i in (1, 2):
            port = free_port()
            agg_ports.append(port)
            agg_metrics.append(fleet.agent("agg%d" % i, "smartcar-aggregator.conf", "agg", {
                "AGG_NAME": "agg%d" % i, "AGG_DIR": os.path.join(work, "agg%d" % i),
                "AGG_PORT": str(port), "BROKER": broker}))
            wait_port(port, "aggregator %d" % i)
        edge_metrics, sims = [], []
        today = datetime.date.today().strftime("%Y%m%d")
        for e in range(1, EDGES + 1):
            d = os.path.join(work, "edge%d" % e)
            for sub in ("logs", "status"):
                os.makedirs(os.path.join(d, sub))
            edge_metrics.append(fleet.agent("edge%d" % e, "smartcar-edge.conf", "edge", {
                "EDGE_NAME": "edge%d" % e, "EDGE_DIR": d, "AGG1_PORT": str(agg_ports[0]),
                "AGG2_PORT": str(agg_ports[1])}))
            sims.append(fleet.start("sim-drive%d" % e, [
                "sim", "drive", "--drivers", str(args.drivers), "--seed", str(e), "--out",
                os.path.join(d, "logs", "SmartCarDriverInfo.log"), "--duration",
                "%ds" % args.seconds, "--speedup", "5", "--rotate", "rename",
                "--rotate-size", "20000000"]))
            sims.append(fleet.start("sim-status%d" % e, [
                "sim", "status", "--date", today, "--cars", str(args.cars), "--seed", str(e),
                "--out", os.path.join(d, "status")]))
        print("demo: broker %s, aggregators on :%d and :%d, %d edges, cars driving for %ds"
              % (broker, agg_ports[0], agg_ports[1], EDGES, args.seconds))

        last = {"t": time.time(), "read": 0, "broker": 0, "files": 0}

        def progress(final=False):
            em = [metrics(p) for p in edge_metrics]
            am = [metrics(p) for p in agg_metrics]
            read = sum(counter(m, "SOURCE.drive", "EventAcceptedCount") +
                       counter(m, "SOURCE.status", "EventAcceptedCount") for m in em)
            queued = sum(counter(m, "CHANNEL.buffer", "ChannelSize") for m in em)
            fill = max([float(m.get("CHANNEL.buffer", {}).get("ChannelFillPercentage", 0))
                        for m in em] + [0.0])
            to_broker = sum(counter(m, "SINK.broker", "EventDrainSuccessCount") for m in am)
            to_files = sum(counter(m, "SINK.days", "EventDrainSuccessCount") for m in am)
            now = time.time()
            dt = max(now - last["t"], 1e-3)
            rates = ((read - last["read"]) / dt, (to_broker - last["broker"]) / dt,
                     (to_files - last["files"]) / dt)
            last.update(t=now, read=read, broker=to_broker, files=to_files)
            line = ("edges: %9d read (%7.0f/s), buffered %7d (fill %4.1f%%) | aggregators: "
                    "%9d to the broker (%7.0f/s), %8d to daily files (%7.0f/s)" %
                    (read, rates[0], queued, fill, to_broker, rates[1], to_files, rates[2]))
            end = "\n" if final or not sys.stdout.isatty() else ""
            print(("\r" if sys.stdout.isatty() else "") + line, end=end, flush=True)
            return read, queued, to_broker, to_files
        while any(p.poll() is None for p in sims):
            progress()
            time.sleep(1)
        for p in sims:
            if p.returncode != 0:
                sys.exit("\ndemo: a simulator failed; see its log in %s" % work)
        # Everything written must arrive: wait for the pipelines to drain.
        drive_lines = sum(sum(1 for _ in open(f, "rb"))
                          for f in glob.glob(os.path.join(work, "edge*", "logs", "*")))
        status_lines = sum(sum(1 for _ in open(f, "rb"))
                           for f in glob.glob(os.path.join(work, "edge*", "status", "*")))
        deadline = time.time() + 120
        while time.time() < deadline:
            read, queued, to_broker, to_files = progress()
            if to_broker >= drive_lines and to_files >= status_lines:
                break
            time.sleep(1)
        progress(final=True)
        records = broker_records(broker, "driving")
        day_files = glob.glob(os.path.join(work, "agg*", "status", "*", "*"))
        in_files = sum(sum(1 for _ in open(f, "rb")) for f in day_files)
        print("demo: %d driving lines written -> %d records in topic 'driving'" %
              (drive_lines, records))
        print("demo: %d status lines written -> %d lines in %d daily file(s) under agg*/status/"
              % (status_lines, in_files, len(day_files)))
        print("demo: read them: kcat -b %s -C -t driving -o beginning -e | head" % broker)
        ok = records >= drive_lines and in_files >= status_lines
        print("demo: %s" % ("every line arrived" if ok else "LINES MISSING: see the logs"))
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("\ndemo: interrupted; stopping everything", flush=True)
        return 130
    finally:
        fleet.stop()
        if args.clean:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
