"""netcatudp and syslogudp under bursts: UDP has no flow control, so a burst that arrives while
the agent is busy waits in the socket's kernel buffer. The sources ask for a large one (4 MiB by
default, receiveBufferBytes), lose nothing that fits in it, and count what the kernel dropped
beyond it (DatagramDropCount) with a warning that names the key."""
import os
import signal
import socket
import unittest

from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

CONF = """
a1.sources = nc sys
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.nc.type = netcatudp
a1.sources.nc.bind = 127.0.0.1
a1.sources.nc.port = {p1}
a1.sources.nc.channels = c1
a1.sources.sys.type = syslogudp
a1.sources.sys.host = 127.0.0.1
a1.sources.sys.port = {p2}
a1.sources.sys.channels = c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d1}
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = {d2}
"""


class UdpSourcesTest(AgentTestCase):
    def start(self, extra=""):
        self.p1, self.p2 = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        self.d1, self.d2 = self.path("d1"), self.path("d2")
        return self.start_agent(CONF.format(p1=self.p1, p2=self.p2, d1=self.d1, d2=self.d2) + extra)

    def burst_while_stopped(self, agent, count):
        """Sends `count` datagrams to each source while the agent cannot read them."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        os.kill(agent.proc.pid, signal.SIGSTOP)
        try:
            for i in range(count):
                s.sendto(b"nc %d" % i, ("127.0.0.1", self.p1))
                s.sendto(b"<13>Dec  3 08:00:00 host app: sys %d" % i, ("127.0.0.1", self.p2))
        finally:
            os.kill(agent.proc.pid, signal.SIGCONT)
            s.close()

    def test_a_burst_that_fits_the_receive_buffer_loses_nothing(self):
        # 3,000 small datagrams take ~1 MB of kernel buffer: 12 times the Linux default
        # (212,992 bytes, ~256 such datagrams), well within the 4 MiB the sources ask for.
        agent = self.start()
        self.burst_while_stopped(agent, 3000)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 3000 and
                   agent.counter("SINK.k2", "EventDrainSuccessCount") == 3000, 30)
        self.assertEqual(agent.counter("SOURCE.nc", "DatagramDropCount"), 0)
        self.assertEqual(agent.counter("SOURCE.sys", "DatagramDropCount"), 0)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(sorted(read_lines(self.d1)), sorted("nc %d" % i for i in range(3000)))
        self.assertEqual(len(read_lines(self.d2)), 3000)

    def test_what_the_kernel_drops_is_counted_exactly_and_named_in_the_log(self):
        # A buffer of 64 KiB holds a few dozen datagrams: the rest of a 2,000 burst is dropped by
        # the kernel, and every datagram is either delivered or counted as dropped.
        agent = self.start("a1.sources.nc.receiveBufferBytes = 65536\n"
                           "a1.sources.sys.receiveBufferBytes = 65536\n")
        self.burst_while_stopped(agent, 2000)

        def settled():
            return all(agent.counter("SOURCE." + s, "EventAcceptedCount") +
                       agent.counter("SOURCE." + s, "DatagramDropCount") == 2000 for s in ("nc", "sys"))
        wait_until(settled, 30)
        for s, k in (("nc", "k1"), ("sys", "k2")):
            dropped = agent.counter("SOURCE." + s, "DatagramDropCount")
            self.assertGreater(dropped, 1000)
            wait_until(lambda: agent.counter("SINK." + k, "EventDrainSuccessCount") == 2000 - dropped, 30)
        log = agent.log_text()
        self.assertIn("netcatudp source nc: the kernel dropped", log)
        self.assertIn("receiveBufferBytes", log)
        self.assertEqual(agent.stop(), 0)


if __name__ == "__main__":
    unittest.main()
