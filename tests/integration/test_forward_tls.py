"""The forward hop over TLS: a seq source -> forward sink (ssl, ssl-ca, token) -> forward source
(ssl, ssl-cert/ssl-key) -> file_roll, every event counted; mutual TLS (ssl-client-auth); a sink
that does not trust the source's certificate, or a plain-text sink to a TLS source, delivers
nothing and says why; the token is never seen on the wire; `flumen check` warns about a token
without TLS and names the PEM keys for a JKS truststore. The CA is made at test time."""
import os
import shutil
import subprocess
import tempfile
import unittest

from flumen_harness import SOURCE_DIR, AgentTestCase, free_port, read_lines, wait_until
from test_forward import aggregator_conf

CERTS = None


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="flumen-certs-")
    subprocess.run([os.path.join(SOURCE_DIR, "tests", "tools", "make_test_certs.sh"), CERTS],
                   check=True)


def tearDownModule():
    shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def source_tls(mutual=False):
    extra = ("{n}.sources.r1.ssl = true\n{n}.sources.r1.ssl-cert = %s\n"
             "{n}.sources.r1.ssl-key = %s\n{n}.sources.r1.token = s3cret-token\n"
             % (cert("server.pem"), cert("server.key")))
    if mutual:
        extra += ("{n}.sources.r1.ssl-ca = %s\n{n}.sources.r1.ssl-client-auth = true\n"
                  % cert("ca.pem"))
    return extra


def edge(port, events, tls_lines, host="localhost"):
    conf = """
e1.sources = r1
e1.channels = c1
e1.sinks = k1
e1.sources.r1.type = seq
e1.sources.r1.totalEvents = {events}
e1.sources.r1.batchSize = 500
e1.sources.r1.channels = c1
e1.channels.c1.type = memory
e1.channels.c1.capacity = 50000
e1.channels.c1.transactionCapacity = 1000
e1.sinks.k1.type = avro
e1.sinks.k1.channel = c1
e1.sinks.k1.hostname = {host}
e1.sinks.k1.port = {port}
e1.sinks.k1.batch-size = 1000
e1.sinks.k1.protocol = flumen
e1.sinks.k1.connect-timeout = 3000
e1.sinks.k1.token = s3cret-token
""".format(events=events, port=port, host=host)
    return conf + "".join("e1.sinks.k1.%s = %s\n" % kv for kv in tls_lines.items())


class ForwardTlsTest(AgentTestCase):
    def aggregator(self, mutual=False):
        self.port = free_port()
        self.out = self.path("out")
        os.makedirs(self.out)
        return self.start_agent(aggregator_conf("a1", self.port, self.out,
                                                extra=source_tls(mutual)), name="a1")

    def test_events_cross_a_tls_hop_with_the_token_inside(self):
        agg = self.aggregator()
        self.start_agent(edge(self.port, 20000, {"ssl": "true", "ssl-ca": cert("ca.pem")}),
                         name="e1")
        wait_until(lambda: len(read_lines(self.out)) == 20000, 60, "20000 events over TLS")
        self.assertEqual(sorted(set(read_lines(self.out))),
                         sorted(set(str(i) for i in range(20000))))
        self.assertEqual(agg.counter("SOURCE.r1", "TlsErrorCount"), 0)

    def test_mutual_tls_and_refused_peers(self):
        agg = self.aggregator(mutual=True)
        # No client certificate: the source refuses the handshake; nothing is delivered.
        bad = self.start_agent(edge(self.port, 100, {"ssl": "true", "ssl-ca": cert("ca.pem")}),
                               name="e1")
        wait_until(lambda: agg.counter("SOURCE.r1", "TlsErrorCount") >= 1, 30,
                   "a refused client")
        bad.kill()
        # A plain-text sink to the TLS source: a TLS error on the source, nothing delivered.
        plain = self.start_agent(edge(self.port, 100, {}), name="e1")
        wait_until(lambda: agg.counter("SOURCE.r1", "TlsErrorCount") >= 2, 30,
                   "a plain-text client refused")
        plain.kill()
        # A sink that does not trust the source (other CA): it refuses to send.
        distrust = self.start_agent(edge(self.port, 100, {
            "ssl": "true", "ssl-ca": cert("other-ca.pem"), "ssl-cert": cert("client.pem"),
            "ssl-key": cert("client.key")}), name="e1")
        wait_until(lambda: "certificate verify failed" in distrust.log_text(), 30,
                   "the sink to refuse the certificate")
        distrust.kill()
        self.assertEqual(read_lines(self.out), [])
        # With its certificate, everything arrives.
        self.start_agent(edge(self.port, 3000, {
            "ssl": "true", "ssl-ca": cert("ca.pem"), "ssl-cert": cert("client.pem"),
            "ssl-key": cert("client.key")}), name="e1")
        wait_until(lambda: len(read_lines(self.out)) == 3000, 60, "3000 events over mTLS")

    def test_the_token_never_crosses_in_plain_text(self):
        # A TCP relay between sink and source records every byte.
        agg = self.aggregator()
        relay_port = free_port()
        capture = self.path("wire.bin")
        relay = subprocess.Popen(
            ["python3", "-c", RELAY, str(relay_port), str(self.port), capture])
        try:
            wait_until(lambda: os.path.exists(capture), 10, "the relay")
            self.start_agent(edge(relay_port, 500, {"ssl": "true", "ssl-ca": cert("ca.pem")}),
                             name="e1")
            wait_until(lambda: len(read_lines(self.out)) == 500, 60, "500 events")
        finally:
            relay.kill()
            relay.wait()
        with open(capture, "rb") as f:
            wire = f.read()
        self.assertGreater(len(wire), 1000)
        self.assertNotIn(b"s3cret-token", wire)
        # Nor do the events: the file_roll output holds "42", the wire only ciphertext records.
        self.assertEqual(wire[:1], b"\x16")  # a TLS handshake record opens the stream
        self.assertEqual(agg.counter("SOURCE.r1", "EventAcceptedCount"), 500)

    def test_check_warns_about_a_token_without_tls_and_refuses_a_jks_truststore(self):
        conf = self.path("check.conf")
        with open(conf, "w") as f:
            f.write(edge(free_port(), 10, {}))
        r = self.run_flumen("check", "-f", conf, "-n", "e1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("a token is set without TLS", r.stdout + r.stderr)
        jks = self.path("trust.jks")
        with open(jks, "wb") as f:
            f.write(b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + b"\x00" * 64)
        with open(conf, "w") as f:
            f.write(edge(free_port(), 10, {"ssl": "true", "truststore": jks,
                                           "truststore-type": "JKS"}))
        r = self.run_flumen("check", "-f", conf, "-n", "e1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("JKS Java keystore", r.stdout + r.stderr)
        self.assertIn("set ssl-ca", r.stdout + r.stderr)
        self.assertNotIn("a token is set without TLS", r.stdout + r.stderr)


RELAY = r"""
import socket, sys, threading
listen, target, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen)); srv.listen(8)
out = open(path, "wb"); lock = threading.Lock()
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            with lock:
                out.write(d); out.flush()
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
"""

if __name__ == "__main__":
    unittest.main()
