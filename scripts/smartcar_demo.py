#!/usr/bin/env python3
"""The smart-car demo (scripts/demo.sh): a fleet of simulated cars writes driving logs (tailed,
rotated by size) and daily status files (spooled) on three edge hosts; each edge agent forwards
to two aggregators with load balancing; the aggregators route status logs to daily files and
driving logs to the bundled broker. Everything runs on 127.0.0.1 from the confs in conf/, in a
work directory that is kept for you to look at (pass --clean to remove it)."""
import argparse
import collections
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


class Totals:
    """Counters summed over agents that may be killed and restarted: a restarted agent counts
    from 0 again and a dead one answers nothing, so each agent's last value is kept as a base."""

    def __init__(self):
        self.last, self.base = {}, {}

    def __call__(self, port, m, component, name):
        key = (port, component, name)
        if not m:  # not answering (killed): what it had counted still counts
            return self.base.get(key, 0) + self.last.get(key, 0)
        v = counter(m, component, name)
        if v < self.last.get(key, 0):  # restarted
            self.base[key] = self.base.get(key, 0) + self.last[key]
        self.last[key] = v
        return self.base.get(key, 0) + v


class Fleet:
    def __init__(self, flumen, work):
        self.flumen = flumen
        self.work = work
        self.procs = []

    def start(self, name, args, env=None):
        log = open(os.path.join(self.work, name + ".log"), "a")
        full = dict(os.environ)
        full.update(env or {})
        p = subprocess.Popen([self.flumen] + args, stdout=log, stderr=subprocess.STDOUT, env=full)
        self.procs.append((name, p))
        self.how = getattr(self, "how", {})
        self.how[name] = (args, env)
        return p

    def kill(self, name):
        for n, p in self.procs:
            if n == name and p.poll() is None:
                p.kill()
                p.wait()

    def restart(self, name):
        args, env = self.how[name]
        return self.start(name, args, env)

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


def topic_values(broker, topic):
    """Every record value in the topic, read from the beginning (kcat, a real Kafka client)."""
    r = subprocess.run(["kcat", "-b", broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                        "-f", "%s\\n"], capture_output=True, timeout=300)
    return r.stdout.decode("utf-8", "replace").splitlines()


def file_lines(pattern):
    out = []
    for f in glob.glob(pattern):
        with open(f, "rb") as fh:
            out.extend(fh.read().decode("utf-8", "replace").splitlines())
    return out


def compare(written, arrived):
    """(lost, duplicated) between two lists of lines, by content."""
    w, a = collections.Counter(written), collections.Counter(arrived)
    lost = sum(n - a[k] for k, n in w.items() if n > a[k])
    dups = sum(n - w[k] for k, n in a.items() if n > w[k])
    return lost, dups


def write_chart(path, samples):
    """A small SVG of lines/s over time (read at the edges, delivered to the broker)."""
    if len(samples) < 2:
        return
    width, height, pad = 640, 240, 40
    t0, t1 = samples[0][0], samples[-1][0]
    top = max(max(r, b) for _, r, b in samples) or 1
    def xy(t, v):
        return (pad + (t - t0) / max(t1 - t0, 1e-3) * (width - 2 * pad),
                height - pad - v / top * (height - 2 * pad))
    def line(i, colour):
        pts = " ".join("%.1f,%.1f" % xy(s[0], s[i]) for s in samples)
        return '<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colour, pts)
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-family="sans-serif" font-size="13">lines/s: read at the '
           'edges (blue), into the broker (orange); peak %d/s over %.0f s</text>'
           % (pad, top, t1 - t0),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
           % (pad, height - pad, width - pad, height - pad),
           line(1, "#1f77b4"), line(2, "#ff7f0e"), "</svg>"]
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


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
    ap.add_argument("--rotate-size", type=int, default=256 * 1024,
                    help="bytes at which each driving log is rotated (renamed)")
    ap.add_argument("--no-kill", action="store_true",
                    help="do not kill aggregator 2 midway (kill -9, restarted later)")
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
                "--rotate-size", str(args.rotate_size)]))
            sims.append(fleet.start("sim-status%d" % e, [
                "sim", "status", "--date", today, "--cars", str(args.cars), "--seed", str(e),
                "--out", os.path.join(d, "status")]))
        print("demo: broker %s, aggregators on :%d and :%d, %d edges, cars driving for %ds"
              % (broker, agg_ports[0], agg_ports[1], EDGES, args.seconds))
        print("demo: watch it live: open http://127.0.0.1:%d/ (edge1's pipeline page), or in "
              "another terminal:" % edge_metrics[0])
        print("demo:   %s top %s" % (flumen, " ".join(
            "--agent 127.0.0.1:%d" % p for p in edge_metrics[:1] + agg_metrics)))

        last = {"t": time.time(), "read": 0, "broker": 0, "files": 0}
        totals = Totals()
        samples = []
        started = time.time()
        kill_at = None if args.no_kill else started + args.seconds * 0.4
        restart_at = None if args.no_kill else started + args.seconds * 0.6

        def progress(final=False):
            em = [metrics(p) for p in edge_metrics]
            am = [(p, metrics(p)) for p in agg_metrics]
            read = sum(counter(m, "SOURCE.drive", "EventAcceptedCount") +
                       counter(m, "SOURCE.status", "EventAcceptedCount") for m in em)
            queued = sum(counter(m, "CHANNEL.buffer", "ChannelSize") for m in em)
            fill = max([float(m.get("CHANNEL.buffer", {}).get("ChannelFillPercentage", 0))
                        for m in em] + [0.0])
            to_broker = sum(totals(p, m, "SINK.broker", "EventDrainSuccessCount") for p, m in am)
            to_files = sum(totals(p, m, "SINK.days", "EventDrainSuccessCount") for p, m in am)
            now = time.time()
            dt = max(now - last["t"], 1e-3)
            rates = ((read - last["read"]) / dt, (to_broker - last["broker"]) / dt,
                     (to_files - last["files"]) / dt)
            last.update(t=now, read=read, broker=to_broker, files=to_files)
            samples.append((now, rates[0], rates[1]))
            rotations = sum(counter(m, "SOURCE.drive", "RotationCount") for m in em)
            # One line that fits 80 columns.
            line = ("read %8d %6.0f/s | queued %6d %3.0f%% | broker %8d | files %6d | rot %3d" %
                    (read, rates[0], queued, fill, to_broker, to_files, rotations))
            end = "\n" if final or not sys.stdout.isatty() else ""
            print(("\r" if sys.stdout.isatty() else "") + line, end=end, flush=True)
            return read, queued, to_broker, to_files

        def say(text):
            print(("\n" if sys.stdout.isatty() else "") + "demo: " + text, flush=True)
        while any(p.poll() is None for p in sims):
            progress()
            if kill_at and time.time() >= kill_at:
                kill_at = None
                fleet.kill("agg2")
                say("killed aggregator 2 (kill -9); the edges move its share to aggregator 1")
            if restart_at and time.time() >= restart_at and not kill_at:
                restart_at = None
                fleet.restart("agg2")
                say("restarted aggregator 2; what its file channels held goes on from there")
            time.sleep(1)
        if restart_at:  # a very short run: the kill happened, bring it back now
            fleet.restart("agg2")
        for p in sims:
            if p.returncode != 0:
                sys.exit("\ndemo: a simulator failed; see its log in %s" % work)
        # Everything written must arrive: wait for the pipelines to drain (the counters of a
        # restarted aggregator start again at 0, so the topic and files are what is checked).
        drive = file_lines(os.path.join(work, "edge*", "logs", "*"))
        status = file_lines(os.path.join(work, "edge*", "status", "*"))
        deadline = time.time() + 120
        while time.time() < deadline:
            read, queued, to_broker, to_files = progress()
            if queued == 0 and all(counter(metrics(p), "CHANNEL.drive", "ChannelSize") == 0 and
                                   counter(metrics(p), "CHANNEL.status", "ChannelSize") == 0
                                   for p in agg_metrics):
                break
            time.sleep(1)
        progress(final=True)
        values = topic_values(broker, "driving")
        day_files = glob.glob(os.path.join(work, "agg*", "status", "*", "*"))
        in_files = file_lines(os.path.join(work, "agg*", "status", "*", "*"))
        drive_lost, drive_dups = compare(drive, values)
        status_lost, status_dups = compare(status, in_files)
        rotated = len(glob.glob(os.path.join(work, "edge*", "logs", "*.log.*")))
        print("demo: %d driving lines written (%d rotated files) -> %d records in topic "
              "'driving': %d lost, %d duplicated" %
              (len(drive), rotated, len(values), drive_lost, drive_dups))
        print("demo: %d status lines written -> %d lines in %d daily file(s) under agg*/status/: "
              "%d lost, %d duplicated" %
              (len(status), len(in_files), len(day_files), status_lost, status_dups))
        for v in values[:3]:
            print("demo: a record: %s" % v[:76])
        if not args.clean:
            chart = os.path.join(work, "throughput.svg")
            write_chart(chart, samples)
            print("demo: throughput over time: %s" % chart)
            print("demo: the topic stays in %s/broker: `%s broker --data-dir %s/broker --listen "
                  "127.0.0.1:9092`, then `kcat -b 127.0.0.1:9092 -C -t driving -e`" %
                  (work, flumen, work))
        lost = drive_lost + status_lost
        dups = drive_dups + status_dups
        if lost:
            print("demo: LINES MISSING: see the logs in %s" % work)
        elif dups:
            # The kafka sink is at-least-once across a kill -9 of its agent: a batch the broker
            # took just before the kill is sent again after the restart.
            print("demo: every line arrived; %d came twice after the kill -9 of an aggregator"
                  % dups)
        else:
            print("demo: every line arrived exactly once")
        return 1 if lost else 0
    except KeyboardInterrupt:
        print("\ndemo: interrupted; stopping everything", flush=True)
        return 130
    finally:
        fleet.stop()
        if args.clean:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
