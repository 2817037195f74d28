"""The Flume peer harness itself: a real Apache Flume 1.11.0 agent (seq -> memory -> file_roll)
writes every line, its monitoring JSON counts them, and it stops on SIGTERM."""
import os
import shutil
import tempfile
import unittest

from flume_peer import FlumeAgent, flume_classpath
from flumen_harness import read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 5000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
"""


class FlumePeerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        flume_classpath()  # resolves Flume through Maven once, before any timeout starts

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="flume-peer-")
        self.addCleanup(shutil.rmtree, self.workdir, True)

    def test_seq_memory_file_roll_writes_every_line(self):
        out = os.path.join(self.workdir, "out")
        os.makedirs(out)
        agent = FlumeAgent(self.workdir, CONF.format(out=out), "a1", monitoring_port=True)
        self.addCleanup(agent.kill)
        built = agent.start().wait_started()
        self.assertEqual(built, {"sources": {"r1"}, "channels": {"c1"}, "sinks": {"k1"},
                                 "sinkgroups": set()})
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 5000, 60,
                   "Flume's file_roll sink to drain 5000 events")
        self.assertEqual(agent.counter("SOURCE.r1", "EventAcceptedCount"), 5000)
        # SIGTERM: Flume's shutdown hook stops the sink, which flushes and closes its file; the
        # JVM then reports the signal (128 + 15).
        self.assertIn(agent.stop(), (0, 143))
        self.assertIn("Component type: SINK, name: k1 stopped", agent.log_text())
        self.assertEqual(read_lines(out), [str(i) for i in range(5000)])


if __name__ == "__main__":
    unittest.main()
