#!/usr/bin/env python3
"""The whole smart-car topology under kill -9 (issue 19): every line at its destination once.

Runs the demo's topology from the shipped confs on 127.0.0.1 (free ports, a temporary work
directory): the bundled broker, two aggregators (conf/smartcar-aggregator.conf: forward source
-> file channels -> hdfs-style daily files and the kafka sink) and --edges edge agents
(conf/smartcar-edge.conf: TAILDIR + spooldir -> file channel -> forward sinks load balanced over
both aggregators). `flumen sim drive` writes each edge's driving log and rotates it by renaming;
`flumen sim status` drops a status day file into each edge's spool directory from time to time.
While they write, --kills processes chosen at random (edges and aggregators; the broker too with
--kill-broker) are killed with SIGKILL at random moments and restarted after a random pause.

Afterwards, once every channel is empty, every line written is looked for by content:
  driving lines  -> the kafka topic 'driving' (read with kcat, isolation.level=read_committed)
  status lines   -> the aggregators' daily files agg*/status/<yyyyMMdd>/*
and the lost, duplicated and foreign lines (at a destination, never written) are counted per
destination. Runs of consecutive lost or duplicated lines are listed with the file they came
from (anomalies.txt in the work directory, which is kept when something is wrong).

The shipped aggregator conf turns the kafka sink's exactlyOnce on, so duplicates in the topic
fail the run like those in the daily files; with --set agg.sinks.broker.exactlyOnce=false (the
sink's default, at least once) they are printed but not asserted. Losses always fail it. Exit status 0 when every asserted destination holds every line exactly once.

Usage: bench/topology_kill_loop.py [--flumen build/flumen] [--kills 20] [--kill-broker]
           [--seed N] [--edges 2] [--keep]
           [--set agg.sinks.broker.KEY=VALUE ...]
A short variant (--kills 4) is registered as an opt-in ctest label: configure with
-DFLUMEN_LONG_TESTS=ON, then `ctest -L long`.
"""
import argparse
import collections
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPIC = "driving"


# Ports drawn below the kernel's ephemeral range, as the integration tests draw them.
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from flumen_harness import free_port  # noqa: E402


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


def counter(m, component, name):
    return int((m or {}).get(component, {}).get(name, 0))


class Proc:
    """One process of the topology: the same command, ports and directories at every start."""

    def __init__(self, name, argv, env, work, metrics_port=None, listen_port=None):
        self.name, self.argv, self.env = name, argv, env
        self.metrics_port, self.listen_port = metrics_port, listen_port
        self.log_path = os.path.join(work, name + ".log")
        self.popen = None
        self.kills = 0
        self.starts = 0
        self.unexpected_exits = []  # exit codes of exits nobody asked for
        self.restart_at = None

    def start(self):
        env = dict(os.environ)
        env.update(self.env)
        with open(self.log_path, "a") as log:
            log.write("=== start %d at %.3f\n" % (self.starts + 1, time.time()))
            log.flush()
            self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                          env=env)
        self.starts += 1

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def check_exit(self):
        """Records an exit we did not cause (a crash, a refused start); True if it happened."""
        if self.popen is not None and self.popen.poll() is not None:
            self.unexpected_exits.append(self.popen.returncode)
            self.popen = None
            return True
        return False

    def kill9(self):
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        self.popen = None
        self.kills += 1

    def stop(self, timeout=60):
        if not self.alive():
            return None
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return "hung"

    def wait_ready(self, timeout=60):
        port = self.metrics_port or self.listen_port
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                raise SystemExit("%s exited at start; see %s" % (self.name, self.log_path))
            if self.metrics_port:
                m = metrics(port)
                parts = [v for k, v in (m or {}).items() if k.startswith(("SOURCE.", "SINK."))]
                if parts and all(v.get("StartTime", "0") != "0" for v in parts):
                    return
            else:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise SystemExit("%s did not start in %ds; see %s" % (self.name, timeout, self.log_path))


def conf_with(src, work, name, overrides):
    """The shipped conf, with KEY=VALUE overrides replacing or adding properties."""
    with open(src) as f:
        lines = f.read().splitlines()
    for item in overrides:
        key, value = item.split("=", 1)
        key = key.strip()
        hit = [i for i, l in enumerate(lines) if l.split("=", 1)[0].strip() == key]
        if hit:
            lines[hit[0]] = "%s = %s" % (key, value)
        else:
            lines.append("%s = %s" % (key, value))
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Topology:
    def __init__(self, flumen, work, edges, overrides, args):
        self.flumen, self.work = flumen, work
        self.broker_addr = "127.0.0.1:%d" % free_port()
        bport = int(self.broker_addr.split(":")[1])
        self.broker = Proc("broker", [flumen, "broker", "--data-dir", os.path.join(work, "broker"),
                                      "--listen", self.broker_addr, "--conf",
                                      os.path.join(ROOT, "conf", "smartcar-broker.properties")],
                           {}, work, listen_port=bport)
        agg_conf = conf_with(os.path.join(ROOT, "conf", "smartcar-aggregator.conf"), work,
                             "aggregator.conf", [o for o in overrides if o.startswith("agg.")])
        edge_conf = conf_with(os.path.join(ROOT, "conf", "smartcar-edge.conf"), work, "edge.conf",
                              [o for o in overrides if o.startswith("edge.")])
        self.aggs, self.edges, self.edge_dirs = [], [], []
        agg_ports = []
        for i in (1, 2):
            port, mport = free_port(), free_port()
            agg_ports.append(port)
            self.aggs.append(Proc("agg%d" % i, [flumen, "agent", "-f", agg_conf, "-n", "agg",
                                                "--metrics-port", str(mport)],
                                  {"AGG_NAME": "agg%d" % i,
                                   "AGG_DIR": os.path.join(work, "agg%d" % i),
                                   "AGG_PORT": str(port), "BROKER": self.broker_addr},
                                  work, metrics_port=mport))
        for e in range(1, edges + 1):
            d = os.path.join(work, "edge%d" % e)
            for sub in ("logs", "status"):
                os.makedirs(os.path.join(d, sub))
            self.edge_dirs.append(d)
            mport = free_port()
            self.edges.append(Proc("edge%d" % e, [flumen, "agent", "-f", edge_conf, "-n", "edge",
                                                  "--metrics-port", str(mport)],
                                   {"EDGE_NAME": "edge%d" % e, "EDGE_DIR": d,
                                    "AGG1_PORT": str(agg_ports[0]),
                                    "AGG2_PORT": str(agg_ports[1])}, work,
                                   metrics_port=mport))
        self.sims = []

    def agents(self):
        return self.aggs + self.edges

    def everything(self):
        return [self.broker] + self.agents()

    def start(self):
        self.broker.start()
        self.broker.wait_ready()
        for p in self.agents():
            p.start()
        for p in self.agents():
            p.wait_ready()

    def start_drive(self, args, seconds):
        for e, d in enumerate(self.edge_dirs, 1):
            log = open(os.path.join(self.work, "sim-drive%d.log" % e), "w")
            self.sims.append(subprocess.Popen(
                [self.flumen, "sim", "drive", "--drivers", str(args.drivers), "--seed", str(e),
                 "--out", os.path.join(d, "logs", "SmartCarDriverInfo.log"),
                 "--duration", "%.1fs" % seconds, "--speedup", str(args.speedup),
                 "--rotate", "rename", "--rotate-size", str(args.rotate_size)],
                stdout=log, stderr=subprocess.STDOUT))
            log.close()

    def drop_status_day(self, edge_index, day, cars):
        """One day file into an edge's spool directory (written aside, renamed in)."""
        date = "201601%02d" % (day + 1)
        log = open(os.path.join(self.work, "sim-status%d.log" % (edge_index + 1)), "a")
        self.sims.append(subprocess.Popen(
            [self.flumen, "sim", "status", "--date", date, "--cars", str(cars),
             "--seed", str(100 * (edge_index + 1) + day), "--out",
             os.path.join(self.edge_dirs[edge_index], "status")],
            stdout=log, stderr=subprocess.STDOUT))
        log.close()

    def sims_running(self):
        return any(p.poll() is None for p in self.sims)

    def stop_all(self):
        for s in self.sims:
            if s.poll() is None:
                s.kill()
                s.wait()
        codes = {}
        for p in self.edges + self.aggs:  # senders first, so nothing is in flight to a receiver
            codes[p.name] = p.stop()
        codes[self.broker.name] = self.broker.stop()
        return codes


def lines_of(paths):
    """(line, file, line number) of every line of the files."""
    out = []
    for path in sorted(paths):
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            for n, line in enumerate(f.read().decode("utf-8", "replace").splitlines()):
                out.append((line, path, n))
    return out


def compare(written, arrived):
    """(lost, duplicated, foreign) counts by content, and the lines lost and duplicated."""
    w = collections.Counter(l for l, _, _ in written)
    a = collections.Counter(arrived)
    lost = {k: n - a[k] for k, n in w.items() if n > a[k]}
    dups = {k: n - w[k] for k, n in a.items() if n > w[k] and k in w}
    foreign = {k: n for k, n in a.items() if k not in w}
    return lost, dups, foreign


def runs_of(written, chosen):
    """Runs of consecutive lines of one written file that are all in `chosen`."""
    runs, cur = [], None
    for line, path, n in written:
        if line in chosen:
            if cur and cur[0] == path and cur[2] == n - 1:
                cur[2] = n
            else:
                cur = [path, n, n]
                runs.append(cur)
        else:
            cur = None
    return runs


def topic_records(broker):
    """(partition, offset, value) of every committed record of the topic, read by kcat."""
    r = subprocess.run(["kcat", "-b", broker, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q",
                        "-X", "isolation.level=read_committed", "-f", "%p %o %s\\n"],
                       capture_output=True, timeout=600)
    out = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        p, o, v = line.split(" ", 2) if line.count(" ") >= 2 else (line, "", "")
        out.append((p, o, v))
    return out, r.returncode, r.stderr.decode("utf-8", "replace")[-500:]


def drained(topo):
    """Every agent answers and every channel is empty; the sum of what sources accepted."""
    accepted = 0
    for p in topo.agents():
        m = metrics(p.metrics_port)
        if m is None:
            return False, None
        for comp, values in m.items():
            if comp.startswith("CHANNEL.") and int(values.get("ChannelSize", 0)) != 0:
                return False, None
            if comp.startswith("SOURCE."):
                accepted += int(values.get("EventAcceptedCount", 0))
    for d in topo.edge_dirs:
        # A status file the spooldir source has not completed yet.
        pending = [f for f in os.listdir(os.path.join(d, "status"))
                   if not f.startswith(".") and not f.endswith(".COMPLETED")]
        if pending:
            return False, None
    return True, accepted


def grep_logs(work, needle):
    n = 0
    for path in glob.glob(os.path.join(work, "*.log")):
        with open(path, "rb") as f:
            n += f.read().decode("utf-8", "replace").count(needle)
    return n


def kill_loop(topo, args, rng, loop_seconds):
    """Kills `args.kills` processes at random moments within loop_seconds, each restarted after
    a random pause; status day files are dropped in along the way."""
    targets = topo.agents() + ([topo.broker] if args.kill_broker else [])
    start = time.time()
    kill_times = sorted(rng.uniform(1.0, loop_seconds - 1.0) for _ in range(args.kills))
    drops = sorted((loop_seconds * (k + 0.5) / args.status_days, e)
                   for e in range(len(topo.edges)) for k in range(args.status_days))
    day = collections.Counter()
    while kill_times or drops or any(p.restart_at for p in topo.everything()):
        now = time.time() - start
        if drops and now >= drops[0][0]:
            e = drops.pop(0)[1]
            topo.drop_status_day(e, day[e], args.cars)
            day[e] += 1
        for p in topo.everything():
            if p.restart_at is None and p.check_exit():
                print("  %6.1fs %s exited by itself (code %s); restarting it" %
                      (now, p.name, p.unexpected_exits[-1]), flush=True)
                p.restart_at = now + 0.5
            if p.restart_at is not None and now >= p.restart_at:
                p.restart_at = None
                p.start()
        if kill_times and now >= kill_times[0]:
            kill_times.pop(0)
            up = [p for p in targets if p.alive()]
            if up:
                p = rng.choice(up)
                p.kill9()
                pause = rng.uniform(args.min_down, args.max_down)
                p.restart_at = now + pause
                print("  %6.1fs kill -9 %s (restart in %.1fs)" % (now, p.name, pause), flush=True)
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flumen", default=os.path.join(ROOT, "build", "flumen"))
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--kill-broker", action="store_true", help="the broker is killed too")
    ap.add_argument("--seed", type=int, default=None, help="of the kill schedule")
    ap.add_argument("--edges", type=int, default=2)
    ap.add_argument("--drivers", type=int, default=20, help="drivers per edge")
    ap.add_argument("--speedup", type=float, default=5, help="x the book's 10 lines/s/driver")
    ap.add_argument("--rotate-size", type=int, default=128 * 1024)
    ap.add_argument("--cars", type=int, default=2, help="cars per status day file (21,601 "
                    "lines each)")
    ap.add_argument("--status-days", type=int, default=3, help="day files per edge")
    ap.add_argument("--seconds-per-kill", type=float, default=3.0,
                    help="the loop lasts kills x this (the writers write that long)")
    ap.add_argument("--min-down", type=float, default=0.1, help="seconds before a restart")
    ap.add_argument("--max-down", type=float, default=3.0)
    ap.add_argument("--drain-timeout", type=float, default=240)
    ap.add_argument("--set", action="append", default=[], metavar="agg.X=V|edge.X=V",
                    help="a conf property for the aggregators or edges")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if shutil.which("kcat") is None:
        sys.exit("topology_kill_loop: kcat is needed to read the topic")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    flumen = os.path.abspath(args.flumen)
    work = tempfile.mkdtemp(prefix="flumen-killloop-")
    t0 = time.time()
    failed = True
    topo = None

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        topo = Topology(flumen, work, args.edges, args.set, args)
        print("topology kill loop: seed %d, work %s" % (seed, work), flush=True)
        topo.start()
        loop_seconds = max(args.kills * args.seconds_per_kill, 6.0)
        topo.start_drive(args, loop_seconds)
        kill_loop(topo, args, rng, loop_seconds)
        killed_for = time.time() - t0
        while topo.sims_running():
            time.sleep(0.2)
        bad_sims = [s.args[2] for s in topo.sims if s.returncode != 0]
        if bad_sims:
            raise SystemExit("a simulator failed (%s); see %s" % (bad_sims, work))
        # Drained: every channel empty and every source's count unchanged for 5 s.
        deadline = time.time() + args.drain_timeout
        quiet_since, last = None, None
        while time.time() < deadline:
            for p in topo.everything():
                if p.check_exit():
                    print("  %s exited by itself (code %s) while draining; restarting it" %
                          (p.name, p.unexpected_exits[-1]), flush=True)
                    p.start()
            ok, accepted = drained(topo)
            if ok and accepted == last:
                if quiet_since is None:
                    quiet_since = time.time()
                elif time.time() - quiet_since >= 5:
                    break
            else:
                quiet_since = None
            last = accepted if ok else None
            time.sleep(0.5)
        else:
            print("topology kill loop: NOT DRAINED after %.0f s (channels not empty)"
                  % args.drain_timeout)
        drain_s = time.time() - t0 - killed_for
        codes = {}
        for p in topo.edges + topo.aggs:
            codes[p.name] = p.stop()
        records, kcat_rc, kcat_err = topic_records(topo.broker_addr)
        codes["broker"] = topo.broker.stop()
        wall = time.time() - t0

        drive_written = lines_of(glob.glob(os.path.join(work, "edge*", "logs", "*")))
        status_written = lines_of(glob.glob(os.path.join(work, "edge*", "status", "*")))
        day_files = glob.glob(os.path.join(work, "agg*", "status", "*", "*"))
        in_files = [l for l, _, _ in lines_of(day_files)]
        in_topic = [v for _, _, v in records]
        results = {}
        for dest, written, arrived in (("kafka topic '%s'" % TOPIC, drive_written, in_topic),
                                       ("hdfs daily files", status_written, in_files)):
            lost, dups, foreign = compare(written, arrived)
            results[dest] = (written, arrived, lost, dups, foreign)

        print("topology kill loop: %d edges, 2 aggregators, broker %s; %d kills over %.0f s, "
              "drained in %.0f s, wall %.0f s"
              % (args.edges, "killed too" if args.kill_broker else "not killed", args.kills,
                 killed_for, drain_s, wall))
        print("kills:  " + ", ".join("%s %d" % (p.name, p.kills) for p in topo.everything()))
        exits = {p.name: p.unexpected_exits for p in topo.everything() if p.unexpected_exits}
        print("unexpected exits: %s" % (exits or "none"))
        print("stop exit codes: %s" % ", ".join("%s %s" % kv for kv in codes.items()))
        rotated = len(glob.glob(os.path.join(work, "edge*", "logs", "*.log.*")))
        print("writers: %d driving lines (%d rotations), %d status lines (%d day files)"
              % (len(drive_written), rotated, len(status_written),
                 len(glob.glob(os.path.join(work, "edge*", "status", "*")))))
        print("recoveries (from the logs): %d daily files cut back, %d spool files resumed "
              "from the channel, %d takes in flight sent again with their numbers, %d with new "
              "numbers (the events at the head were not that take's)"
              % (grep_logs(work, "cut back from"), grep_logs(work, "committed in the channel"),
                 grep_logs(work, "sending again the"), grep_logs(work, "they go with new")))
        if kcat_rc != 0:
            print("kcat exit %d: %s" % (kcat_rc, kcat_err))
        ok = kcat_rc == 0
        anomalies = False
        kafka_exactly_once = not any(
            o.replace(" ", "") == "agg.sinks.broker.exactlyOnce=false" for o in args.set)
        with open(os.path.join(work, "anomalies.txt"), "w") as out:
            for dest, (written, arrived, lost, dups, foreign) in results.items():
                nl, nd, nf = sum(lost.values()), sum(dups.values()), sum(foreign.values())
                kafka = dest.startswith("kafka")
                asserted = not kafka or kafka_exactly_once
                note = ""
                if kafka and not kafka_exactly_once:
                    note = " (duplicates not asserted: at-least-once kafka sink)"
                print("%-22s %8d written, %8d arrived: %6d lost, %6d duplicated, %4d foreign%s"
                      % (dest + ":", len(written), len(arrived), nl, nd, nf, note))
                if nl or nf or (nd and asserted):
                    ok = False
                anomalies = anomalies or bool(nl or nf or nd)
                for what, chosen in (("lost", lost), ("duplicated", dups)):
                    runs = runs_of(written, chosen)
                    if runs:
                        sizes = collections.Counter(r[2] - r[1] + 1 for r in runs)
                        print("  %s in %d runs; run lengths (length x count): %s" % (
                            what, len(runs), ", ".join("%dx%d" % kv for kv in
                                                       sorted(sizes.items())[:12])))
                    for path, a, b in runs:
                        out.write("%s %s: %s lines %d-%d (%d)\n" % (
                            dest, what, os.path.relpath(path, work), a, b, b - a + 1))
                if kafka and dups:
                    # Where the copies are (partition and offset): one producer batch sent
                    # twice lies in one partition at two offset ranges.
                    where = collections.defaultdict(list)
                    for p, o, v in records:
                        if v in dups:
                            where[v].append("%s@%s" % (p, o))
                    for line, places in list(where.items())[:40]:
                        out.write("%s copies of %r: %s\n" % (dest, line[:60], " ".join(places)))
                for line, n in list(foreign.items())[:50]:
                    out.write("%s foreign x%d: %r\n" % (dest, n, line[:200]))
        failed = not ok or anomalies  # the work directory is kept to look at
        print("topology kill loop: %s" % ("every asserted destination holds every line exactly "
                                          "once" if ok else "FAILED; see %s" % work))
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("\ntopology kill loop: interrupted", flush=True)
        return 130
    finally:
        if topo is not None:
            topo.stop_all()
        if args.keep or failed:
            print("topology kill loop: work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
