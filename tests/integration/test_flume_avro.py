"""Apache Flume's Avro RPC both ways, with real Flume 1.11 agents (flume_peer.py): a Flume avro
sink sends to a flumen agent's avro source, a flumen avro sink (protocol auto) sends to a Flume
avro source, with and without deflate; and a three-hop chain flumen -> Flume -> flumen with file
channels loses no line when each process in turn is killed -9 and restarted."""
import collections
import os
import threading
import time
import unittest

from flume_peer import FlumeAgent, flume_classpath
from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

FLUME_SEQ_TO_AVRO = """
f1.sources = r1
f1.channels = c1
f1.sinks = k1
f1.sources.r1.type = seq
f1.sources.r1.totalEvents = {total}
f1.sources.r1.batchSize = 50
f1.sources.r1.channels = c1
f1.channels.c1.type = memory
f1.channels.c1.capacity = 10000
f1.channels.c1.transactionCapacity = 100
f1.sinks.k1.type = avro
f1.sinks.k1.hostname = 127.0.0.1
f1.sinks.k1.port = {port}
f1.sinks.k1.batch-size = 100
f1.sinks.k1.compression-type = {compression}
f1.sinks.k1.channel = c1
"""

FLUMEN_AVRO_TO_ROLL = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.compression-type = {compression}
a1.sources.r1.channels = c1
a1.channels.c1.type = {channel}
a1.channels.c1.dataDirs = {work}/collector-channel
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
"""

FLUMEN_SEQ_TO_AVRO = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = {total}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = {port}
a1.sinks.k1.compression-type = {compression}
a1.sinks.k1.channel = c1
"""

FLUME_AVRO_TO_ROLL = """
f1.sources = r1
f1.channels = c1
f1.sinks = k1
f1.sources.r1.type = avro
f1.sources.r1.bind = 127.0.0.1
f1.sources.r1.port = {port}
f1.sources.r1.compression-type = {compression}
f1.sources.r1.channels = c1
f1.channels.c1.type = memory
f1.channels.c1.capacity = 10000
f1.channels.c1.transactionCapacity = 1000
f1.sinks.k1.type = file_roll
f1.sinks.k1.sink.directory = {out}
f1.sinks.k1.sink.rollInterval = 0
f1.sinks.k1.channel = c1
"""

# The chain's middle hop: Flume's avro source -> file channel -> avro sink to the collector.
FLUME_RELAY = """
f1.sources = r1
f1.channels = c1
f1.sinks = k1
f1.sources.r1.type = avro
f1.sources.r1.bind = 127.0.0.1
f1.sources.r1.port = {port}
f1.sources.r1.channels = c1
f1.channels.c1.type = file
f1.channels.c1.checkpointDir = {work}/relay/checkpoint
f1.channels.c1.dataDirs = {work}/relay/data
f1.channels.c1.transactionCapacity = 1000
f1.sinks.k1.type = avro
f1.sinks.k1.hostname = 127.0.0.1
f1.sinks.k1.port = {next_port}
f1.sinks.k1.batch-size = 100
f1.sinks.k1.request-timeout = 5000
f1.sinks.k1.connect-timeout = 5000
f1.sinks.k1.channel = c1
"""

FLUMEN_EDGE = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {logs}/app.log
a1.sources.r1.positionFile = {work}/edge/taildir_position.json
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {work}/edge/channel
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = {port}
a1.sinks.k1.batch-size = 100
a1.sinks.k1.request-timeout = 5000
a1.sinks.k1.channel = c1
"""


class FlumeAvroTest(AgentTestCase):
    @classmethod
    def setUpClass(cls):
        flume_classpath()  # resolves Flume through Maven once, before any timeout starts

    def flume(self, conf, name="f1"):
        workdir = self.path("flume-%s-%d" % (name, len(self.agents)))
        os.makedirs(workdir, exist_ok=True)
        agent = FlumeAgent(workdir, conf, name, monitoring_port=True)
        self.addCleanup(self._print_flume_log_on_failure, agent)
        self.addCleanup(agent.kill)
        agent.start().wait_started()
        return agent

    def _print_flume_log_on_failure(self, agent):
        if not self._outcome_ok():
            print("---- Flume log %s ----\n%s" % (agent.log_path, agent.log_text()[-4000:]))

    def assert_exactly(self, out, expected):
        got = collections.Counter(read_lines(out))
        self.assertEqual(got, collections.Counter(expected))

    def test_a_flume_avro_sink_delivers_to_a_flumen_avro_source(self):
        for compression in ("none", "deflate"):
            with self.subTest(compression=compression):
                port = free_port()
                out = self.path("out-" + compression)
                os.makedirs(out)
                agent = self.start_agent(FLUMEN_AVRO_TO_ROLL.format(
                    port=port, compression=compression, channel="memory", work=self.workdir,
                    out=out))
                flume = self.flume(FLUME_SEQ_TO_AVRO.format(total=3000, port=port,
                                                             compression=compression))
                wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= 3000,
                           60, "flumen to write what Flume sent")
                time.sleep(0.5)
                self.assert_exactly(out, [str(i) for i in range(3000)])
                self.assertGreaterEqual(agent.counter("SOURCE.r1", "AvroRpcBatchCount"), 30)
                self.assertIn("Apache Flume's Avro RPC", agent.log_text())
                self.assertIn(flume.stop(), (0, 143))
                self.assertEqual(agent.stop(), 0)

    def test_a_flumen_avro_sink_delivers_to_a_flume_avro_source(self):
        for compression in ("none", "deflate"):
            with self.subTest(compression=compression):
                port = free_port()
                out = self.path("flume-out-" + compression)
                os.makedirs(out)
                flume = self.flume(FLUME_AVRO_TO_ROLL.format(port=port, compression=compression,
                                                             out=out))
                # No protocol key, as in a conf written for Flume: the sink finds out.
                agent = self.start_agent(FLUMEN_SEQ_TO_AVRO.format(total=3000, port=port,
                                                                   compression=compression))
                wait_until(lambda: flume.counter("SINK.k1", "EventDrainSuccessCount") >= 3000,
                           60, "Flume to write what flumen sent")
                self.assertEqual(agent.stop(), 0)
                self.assertIn(flume.stop(), (0, 143))
                self.assert_exactly(out, [str(i) for i in range(3000)])
                probe = [l for l in agent.log_text().splitlines()
                         if "speaking Apache Flume's Avro RPC" in l]
                self.assertTrue(probe, "the sink says which protocol it found")
                print(probe[0])

    def test_flumen_avro_client_sends_a_file_to_a_flume_avro_source(self):
        port = free_port()
        out = self.path("flume-out-client")
        os.makedirs(out)
        flume = self.flume(FLUME_AVRO_TO_ROLL.format(port=port, compression="none", out=out))
        lines = ["client line %04d" % i for i in range(1234)]
        src = self.path("lines.txt")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        # A one-shot client needs the server listening: Flume binds after it says it started.
        wait_until(lambda: "Avro source r1 started" in flume.log_text(), 30, "Flume's listener")
        r = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(port), "-F", src)
        self.assertEqual(r.returncode, 0, r.stderr + flume.log_text()[-3000:])
        self.assertIn("sending with Apache Flume's Avro RPC", r.stderr)
        self.assertIn("sent 1234 events", r.stderr)
        wait_until(lambda: flume.counter("SINK.k1", "EventDrainSuccessCount") >= 1234, 30,
                   "Flume to write the client's lines")
        self.assertIn(flume.stop(), (0, 143))
        self.assert_exactly(out, lines)

    def test_kill_9_of_each_hop_of_flumen_flume_flumen_loses_nothing(self):
        logs = self.path("logs")
        os.makedirs(logs)
        out = self.path("out")
        os.makedirs(out)
        relay_port, collector_port = free_port(), free_port()
        edge_conf = FLUMEN_EDGE.format(logs=logs, work=self.workdir, port=relay_port)
        collector_conf = FLUMEN_AVRO_TO_ROLL.format(port=collector_port, compression="none",
                                                    channel="file", work=self.workdir, out=out)
        relay_conf = FLUME_RELAY.format(port=relay_port, next_port=collector_port,
                                        work=self.workdir)
        written = []
        stop = threading.Event()

        def writer():
            n = 0
            while not stop.is_set():
                with open(os.path.join(logs, "app.log"), "a") as f:
                    for _ in range(100):
                        f.write("line-%06d\n" % n)
                        written.append("line-%06d" % n)
                        n += 1
                time.sleep(0.02)

        collector = self.start_agent(collector_conf, name="a1")
        relay = self.flume(relay_conf)
        edge = self.start_agent(edge_conf, name="a1")
        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(2)
            relay.kill()  # the middle hop dies with batches in its file channel
            time.sleep(1)
            relay = self.flume(relay_conf)
            time.sleep(2)
            collector.kill()
            time.sleep(1)
            collector = self.start_agent(collector_conf, name="a1")
            time.sleep(2)
            edge.kill()
            time.sleep(1)
            edge = self.start_agent(edge_conf, name="a1")
            time.sleep(1)
        finally:
            stop.set()
            t.join()

        def all_there():
            return not set(written) - set(read_lines(out))

        wait_until(all_there, 120, "every written line at the collector")
        counts = collections.Counter(read_lines(out))
        lost = len(set(written) - set(counts))
        duplicated = sum(n - 1 for n in counts.values() if n > 1)
        # Avro RPC numbers no batch: a batch whose OK was lost to a kill is sent again, so
        # duplicates are Flume's at-least-once; none may be lost.
        print("written %d, lost %d, duplicated %d" % (len(written), lost, duplicated))
        self.assertEqual(lost, 0)
        self.assertEqual(edge.stop(), 0)
        self.assertIn(relay.stop(), (0, 143))
        self.assertEqual(collector.stop(), 0)


class AvroBetweenFlumenAgentsTest(AgentTestCase):
    """protocol = flume between two flumen agents: the receiving source speaks Avro RPC too."""

    def test_protocol_flume_with_deflate_to_a_flumen_source(self):
        port = free_port()
        out = self.path("out")
        os.makedirs(out)
        agg = self.start_agent(FLUMEN_AVRO_TO_ROLL.format(
            port=port, compression="none", channel="memory", work=self.workdir, out=out))
        edge = self.start_agent(FLUMEN_SEQ_TO_AVRO.format(total=5000, port=port,
                                                          compression="deflate") +
                                "a1.sinks.k1.protocol = flume\n")
        wait_until(lambda: agg.counter("SINK.k1", "EventDrainSuccessCount") >= 5000, 30,
                   "every event over Avro RPC")
        time.sleep(0.3)
        self.assertEqual(collections.Counter(read_lines(out)),
                         collections.Counter(str(i) for i in range(5000)))
        self.assertGreaterEqual(agg.counter("SOURCE.r1", "AvroRpcBatchCount"), 50)
        self.assertIn("with Apache Flume's Avro RPC (deflate)", edge.log_text())
        self.assertEqual(edge.stop(), 0)
        self.assertEqual(agg.stop(), 0)


if __name__ == "__main__":
    unittest.main()
