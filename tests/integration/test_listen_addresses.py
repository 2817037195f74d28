"""Listeners take the addresses users write (issue 15): `bind = localhost` from Flume's quick
start, the host's own name, IPv6 `[::1]`, 0.0.0.0; a name that does not resolve fails
`flumen check` exactly as it fails the start, with the key's file:line."""
import socket
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port

CONF = """a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = {bind}
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
"""


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


class ListenAddressTest(AgentTestCase):
    def write(self, text):
        path = self.path("agent.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check_and_serve(self, bind, connect_host, family=socket.AF_INET):
        port = free_port()
        conf = CONF.format(bind=bind, port=port)
        r = self.run_flumen("check", "-f", self.write(conf), "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.start_agent(conf)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect((connect_host, port))
        s.sendall(b"hello\n")
        self.assertEqual(s.recv(3), b"OK\n")
        s.close()

    def test_localhost_as_in_flumes_quick_start(self):
        self.check_and_serve("localhost", "127.0.0.1")

    def test_the_hosts_own_name_and_all_interfaces(self):
        self.check_and_serve(socket.gethostname(), socket.gethostbyname(socket.gethostname()))
        self.check_and_serve("0.0.0.0", "127.0.0.1")

    @unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback here")
    def test_ipv6_in_brackets(self):
        self.check_and_serve("[::1]", "::1", socket.AF_INET6)

    def test_a_name_that_does_not_resolve_fails_check_and_start_alike(self):
        conf = CONF.format(bind="no-such-host.invalid", port=free_port())
        path = self.write(conf)
        r = self.run_flumen("check", "-f", path, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:5:" % path, r.stderr)
        self.assertIn("a1.sources.r1.bind: address 'no-such-host.invalid' does not resolve",
                      r.stderr)
        agent = self.start_agent(conf, wait_ready=False)
        self.assertNotEqual(agent.proc.wait(timeout=30), 0)
        self.assertIn("does not resolve", agent.log_text())


if __name__ == "__main__":
    unittest.main()
