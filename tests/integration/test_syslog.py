"""Syslog sources with logger(1) as the real client: RFC 5424 and RFC 3164 over TCP (newline
and octet-counted framing) and UDP; Facility/Severity/host/timestamp headers as Flume sets them."""
import socket
import subprocess
import unittest

from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

CONF = """
a1.sources = tcp udp
a1.channels = c1
a1.sinks = k1
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = {tcp}
a1.sources.tcp.clientIPHeader = client
a1.sources.tcp.channels = c1
a1.sources.udp.type = syslogudp
a1.sources.udp.host = 127.0.0.1
a1.sources.udp.port = {udp}
a1.sources.udp.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = header_and_text
"""


def headers_of(line):
    head, _, body = line.partition("} ")
    pairs = [p.split("=", 1) for p in head.lstrip("{").split(", ") if "=" in p]
    return dict(pairs), body


class SyslogTest(AgentTestCase):
    def test_logger_over_tcp_and_udp(self):
        tcp, udp = free_port(), free_port(socket.SOCK_DGRAM)
        out = self.path("out")
        agent = self.start_agent(CONF.format(tcp=tcp, udp=udp, out=out))
        base = ["logger", "-n", "127.0.0.1", "-t", "car"]
        runs = [
            base + ["-P", str(tcp), "-T", "--rfc5424", "-p", "local3.err", "brake fault 5424"],
            base + ["-P", str(tcp), "-T", "--rfc3164", "-p", "user.notice", "status 3164"],
            base + ["-P", str(tcp), "-T", "--octet-count", "-p", "daemon.info",
                    "octet counted"],
            base + ["-P", str(udp), "-d", "--rfc5424", "-p", "local0.warning", "over udp"],
        ]
        for cmd in runs:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 4, 20)
        self.assertEqual(agent.stop(), 0)
        by_text = {}
        for line in read_lines(out):
            h, body = headers_of(line)
            by_text[body] = h
        e5424 = [h for b, h in by_text.items() if b.endswith("brake fault 5424")][0]
        self.assertEqual((e5424["Facility"], e5424["Severity"]), ("19", "3"))
        self.assertIn("host", e5424)
        self.assertGreater(int(e5424["timestamp"]), 1_700_000_000_000)
        self.assertEqual(e5424["client"], "127.0.0.1")
        e3164 = [h for b, h in by_text.items() if b.endswith("status 3164")][0]
        self.assertEqual((e3164["Facility"], e3164["Severity"]), ("1", "5"))
        self.assertIn("timestamp", e3164)
        octet = [h for b, h in by_text.items() if b.endswith("octet counted")][0]
        self.assertEqual((octet["Facility"], octet["Severity"]), ("3", "6"))
        over_udp = [h for b, h in by_text.items() if b.endswith("over udp")][0]
        self.assertEqual((over_udp["Facility"], over_udp["Severity"]), ("16", "4"))
        for h in by_text.values():
            self.assertNotIn("flume.syslog.status", h)

    def test_rsyslog_forwards_to_us(self):
        tcp, udp = free_port(), free_port(socket.SOCK_DGRAM)
        out = self.path("out")
        agent = self.start_agent(CONF.format(tcp=tcp, udp=udp, out=out))
        rs_in = free_port(socket.SOCK_DGRAM)
        conf = self.path("rsyslog.conf")
        with open(conf, "w") as f:
            f.write('global(workDirectory="%s")\n'
                    'module(load="imudp")\n'
                    'input(type="imudp" address="127.0.0.1" port="%d")\n'
                    '*.* action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" '
                    'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")\n'
                    % (self.workdir, rs_in, tcp))
        rs = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", self.path("rsyslog.pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            def send():
                subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(rs_in), "-d",
                                "-p", "local5.crit", "-t", "car", "via rsyslog"], check=True)
                return agent.counter("SINK.k1", "EventDrainSuccessCount") >= 1
            # rsyslog needs a moment to open its input: resend until one arrives.
            wait_until(send, 20, "a message forwarded by rsyslog")
        finally:
            rs.terminate()
            rs.wait(timeout=10)
        self.assertEqual(agent.stop(), 0)
        h, body = headers_of(read_lines(out)[0])
        self.assertEqual((h["Facility"], h["Severity"]), ("21", "2"))
        self.assertIn("via rsyslog", body)

    def test_malformed_and_oversized_messages_are_marked_not_dropped(self):
        tcp, udp = free_port(), free_port(socket.SOCK_DGRAM)
        out = self.path("out")
        agent = self.start_agent(CONF.format(tcp=tcp, udp=udp, out=out).replace(
            "a1.sources.tcp.clientIPHeader = client",
            "a1.sources.tcp.clientIPHeader = client\na1.sources.tcp.eventSize = 40"))
        s = socket.create_connection(("127.0.0.1", tcp))
        s.sendall(b"no priority here\n<13>Nov 24 10:00:00 host1 " + b"x" * 100 + b"\n"
                  b"\x00\xff binary\n")
        s.close()
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 3, 20)
        self.assertEqual(agent.counter("SOURCE.tcp", "IncompleteEventCount"), 1)
        self.assertEqual(agent.stop(), 0)
        statuses = [headers_of(l)[0].get("flume.syslog.status") for l in read_lines(out)]
        self.assertEqual(sorted(s or "" for s in statuses), ["Incomplete", "Invalid", "Invalid"])


if __name__ == "__main__":
    unittest.main()
