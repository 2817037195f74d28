"""netcat -> memory -> file_roll: every acknowledged line lands in the files exactly once."""
import collections
import os
import threading
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.max-line-length = 64
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 500
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 1
a1.sinks.k1.sink.batchSize = 500
a1.sinks.k1.sink.serializer = {serializer}
"""


class NetcatPipelineTest(AgentTestCase):
    def start(self, serializer="TEXT"):
        self.port = free_port()
        self.out = self.path("out")
        return self.start_agent(CONF.format(port=self.port, out=self.out, serializer=serializer))

    def test_every_acknowledged_line_lands_once(self):
        agent = self.start()
        per_conn = 5000
        sent = {}

        def client(tag):
            c = NetcatClient(self.port)
            lines = ["%s-%05d" % (tag, i) for i in range(per_conn)]
            c.send_lines(lines)  # raises unless every line is answered OK
            c.close()
            sent[tag] = lines

        threads = [threading.Thread(target=client, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(sent), 2)
        total = 2 * per_conn
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == total, 30,
                   "the sink to drain")
        self.assertEqual(agent.stop(), 0)
        lines = read_lines(self.out)
        self.assertEqual(collections.Counter(lines),
                         collections.Counter(sent["a"] + sent["b"]))
        # Order is kept per connection.
        for tag in ("a", "b"):
            self.assertEqual([l for l in lines if l.startswith(tag + "-")], sent[tag])
        self.assertGreaterEqual(len(os.listdir(self.out)), 1)

    def test_counters_follow_flume(self):
        agent = self.start()
        c = NetcatClient(self.port)
        c.send_lines(["line %d" % i for i in range(300)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 300, 20)
        m = agent.metrics()
        self.assertEqual(m["SOURCE.r1"]["Type"], "SOURCE")
        self.assertEqual(m["SOURCE.r1"]["EventReceivedCount"], "300")
        self.assertEqual(m["SOURCE.r1"]["EventAcceptedCount"], "300")
        self.assertEqual(m["SOURCE.r1"]["OpenConnectionCount"], "1")
        self.assertEqual(m["CHANNEL.c1"]["EventPutSuccessCount"], "300")
        self.assertEqual(m["CHANNEL.c1"]["EventTakeSuccessCount"], "300")
        self.assertEqual(m["CHANNEL.c1"]["ChannelSize"], "0")
        self.assertEqual(m["CHANNEL.c1"]["ChannelCapacity"], "10000")
        self.assertEqual(m["SINK.k1"]["ConnectionCreatedCount"], "1")
        self.assertNotEqual(m["SINK.k1"]["StartTime"], "0")
        c.close()
        wait_until(lambda: agent.counter("SOURCE.r1", "OpenConnectionCount") == 0, 10)

    def test_overlong_line_is_refused_and_counted_and_the_next_line_accepted(self):
        agent = self.start()
        c = NetcatClient(self.port)
        c.send_lines(["short one"])
        c.sock.sendall(("x" * 200 + "\n").encode())
        self.assertEqual(c.readline(),
                         b"FAILED: Event exceeds the maximum length (64 chars, including newline)\n")
        c.send_lines(["short two", "y" * 63])  # 63 + newline = 64: still fits
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 3, 20)
        self.assertEqual(agent.counter("SOURCE.r1", "EventReadFail"), 1)
        agent.stop()
        self.assertEqual(read_lines(self.out), ["short one", "short two", "y" * 63])

    def test_binary_and_last_line_without_newline(self):
        agent = self.start()
        c = NetcatClient(self.port)
        c.sock.sendall(b"bin\x00\xff\x01ary\nlast without newline")
        self.assertEqual(c.readline(), b"OK\n")
        c.sock.shutdown(1)  # EOF: the unterminated last line is still an event
        self.assertEqual(c.readline(), b"OK\n")
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 2, 20)
        agent.stop()
        with open(sorted(os.path.join(self.out, f) for f in os.listdir(self.out))[0], "rb") as f:
            self.assertEqual(f.read(), b"bin\x00\xff\x01ary\nlast without newline\n")

    def test_header_and_text_serializer(self):
        conf = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcatudp
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.remoteAddressHeader = from
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = header_and_text
"""
        import socket
        port = free_port(socket.SOCK_DGRAM)
        out = self.path("udp")
        agent = self.start_agent(conf.format(port=port, out=out))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(20):
            s.sendto(b"datagram %d\n" % i, ("127.0.0.1", port))
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 20, 20)
        agent.stop()
        lines = read_lines(out)
        self.assertEqual(sorted(lines), sorted("{from=127.0.0.1} datagram %d" % i for i in range(20)))


if __name__ == "__main__":
    unittest.main()
