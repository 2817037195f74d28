"""Every listener under hostile input (issue 15): garbage, huge announced lengths, peers that
never read their replies, storms of idle connections. Each test asserts that the process's RSS
stays under a bound while it happens and that a good client is served meanwhile."""
import os
import socket
import struct
import subprocess
import time
import unittest
import urllib.request

from flumen_harness import FLUMEN, AgentTestCase, NetcatClient, free_port, wait_until

# What a hostile peer may cost on top of an idle process, all attacks of a test together. Each
# attack below would cost hundreds of MB if a listener allocated for what a peer announced or
# queued replies without bound.
RSS_BUDGET_KB = 64 * 1024


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def http_get(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.status


def http_post(port, body):
    req = urllib.request.Request("http://127.0.0.1:%d/" % port, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def forward_hello(token=""):
    """A HELLO frame of the forward protocol (docs/protocol-forward.md)."""
    sender = b"hostile-test"
    payload = (b"FLMF" + struct.pack(">HQ", 1, 7) + struct.pack(">H", len(sender)) + sender +
               struct.pack(">H", len(token)) + token.encode())
    return struct.pack(">IB", len(payload) + 1, 1) + payload


def memory_sink_conf(source_lines, extra=""):
    return """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
{source}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = 1000
{extra}
""".format(source=source_lines, extra=extra)


class HostileInputTest(AgentTestCase):
    def start_with(self, source_lines):
        agent = self.start_agent(memory_sink_conf(source_lines))
        time.sleep(0.2)
        return agent, rss_kb(agent.proc.pid)

    def assert_rss_bounded(self, pid, baseline, what):
        now = rss_kb(pid)
        self.assertLess(now - baseline, RSS_BUDGET_KB,
                        "%s: RSS grew from %d kB to %d kB" % (what, baseline, now))

    def test_forward_huge_announced_frames_before_hello(self):
        port = free_port()
        agent, base = self.start_with("""
a1.sources.r1.type = forward
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
""" % port)
        # 40 connections announce a 16 MiB frame (the limit) and send 1 byte of it.
        socks = []
        for _ in range(40):
            s = connect(port)
            s.sendall(struct.pack(">I", 16 << 20) + b"\x01")
            socks.append(s)
        # And some announce more than the limit: closed at once, counted.
        for _ in range(5):
            s = connect(port)
            s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"\x01")
            s.settimeout(10)
            self.assertEqual(s.recv(65536)[:0], b"")  # an ERROR frame, then EOF
            s.close()
        time.sleep(0.3)
        self.assert_rss_bounded(agent.proc.pid, base, "forward, announced lengths")
        # A good sender is greeted meanwhile.
        good = connect(port)
        good.sendall(forward_hello())
        welcome = good.recv(65536)
        self.assertGreater(len(welcome), 5)
        self.assertEqual(welcome[4], 2)  # WELCOME
        good.close()
        wait_until(lambda: agent.counter("SOURCE.r1", "ProtocolErrorCount") >= 5, 10,
                   "oversized frames to be counted")
        for s in socks:
            s.close()

    def test_netcat_client_that_never_reads_its_oks(self):
        port = free_port()
        agent, base = self.start_with("""
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
""" % port)
        hog = connect(port)
        hog.setblocking(False)
        chunk = b"x\n" * 50000  # short lines: many answers per byte sent
        sent = 0
        deadline = time.time() + 20
        blocked_since = None
        # 30 MB of lines, never reading an answer: the source stops reading it once its answers
        # back up, so this ends with the kernel's buffers full (blocked for a second).
        while sent < 30 * 1000 * 1000 and time.time() < deadline:
            try:
                sent += hog.send(chunk)
                blocked_since = None
            except BlockingIOError:
                blocked_since = blocked_since or time.time()
                if time.time() - blocked_since > 1.0:
                    break
                time.sleep(0.01)
        self.assert_rss_bounded(agent.proc.pid, base, "netcat, replies never read")
        good = NetcatClient(port)
        good.send_lines(["fine-%d" % i for i in range(100)])  # raises unless each gets OK
        good.close()
        self.assert_rss_bounded(agent.proc.pid, base, "netcat, replies never read")
        hog.close()

    def test_syslog_huge_octet_count_and_garbage(self):
        port = free_port()
        agent, base = self.start_with("""
a1.sources.r1.type = syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.port = %d
""" % port)
        bad = connect(port)
        bad.sendall(b"999999999 ")
        junk = os.urandom(1 << 20)
        for _ in range(100):  # 100 MB of the announced message
            bad.sendall(junk)
        garbage = connect(port)
        garbage.sendall(os.urandom(1 << 20).replace(b"\n", b"x"))
        self.assert_rss_bounded(agent.proc.pid, base, "syslog, octet count 999999999")
        good = connect(port)
        good.sendall(b"<13>Jan  1 00:00:00 host app: hello\n")
        wait_until(lambda: agent.counter("SOURCE.r1", "EventAcceptedCount") >= 2, 10,
                   "the good message to be accepted")
        self.assert_rss_bounded(agent.proc.pid, base, "syslog, octet count 999999999")
        for s in (bad, garbage, good):
            s.close()

    def test_http_source_and_metrics_survive_a_storm_of_idle_connections(self):
        port = free_port()
        agent, base = self.start_with("""
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
""" % port)
        idle = []
        for _ in range(300):
            idle.append(connect(port))
            idle.append(connect(agent.metrics_port))
        time.sleep(1.2)  # idle long enough to be shed for newcomers
        self.assertEqual(http_post(port, b'[{"body":"ok"}]'), 200)
        self.assertEqual(http_get(agent.metrics_port), 200)
        # A request head that never ends, and a body announced as 10 GB.
        slow = connect(port)
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n")
        slow.sendall(b"[" * (1 << 20))
        self.assert_rss_bounded(agent.proc.pid, base, "http, idle storm")
        self.assertEqual(http_post(port, b'[{"body":"still ok"}]'), 200)
        wait_until(lambda: agent.counter("SOURCE.r1", "EventAcceptedCount") >= 2, 10,
                   "both good requests to be accepted")
        for s in idle + [slow]:
            s.close()


class BrokerHostileInputTest(AgentTestCase):
    def test_huge_request_sizes_and_an_idle_storm(self):
        port = free_port()
        data = self.path("data")
        log = open(self.path("broker.log"), "w")
        proc = subprocess.Popen([FLUMEN, "broker", "--data-dir", data, "--listen",
                                 "127.0.0.1:%d" % port], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: connect(port).close() or True, 20, "the broker to listen")
            time.sleep(0.2)
            base = rss_kb(proc.pid)
            # 8 connections announcing a 100 MiB request (the limit), 4 bytes each, and 8
            # announcing more than it.
            held = []
            for size in [100 << 20] * 8 + [0x7FFFFFF0] * 8:
                s = connect(port)
                s.sendall(struct.pack(">i", size))
                held.append(s)
            for _ in range(200):
                held.append(connect(port))
            time.sleep(0.3)
            now = rss_kb(proc.pid)
            self.assertLess(now - base, RSS_BUDGET_KB, "broker RSS %d -> %d kB" % (base, now))
            meta = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % port, "-L"],
                                  capture_output=True, timeout=60)
            self.assertEqual(meta.returncode, 0, meta.stderr)
            self.assertIn(b"1 brokers", meta.stdout)
            for s in held:
                s.close()
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=30), 0)
            log.close()


if __name__ == "__main__":
    unittest.main()
