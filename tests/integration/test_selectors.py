"""Channel selectors: replicating (with an optional channel) and multiplexing by header."""
import collections
import socket
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, read_lines, wait_until

REPLICATING = """
a1.sources = r1
a1.channels = c1 c2 c3
a1.sinks = k1 k2
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1 c2 c3
a1.sources.r1.selector.type = replicating
a1.sources.r1.selector.optional = c3
a1.sources.r1.batchSize = 5
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.c3.type = memory
a1.channels.c3.capacity = 5
a1.channels.c3.transactionCapacity = 5
a1.channels.c3.keep-alive = 0
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d1}
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = {d2}
"""

MULTIPLEXING = """
a1.sources = tagged plain
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.tagged.type = netcatudp
a1.sources.tagged.bind = 127.0.0.1
a1.sources.tagged.port = {p1}
a1.sources.tagged.remoteAddressHeader = src
a1.sources.tagged.channels = c1 c2
a1.sources.tagged.selector.type = multiplexing
a1.sources.tagged.selector.header = src
a1.sources.tagged.selector.mapping.127.0.0.1 = c1
a1.sources.tagged.selector.default = c2
a1.sources.plain.type = netcatudp
a1.sources.plain.bind = 127.0.0.1
a1.sources.plain.port = {p2}
a1.sources.plain.channels = c1 c2
a1.sources.plain.selector.type = multiplexing
a1.sources.plain.selector.header = src
a1.sources.plain.selector.mapping.127.0.0.1 = c1
a1.sources.plain.selector.default = c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d1}
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = {d2}
"""


class SelectorTest(AgentTestCase):
    def test_replicating_copies_to_every_channel_and_tolerates_a_full_optional_one(self):
        port = free_port()
        d1, d2 = self.path("d1"), self.path("d2")
        agent = self.start_agent(REPLICATING.format(port=port, d1=d1, d2=d2))
        sent = ["r%04d" % i for i in range(1000)]
        NetcatClient(port).send_lines(sent, chunk=50)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 1000 and
                   agent.counter("SINK.k2", "EventDrainSuccessCount") == 1000, 20)
        # c3 has no sink and room for 5: its failures are counted, never fatal.
        self.assertGreater(agent.counter("SOURCE.r1", "OptionalChannelWriteFail"), 0)
        self.assertEqual(agent.counter("CHANNEL.c3", "ChannelSize"), 5)
        # Those 5 have no sink to leave by: a stop loses them, and says so (exit 4).
        self.assertEqual(agent.stop(), 4)
        self.assertIn("channel c3 stops with 5 undelivered events", agent.log_text())
        self.assertEqual(read_lines(d1), sent)
        self.assertEqual(read_lines(d2), sent)

    def test_multiplexing_routes_by_header_with_a_default(self):
        p1, p2 = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        d1, d2 = self.path("d1"), self.path("d2")
        agent = self.start_agent(MULTIPLEXING.format(p1=p1, p2=p2, d1=d1, d2=d2))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(200):
            s.sendto(b"tagged %d" % i, ("127.0.0.1", p1))
            s.sendto(b"plain %d" % i, ("127.0.0.1", p2))
        wait_until(lambda: agent.counter("SOURCE.tagged", "EventAcceptedCount") == 200 and
                   agent.counter("SOURCE.plain", "EventAcceptedCount") == 200, 20)
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0 and
                   agent.counter("CHANNEL.c2", "ChannelSize") == 0, 20)
        self.assertEqual(agent.stop(), 0)
        a, b = read_lines(d1), read_lines(d2)
        self.assertEqual(collections.Counter(a), collections.Counter("tagged %d" % i for i in range(200)))
        self.assertEqual(collections.Counter(b), collections.Counter("plain %d" % i for i in range(200)))


if __name__ == "__main__":
    unittest.main()
