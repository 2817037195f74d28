"""Exactly once across kill -9, with durable (file) channels and real agents on 127.0.0.1:
- the forward hop: an edge (TAILDIR -> file channel -> forward sink) killed again and again
  while a writer appends; its resends after each restart carry their old stream and numbers,
  so the aggregator puts nothing twice;
- file_roll: an agent (TAILDIR -> file channel -> file_roll) killed while events flow; the open
  file is cut back to its committed length at restart;
- the kafka source (bundled broker -> kafka source -> file channel): offsets committed with the
  events as channel markers, resumed from at start.
Every case counts every line by content at the end."""
import collections
import os
import random
import re
import threading
import time
import unittest

from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

EDGE = """
e1.sources = r1
e1.channels = c1
e1.sinks = {sinks}
e1.sources.r1.type = TAILDIR
e1.sources.r1.filegroups = g1
e1.sources.r1.filegroups.g1 = {logs}/app\\\\.log
e1.sources.r1.positionFile = {work}/edge-pos/taildir_position.json
e1.sources.r1.batchSize = 500
e1.sources.r1.channels = c1
e1.channels.c1.type = file
e1.channels.c1.dataDirs = {work}/edge-channel
e1.channels.c1.capacity = 1000000
e1.channels.c1.transactionCapacity = 5000
e1.channels.c1.minimumRequiredSpace = 1048576
"""

FORWARD_SINK = """
e1.sinks.{s}.type = avro
e1.sinks.{s}.channel = c1
e1.sinks.{s}.hostname = 127.0.0.1
e1.sinks.{s}.port = {port}
e1.sinks.{s}.batch-size = 5000
e1.sinks.{s}.request-timeout = 3000
e1.sinks.{s}.connect-timeout = 1000
"""

AGGREGATOR = """
{n}.sources = r1
{n}.channels = c1
{n}.sinks = k1
{n}.sources.r1.type = avro
{n}.sources.r1.bind = 127.0.0.1
{n}.sources.r1.port = {port}
{n}.sources.r1.channels = c1
{n}.channels.c1.type = file
{n}.channels.c1.dataDirs = {data}
{n}.channels.c1.capacity = 1000000
{n}.channels.c1.transactionCapacity = 500
{n}.channels.c1.minimumRequiredSpace = 1048576
{n}.sinks.k1.type = file_roll
{n}.sinks.k1.channel = c1
{n}.sinks.k1.sink.directory = {out}
{n}.sinks.k1.sink.rollInterval = 0
{n}.sinks.k1.sink.batchSize = 500
"""


def tally(lines, written):
    counts = collections.Counter(lines)
    lost = sum(1 for l in written if l not in counts)
    dups = sum(n - 1 for n in counts.values() if n > 1)
    strangers = sum(1 for l in counts if l not in written)
    return lost, dups, strangers


class Writer:
    """Appends numbered lines to one file at a steady pace until stopped."""

    def __init__(self, path, per_round=400, pause=0.01, tag="line"):
        self.path, self.per_round, self.pause, self.tag = path, per_round, pause, tag
        self.written = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with open(self.path, "a") as f:
            while not self.stop_event.is_set():
                lines = ["%s-%07d %s" % (self.tag, len(self.written) + i, "x" * 60)
                         for i in range(self.per_round)]
                f.write("".join(l + "\n" for l in lines))
                f.flush()
                self.written.extend(lines)
                time.sleep(self.pause)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()


class ForwardSenderKillTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.logs = self.path("logs")
        os.mkdir(self.logs)

    def edge_conf(self, sinks, extra=""):
        conf = EDGE.format(logs=self.logs, work=self.workdir, sinks=" ".join(sinks))
        for s, port in sinks.items():
            conf += FORWARD_SINK.format(s=s, port=port)
        return conf + extra

    def aggregator(self, name):
        port = free_port()
        out = self.path("out-" + name)
        os.makedirs(out)
        agent = self.start_agent(AGGREGATOR.format(n=name, port=port, out=out, data=self.path("chan-" + name)), name=name)
        return port, out, agent

    def kill_loop(self, conf, outs, kills, seed):
        """Kills the edge `kills` times at random moments while a writer appends, then lets a
        last edge deliver everything; returns (written, lost, duplicated, strangers)."""
        rng = random.Random(seed)
        with Writer(os.path.join(self.logs, "app.log")) as w:
            for _ in range(kills):
                edge = self.start_agent(conf, name="e1")
                time.sleep(rng.uniform(0.4, 1.2))
                edge.kill()
        edge = self.start_agent(conf, name="e1")
        written = set(w.written)

        def complete():
            got = set()
            for d in outs:
                got.update(read_lines(d))
            return written <= got
        wait_until(complete, 120, "every line at the aggregators")
        wait_until(lambda: edge.counter("CHANNEL.c1", "ChannelSize") == 0, 30, "the edge drained")
        time.sleep(0.5)
        self.assertEqual(edge.stop(), 0)
        lines = []
        for d in outs:
            lines.extend(read_lines(d))
        return (len(written),) + tally(lines, written)

    def test_edge_killed_8_times_its_resends_are_recognised(self):
        port, out, agg = self.aggregator("agg")
        n, lost, dups, strangers = self.kill_loop(self.edge_conf({"k1": port}), [out], 8, 19)
        print("edge kill -9 x8: %d lines, %d lost, %d duplicated (%.2f %%)" %
              (n, lost, dups, 100.0 * dups / max(n, 1)))
        self.assertEqual(agg.stop(), 0)
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")

    def test_edge_at_flume_defaults_killed_8_times(self):
        # Every batch key at Flume's default (100): the forward sink keeps a window of several
        # takes in flight, each recorded in the channel, and after a kill -9 sends every one of
        # them again with its numbers, in order.
        port, out, agg = self.aggregator("agg")
        conf = "\n".join(l for l in self.edge_conf({"k1": port}).splitlines()
                          if "batchSize" not in l and "batch-size" not in l and
                          "apacity" not in l) + "\n"
        restarts = []
        real_start = self.start_agent

        def start_and_remember(*a, **kw):
            agent = real_start(*a, **kw)
            restarts.append(agent)
            return agent
        self.start_agent = start_and_remember
        try:
            n, lost, dups, strangers = self.kill_loop(conf, [out], 8, 29)
        finally:
            self.start_agent = real_start
        # How many takes each restart found in flight (the log of start()).
        windows = [int(k) for a in restarts for k in
                   re.findall(r"\((\d+) takes of \d+ events were in flight", a.log_text())]
        print("edge at defaults kill -9 x8: %d lines, %d lost, %d duplicated; takes in flight "
              "at the restarts: %s" % (n, lost, dups, windows))
        self.assertEqual(agg.stop(), 0)
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")

    def test_edge_with_load_balancing_killed_6_times(self):
        # Two aggregators behind a load_balance group: after a restart the sink that sent a
        # batch before the kill gets it again, so the same aggregator sees it and recognises it.
        p2, o2, a2 = self.aggregator("a2")
        p3, o3, a3 = self.aggregator("a3")
        conf = self.edge_conf({"k1": p2, "k2": p3}, extra="""
e1.sinkgroups = g1
e1.sinkgroups.g1.sinks = k1 k2
e1.sinkgroups.g1.processor.type = load_balance
e1.sinkgroups.g1.processor.selector = round_robin
""")
        n, lost, dups, strangers = self.kill_loop(conf, [o2, o3], 6, 23)
        print("load-balanced edge kill -9 x6: %d lines, %d lost, %d duplicated" % (n, lost, dups))
        self.assertGreater(len(read_lines(o2)), 0)
        self.assertGreater(len(read_lines(o3)), 0)
        self.assertEqual(a2.stop(), 0)
        self.assertEqual(a3.stop(), 0)
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")


TAIL_TO_FILE_ROLL = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {logs}/app\\\\.log
a1.sources.r1.positionFile = {work}/pos/taildir_position.json
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {work}/channel
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 2000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 1
a1.sinks.k1.sink.batchSize = 2000
"""


class FileRollKillTest(AgentTestCase):
    def test_file_roll_agent_killed_10_times_every_line_once(self):
        # The take in flight at each kill was written to the open file (and synced) but not
        # committed: the restarted sink cuts that file back to its committed length before the
        # events are delivered again. Files roll every second, so some kills land on a file
        # whose first batch is not committed yet.
        logs, out = self.path("logs"), self.path("out")
        os.makedirs(logs)
        conf = TAIL_TO_FILE_ROLL.format(logs=logs, work=self.workdir, out=out)
        rng = random.Random(7)
        with Writer(os.path.join(logs, "app.log")) as w:
            for _ in range(10):
                agent = self.start_agent(conf)
                time.sleep(rng.uniform(0.3, 1.3))
                agent.kill()
        agent = self.start_agent(conf)
        written = set(w.written)
        wait_until(lambda: written <= set(read_lines(out)), 120, "every line in the files")
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0, 30, "drained")
        time.sleep(0.3)
        self.assertEqual(agent.stop(), 0)
        cut = sum(a.log_text().count("cut back from") for a in self.agents)
        lost, dups, strangers = tally(read_lines(out), written)
        print("file_roll kill -9 x10: %d lines, %d lost, %d duplicated, %d files cut back"
              % (len(written), lost, dups, cut))
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")
        # No torn line: every line is whole (a cut falls on a batch boundary).
        for line in read_lines(out):
            self.assertRegex(line, r"^line-\d{7} x{60}$")


KAFKA_READER = """
b1.sources = r1
b1.channels = c1
b1.sinks = {sinks}
b1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
b1.sources.r1.kafka.bootstrap.servers = 127.0.0.1:{port}
b1.sources.r1.kafka.topics = drive
b1.sources.r1.kafka.consumer.group.id = readers
b1.sources.r1.batchSize = 100
b1.sources.r1.batchDurationMillis = 100
b1.sources.r1.kafka.consumer.session.timeout.ms = 6000
b1.sources.r1.channels = c1
b1.channels.c1.type = file
b1.channels.c1.dataDirs = {work}/reader-channel
b1.channels.c1.capacity = 2000000
b1.channels.c1.minimumRequiredSpace = 1048576
b1.channels.c1.transactionCapacity = 2000
b1.sinks.k1.type = file_roll
b1.sinks.k1.channel = c1
b1.sinks.k1.sink.directory = {out}
b1.sinks.k1.sink.rollInterval = 0
b1.sinks.k1.sink.batchSize = 2000
"""


class KafkaSourceKillTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        from test_broker import Broker
        self.port = free_port()
        self.broker = Broker(self.workdir, self.path("broker"), self.port)

    def tearDown(self):
        if self.broker.proc.poll() is None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        super().tearDown()

    def test_kafka_source_killed_4_times_reads_every_record_once(self):
        import subprocess
        n = 400000
        records = ["rec-%07d %s" % (i, "y" * 40) for i in range(n)]
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port, "-P", "-t", "drive"],
                           input="".join(l + "\n" for l in records).encode(),
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.path("out")
        os.makedirs(out)
        # Without a sink the channel holds exactly what the source committed.
        no_sink = "\n".join(l for l in KAFKA_READER.format(
            sinks="", port=self.port, work=self.workdir, out=out).splitlines()
            if not l.startswith("b1.sinks.")) + "\n"
        rng = random.Random(5)
        accepted = 0
        for _ in range(4):
            reader = self.start_agent(no_sink, name="b1")
            # Killed while it reads: some time after its first batch of this run is in.
            wait_until(lambda: reader.counter("CHANNEL.c1", "ChannelSize") > accepted, 60,
                       "the reader to read")
            time.sleep(rng.uniform(0.05, 0.4))
            reader.kill()
            reader = None
            # What the channel holds now, read by an agent of another group and topic.
            check = self.start_agent(no_sink.replace("kafka.topics = drive",
                                                     "kafka.topics = nothing-here").replace(
                "group.id = readers", "group.id = check"), name="b1")
            accepted = check.counter("CHANNEL.c1", "ChannelSize")
            self.assertEqual(check.stop(), 0)
            self.assertLess(accepted, n, "killed before it read everything")
        reader = self.start_agent(KAFKA_READER.format(sinks="k1", port=self.port,
                                                      work=self.workdir, out=out), name="b1")
        wait_until(lambda: len(read_lines(out)) >= n, 120, "every record in the files")
        time.sleep(1)
        self.assertEqual(reader.stop(), 0)
        lost, dups, strangers = tally(read_lines(out), set(records))
        print("kafka source kill -9 x4: %d records, %d lost, %d read twice" % (n, lost, dups))
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")


class CheckGuaranteeTest(AgentTestCase):
    """`flumen check` says, per flow, what a kill -9 of the agent keeps."""

    def check(self, conf):
        path = self.path("check.conf")
        with open(path, "w") as f:
            f.write(conf)
        r = self.run_flumen("check", "-f", path, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {l.split(":")[0].strip(): l.split(":", 1)[1].strip()
                for l in r.stdout.splitlines() if " -> " in l}

    def test_check_prints_the_guarantee_of_each_flow(self):
        conf = """
a1.sources = r1 r2 r3
a1.channels = c1 c2 m1
a1.sinks = k1 k2 k3 k4
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {d}/x.log
a1.sources.r1.positionFile = {d}/pos.json
a1.sources.r1.channels = c1 m1
a1.sources.r2.type = netcat
a1.sources.r2.bind = 127.0.0.1
a1.sources.r2.port = {p}
a1.sources.r2.channels = c2
a1.sources.r3.type = syslogudp
a1.sources.r3.host = 127.0.0.1
a1.sources.r3.port = {p}
a1.sources.r3.channels = c2
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {d}/c1
a1.channels.c2.type = file
a1.channels.c2.dataDirs = {d}/c2
a1.channels.m1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d}/out
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = m1
a1.sinks.k2.sink.directory = {d}/out2
a1.sinks.k3.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k3.channel = c2
a1.sinks.k3.kafka.bootstrap.servers = 127.0.0.1:9092
a1.sinks.k3.kafka.topic = t
a1.sinks.k4.type = avro
a1.sinks.k4.channel = c2
a1.sinks.k4.hostname = 127.0.0.1
a1.sinks.k4.port = {p}
""".format(d=self.workdir, p=free_port())
        flows = self.check(conf)
        self.assertEqual(flows["r1 -> c1 -> k1"], "exactly once")
        self.assertTrue(flows["r1 -> m1 -> k2"].startswith("may lose on kill"), flows)
        self.assertTrue(flows["r2 -> c2 -> k3"].startswith("at least once (netcat source"), flows)
        self.assertIn("kafka sink", flows["r2 -> c2 -> k3"])
        self.assertTrue(flows["r3 -> c2 -> k3"].startswith("may lose on kill (syslogudp"), flows)
        # k3 and k4 both take from c2.
        self.assertIn("c2 has 2 takers side by side", flows["r2 -> c2 -> k4"])
        self.assertEqual(len(flows), 6, flows)
        # The edge of the kill tests above: exactly once.
        edge = EDGE.format(logs=self.workdir, work=self.workdir, sinks="k1") + \
            FORWARD_SINK.format(s="k1", port=free_port())
        path = self.path("e.conf")
        with open(path, "w") as f:
            f.write(edge)
        r = self.run_flumen("check", "-f", path, "-n", "e1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("r1 -> c1 -> k1: exactly once\n", r.stdout)


if __name__ == "__main__":
    unittest.main()
