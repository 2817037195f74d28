"""Sink groups: failover moves to the backup when the primary fails and comes back to it;
load_balance spreads batches. Every event is counted at the end."""
import collections
import os
import shutil
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, read_lines, wait_until

BASE = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d1}
a1.sinks.k1.sink.rollInterval = 1
a1.sinks.k1.sink.batchSize = 10
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c1
a1.sinks.k2.sink.directory = {d2}
a1.sinks.k2.sink.rollInterval = 1
a1.sinks.k2.sink.batchSize = 10
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k1 k2
"""

FAILOVER = BASE + """
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = 2000
"""

LOAD_BALANCE = BASE + """
a1.sinkgroups.g1.processor.type = load_balance
a1.sinkgroups.g1.processor.selector = round_robin
a1.sinkgroups.g1.processor.backoff = true
"""


class SinkGroupTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.d1, self.d2 = self.path("d1"), self.path("d2")

    def test_failover_moves_to_the_backup_and_back(self):
        agent = self.start_agent(FAILOVER.format(port=self.port, d1=self.d1, d2=self.d2))
        client = NetcatClient(self.port)
        sent = []

        def send(n):
            lines = ["e%06d" % (len(sent) + i) for i in range(n)]
            client.send_lines(lines)
            sent.extend(lines)

        send(500)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 500, 20)
        self.assertEqual(agent.counter("SINK.k2", "EventDrainSuccessCount"), 0)
        self.assertIn("active=k1", agent.metrics()["SINKGROUP.g1"]["State"])

        # Break k1: its directory moves away (the open file follows it, so what it wrote stays
        # countable) and a plain file takes its name, so k1 cannot open its next file.
        moved = self.d1 + ".moved"
        os.rename(self.d1, moved)
        with open(self.d1, "w") as f:
            f.write("not a directory")
        deadline = time.time() + 20
        while agent.counter("SINK.k2", "EventDrainSuccessCount") == 0:
            self.assertLess(time.time(), deadline, "no failover to k2")
            send(50)
            time.sleep(0.05)
        self.assertIn("active=k2", agent.metrics()["SINKGROUP.g1"]["State"])
        self.assertGreater(agent.counter("SINK.k1", "EventWriteFail"), 0)
        send(500)

        # Repair k1: after its penalty it is the highest priority again and gets the traffic.
        os.unlink(self.d1)
        os.mkdir(self.d1)
        k1_before = agent.counter("SINK.k1", "EventDrainSuccessCount")
        deadline = time.time() + 20
        while agent.counter("SINK.k1", "EventDrainSuccessCount") == k1_before:
            self.assertLess(time.time(), deadline, "k1 never came back")
            send(50)
            time.sleep(0.05)
        wait_until(lambda: "active=k1" in agent.metrics()["SINKGROUP.g1"]["State"], 10)
        send(200)
        total = len(sent)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount")
                   + agent.counter("SINK.k2", "EventDrainSuccessCount") == total, 20,
                   "every event to be delivered")
        self.assertEqual(agent.stop(), 0)
        got = read_lines(self.d1) + read_lines(moved) + read_lines(self.d2)
        counts = collections.Counter(got)
        self.assertEqual(set(counts), set(sent), "lost or unexpected events")
        self.assertEqual([e for e, n in counts.items() if n > 1], [], "duplicated events")
        self.assertGreater(len(read_lines(self.d2)), 0)
        self.assertGreater(len(read_lines(self.d1)), 0)

    def test_load_balance_spreads_batches(self):
        agent = self.start_agent(LOAD_BALANCE.format(port=self.port, d1=self.d1, d2=self.d2))
        client = NetcatClient(self.port)
        sent = ["lb%05d" % i for i in range(2000)]
        client.send_lines(sent, chunk=100)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount")
                   + agent.counter("SINK.k2", "EventDrainSuccessCount") == 2000, 20)
        self.assertEqual(agent.stop(), 0)
        a, b = read_lines(self.d1), read_lines(self.d2)
        self.assertEqual(sorted(a + b), sent)
        self.assertGreaterEqual(len(a), 400, "k1 got too little: %d" % len(a))
        self.assertGreaterEqual(len(b), 400, "k2 got too little: %d" % len(b))


if __name__ == "__main__":
    unittest.main()
