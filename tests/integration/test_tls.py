"""TLS on the listeners: the http source (Flume's ssl keys, PEM files, mutual TLS), the metrics
endpoint (-Dflumen.monitoring.tls.*), and `flumen check` naming the PEM keys when a Java
keystore is configured. The test CA is made at test time (tests/tools/make_test_certs.sh)."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from flumen_harness import SOURCE_DIR, AgentTestCase, free_port, wait_until

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


def client_context(with_cert=None):
    ctx = ssl.create_default_context(cafile=cert("ca.pem"))
    if with_cert:
        ctx.load_cert_chain(cert(with_cert + ".pem"), cert(with_cert + ".key"))
    return ctx


HTTP_CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
{tls}
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
"""


def post(url, body, ctx):
    req = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
        return r.status


class HttpSourceTlsTest(AgentTestCase):
    def conf(self, **tls):
        self.port = free_port()
        lines = "\n".join("a1.sources.r1.%s = %s" % (k.replace("_", "-"), v)
                          for k, v in tls.items())
        return HTTP_CONF.format(port=self.port, tls=lines)

    def test_https_posts_are_committed_and_plain_http_is_refused(self):
        agent = self.start_agent(self.conf(ssl="true", ssl_cert=cert("server.pem"),
                                           ssl_key=cert("server.key")))
        body = json.dumps([{"headers": {}, "body": "e%d" % i} for i in range(20)]).encode()
        url = "https://localhost:%d/" % self.port
        self.assertEqual(post(url, body, client_context()), 200)
        wait_until(lambda: agent.counter("SOURCE.r1", "EventAcceptedCount") == 20, 20,
                   "20 events over HTTPS")
        # A client that does not trust our CA refuses the server.
        with self.assertRaises(urllib.error.URLError):
            post(url, body, ssl.create_default_context())
        # Plain HTTP to the TLS port: closed, counted, nothing accepted.
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, data=body, timeout=10)
        wait_until(lambda: agent.counter("SOURCE.r1", "TlsErrorCount") >= 1, 20, "TLS errors")
        self.assertEqual(agent.counter("SOURCE.r1", "EventAcceptedCount"), 20)
        # Keep-alive over TLS: several requests on one connection.
        ctx = client_context()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                one = b'[{"headers":{},"body":"k"}]'
                req = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(one)) + one
                s.sendall(req * 3)
                got = b""
                while got.count(b"HTTP/1.1 200") < 3:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                self.assertEqual(got.count(b"HTTP/1.1 200"), 3, got)
        wait_until(lambda: agent.counter("SOURCE.r1", "EventAcceptedCount") == 23, 20)

    def test_flume_keystore_key_takes_a_pem_file_with_an_encrypted_key(self):
        combined = self.path("keystore.pem")
        with open(combined, "w") as out:
            for part in ("server.pem", "server-enc.key"):
                with open(cert(part)) as f:
                    out.write(f.read())
        agent = self.start_agent(self.conf(ssl="true", keystore=combined,
                                           keystore_password="secret", keystore_type="PEM"))
        self.assertEqual(post("https://localhost:%d/" % self.port, b"[]", client_context()), 200)
        agent.stop()

    def test_mutual_tls_needs_a_client_certificate_from_the_ca(self):
        agent = self.start_agent(self.conf(ssl="true", ssl_cert=cert("server.pem"),
                                           ssl_key=cert("server.key"), ssl_ca=cert("ca.pem"),
                                           ssl_client_auth="true"))
        url = "https://localhost:%d/" % self.port
        for ctx in (client_context(), client_context("rogue")):
            with self.assertRaises((urllib.error.URLError, ConnectionError, ssl.SSLError)):
                post(url, b'[{"headers":{},"body":"no"}]', ctx)
        self.assertEqual(post(url, b'[{"headers":{},"body":"yes"}]', client_context("client")),
                         200)
        self.assertEqual(agent.counter("SOURCE.r1", "EventAcceptedCount"), 1)
        wait_until(lambda: agent.counter("SOURCE.r1", "TlsErrorCount") >= 2, 20)

    def test_check_names_the_pem_keys_for_a_java_keystore(self):
        conf = self.path("jks.conf")
        with open(conf, "w") as f:
            f.write(self.conf(ssl="true", keystore=cert("server.p12"), keystore_password="secret",
                              keystore_type="PKCS12"))
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("PKCS12 Java keystore", out)
        self.assertIn("ssl-cert and ssl-key", out)
        # The start fails the same way.
        r = self.run_flumen("agent", "-f", conf, "-n", "a1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PKCS12 Java keystore", r.stdout + r.stderr)
        # ssl = true without any certificate.
        with open(conf, "w") as f:
            f.write(self.conf(ssl="true"))
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ssl = true needs ssl-cert and ssl-key", r.stdout + r.stderr)


class MetricsTlsTest(AgentTestCase):
    def test_metrics_endpoint_serves_https_with_client_certificates(self):
        conf = HTTP_CONF.format(port=free_port(), tls="")
        agent = self.start_agent(conf, wait_ready=False, args=[
            "-Dflumen.monitoring.tls.cert=" + cert("server.pem"),
            "-Dflumen.monitoring.tls.key=" + cert("server.key"),
            "-Dflumen.monitoring.tls.ca=" + cert("ca.pem")])
        url = "https://localhost:%d/metrics" % agent.metrics_port

        def fetch(ctx):
            with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
                return json.load(r)

        m = wait_until(lambda: fetch(client_context("client")), 20, "metrics over HTTPS")
        self.assertIn("SOURCE.r1", m)
        with self.assertRaises((urllib.error.URLError, ConnectionError, ssl.SSLError)):
            fetch(client_context())  # no client certificate
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen("http://127.0.0.1:%d/metrics" % agent.metrics_port, timeout=5)


if __name__ == "__main__":
    unittest.main()
