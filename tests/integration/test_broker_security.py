"""The broker's TLS and SASL listeners in Kafka's key names (listeners=SASL_SSL://..., PEM
ssl.keystore.location, sasl.enabled.mechanisms, users from sasl.users.file or JAAS user_
entries), with real clients: kcat (librdkafka, SaslHandshake v1 + SaslAuthenticate, PLAIN and
SCRAM-SHA-256/512), kafka-python 2.0.2 (SaslHandshake v0 then bare tokens) and kafkajs 2.2.4
(its own SASL and TLS stack: PLAIN, SCRAM-SHA-256/512). Also
ssl.client.auth=required, delete.topic.enable and auto.create.topics.enable. The test CA is made
at test time."""
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import textwrap
import time
import unittest
import urllib.request

from flumen_harness import FLUMEN, SOURCE_DIR, AgentTestCase, free_port, wait_until

CERTS = None
DEBIAN_PYTHON = "/usr/bin/python3"  # python3-kafka is installed for Debian's interpreter


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="flumen-certs-")
    subprocess.run([os.path.join(SOURCE_DIR, "tests", "tools", "make_test_certs.sh"), CERTS],
                   check=True)
    with open(os.path.join(CERTS, "keystore.pem"), "w") as out:
        for part in ("server.key", "server.pem"):
            with open(os.path.join(CERTS, part)) as f:
                out.write(f.read())


def tearDownModule():
    shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


class SecureBrokerTest(AgentTestCase):
    def start_broker(self, extra="", listeners=("PLAINTEXT", "SASL_SSL", "SSL", "SASL_PLAINTEXT"),
                     expect_up=True):
        self.ports = {name: free_port() for name in listeners}
        self.metrics_port = free_port()
        users = self.path("users.properties")
        with open(users, "w") as f:
            f.write("# test users\nalice = alice-secret\n")
        conf = self.path("broker.properties")
        with open(conf, "w") as f:
            f.write("listeners=" + ",".join("%s://127.0.0.1:%d" % (n, p)
                                            for n, p in self.ports.items()) + "\n")
            f.write(textwrap.dedent("""\
                ssl.keystore.type=PEM
                ssl.keystore.location=%s
                ssl.truststore.type=PEM
                ssl.truststore.location=%s
                sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
                sasl.users.file=%s
                listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_bob="bob-secret";
                """) % (cert("keystore.pem"), cert("ca.pem"), users))
            f.write(extra)
        self.log_path = self.path("broker.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [FLUMEN, "broker", "--data-dir", self.path("data"), "--conf", conf,
             "--metrics-port", str(self.metrics_port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not expect_up:
            return self.proc.wait(timeout=30)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("broker exited: " + open(self.log_path).read())
            # Every listener and the metrics endpoint: they open one after the other, and a
            # test that reads a metric first must not race the last of them.
            for p in list(self.ports.values()) + [self.metrics_port]:
                socket.create_connection(("127.0.0.1", p), timeout=1).close()
            return True
        wait_until(up, 20, "the broker to listen")

    def tearDown(self):
        if getattr(self, "proc", None) and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        super().tearDown()

    def metric(self, name):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(json.load(r)["BROKER.broker"][name])

    def kcat(self, listener, *args, data=None, ok=True, **props):
        # A refused client retries until its metadata timeout: keep that short when refusal is
        # what the test expects.
        argv = ["kcat", "-b", "127.0.0.1:%d" % self.ports[listener], "-X", "socket.timeout.ms=10000",
                "-m", "15" if ok else "4"]
        for k, v in props.items():
            argv += ["-X", "%s=%s" % (k.replace("_", "."), v)]
        r = subprocess.run(argv + list(args), input=data, capture_output=True, timeout=60)
        if ok:
            with open(self.log_path) as f:
                self.assertEqual(r.returncode, 0, r.stderr.decode() + f.read()[-3000:])
        return r

    def sasl(self, mechanism="PLAIN", user="alice", password="alice-secret", protocol="SASL_SSL"):
        props = {"security_protocol": protocol, "sasl_mechanisms": mechanism,
                 "sasl_username": user, "sasl_password": password}
        if protocol.endswith("SSL"):
            props["ssl_ca_location"] = cert("ca.pem")
        return props

    def test_sasl_ssl_with_plain_and_scram_users_from_the_file_and_jaas(self):
        self.start_broker()
        lines = b"".join(b"secure-%d\n" % i for i in range(200))
        self.kcat("SASL_SSL", "-P", "-t", "s1", data=lines, **self.sasl())
        for mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            for user, pw in (("alice", "alice-secret"), ("bob", "bob-secret")):
                r = self.kcat("SASL_SSL", "-C", "-t", "s1", "-o", "beginning", "-e", "-q",
                              **self.sasl(mech, user, pw))
                self.assertEqual(r.stdout, lines, "%s as %s" % (mech, user))
        failures = self.metric("AuthenticationFailureCount")
        for mech in ("PLAIN", "SCRAM-SHA-256"):
            r = self.kcat("SASL_SSL", "-L", ok=False, **self.sasl(mech, "alice", "wrong"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"uthentication", r.stderr)
        self.assertGreaterEqual(self.metric("AuthenticationFailureCount"), failures + 2)
        # The same data over plain SSL (no SASL on that listener), and the metadata of each
        # listener names that listener's port.
        r = self.kcat("SSL", "-L", "-J", security_protocol="SSL", ssl_ca_location=cert("ca.pem"))
        self.assertEqual(json.loads(r.stdout)["brokers"][0]["name"],
                         "127.0.0.1:%d" % self.ports["SSL"])
        r = self.kcat("SASL_SSL", "-L", "-J", **self.sasl())
        self.assertEqual(json.loads(r.stdout)["brokers"][0]["name"],
                         "127.0.0.1:%d" % self.ports["SASL_SSL"])
        r = self.kcat("SSL", "-C", "-t", "s1", "-o", "beginning", "-e", "-q",
                      security_protocol="SSL", ssl_ca_location=cert("ca.pem"))
        self.assertEqual(r.stdout, lines)
        # SASL_PLAINTEXT works too (and the broker warned about it at start).
        r = self.kcat("SASL_PLAINTEXT", "-C", "-t", "s1", "-o", "beginning", "-e", "-q",
                      **self.sasl(protocol="SASL_PLAINTEXT"))
        self.assertEqual(r.stdout, lines)
        with open(self.log_path) as f:
            self.assertIn("SASL passwords in plain text", f.read())

    def test_a_client_that_skips_sasl_is_closed_before_any_request_runs(self):
        self.start_broker()
        before = self.metric("AuthenticationFailureCount")
        ctx = ssl.create_default_context(cafile=cert("ca.pem"))
        with socket.create_connection(("127.0.0.1", self.ports["SASL_SSL"]), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                # Metadata v1 for every topic, without SaslHandshake first.
                body = struct.pack(">hhih", 3, 1, 7, 1) + b"x" + struct.pack(">i", -1)
                s.sendall(struct.pack(">i", len(body)) + body)
                self.assertEqual(s.recv(4096), b"")  # closed, no answer
        wait_until(lambda: self.metric("AuthenticationFailureCount") == before + 1, 10)
        # A plain-text Kafka client on the TLS port is a TLS error, not a crash.
        r = self.kcat("SASL_SSL", "-L", ok=False, security_protocol="PLAINTEXT")
        self.assertNotEqual(r.returncode, 0)
        wait_until(lambda: self.metric("TlsErrorCount") >= 1, 10)
        self.kcat("SASL_SSL", "-L", **self.sasl())

    def test_kafka_python_over_sasl_ssl(self):
        self.start_broker()
        script = textwrap.dedent("""
            import sys
            from kafka import KafkaConsumer, KafkaProducer
            port, ca, password = sys.argv[1], sys.argv[2], sys.argv[3]
            common = dict(bootstrap_servers="127.0.0.1:" + port, security_protocol="SASL_SSL",
                          ssl_cafile=ca, sasl_mechanism="PLAIN", sasl_plain_username="alice",
                          sasl_plain_password=password, api_version=(2, 0, 0))
            p = KafkaProducer(**common)
            for i in range(100):
                p.send("kp", b"kp-%d" % i)
            p.flush()
            p.close()
            c = KafkaConsumer("kp", auto_offset_reset="earliest", consumer_timeout_ms=5000,
                              **common)
            got = [m.value for m in c]
            c.close()
            assert got == [b"kp-%d" % i for i in range(100)], got[:5]
            print("ok", len(got))
            """)
        r = subprocess.run([DEBIAN_PYTHON, "-c", script, str(self.ports["SASL_SSL"]),
                            cert("ca.pem"), "alice-secret"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok 100", r.stdout)
        r = subprocess.run([DEBIAN_PYTHON, "-c", script, str(self.ports["SASL_SSL"]),
                            cert("ca.pem"), "not-it"],
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)

    def test_kafkajs_over_sasl_ssl_with_every_mechanism(self):
        self.start_broker()
        script = os.path.join(SOURCE_DIR, "tests", "integration", "kafkajs", "secure.js")

        def run(mechanism, user, password):
            r = subprocess.run(["node", script, "127.0.0.1:%d" % self.ports["SASL_SSL"],
                                "js-" + mechanism, mechanism, user, password, cert("ca.pem")],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            return json.loads(r.stdout.strip().splitlines()[-1])
        for mechanism in ("plain", "scram-sha-256", "scram-sha-512"):
            with self.subTest(mechanism=mechanism):
                r = run(mechanism, "alice", "alice-secret")
                self.assertNotIn("error", r, r)
                self.assertEqual(sorted(r["consumed"]),
                                 sorted("%s-%d" % (mechanism, i) for i in range(100)))
                refused = run(mechanism, "alice", "wrong")
                self.assertEqual(refused.get("error"), "KafkaJSSASLAuthenticationError", refused)
        # The JAAS user of the listener works as well.
        self.assertNotIn("error", run("plain", "bob", "bob-secret"))

    def test_flumes_kafka_sink_keys_reach_a_sasl_ssl_broker(self):
        self.start_broker()
        conf = textwrap.dedent("""\
            a1.sources = r1
            a1.channels = c1
            a1.sinks = k1
            a1.sources.r1.type = seq
            a1.sources.r1.totalEvents = 500
            a1.sources.r1.channels = c1
            a1.channels.c1.type = memory
            a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
            a1.sinks.k1.channel = c1
            a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:%d
            a1.sinks.k1.kafka.topic = from-flume-keys
            a1.sinks.k1.kafka.producer.security.protocol = SASL_SSL
            a1.sinks.k1.kafka.producer.sasl.mechanism = SCRAM-SHA-512
            a1.sinks.k1.kafka.producer.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";
            a1.sinks.k1.kafka.producer.ssl.truststore.type = PEM
            a1.sinks.k1.kafka.producer.ssl.truststore.location = %s
            """) % (self.ports["SASL_SSL"], cert("ca.pem"))
        agent = self.start_agent(conf)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 500, 60,
                   "500 events through the kafka sink over SASL_SSL")
        r = self.kcat("SASL_SSL", "-C", "-t", "from-flume-keys", "-o", "beginning", "-e", "-q",
                      **self.sasl())
        self.assertEqual(sorted(int(x) for x in r.stdout.split()), list(range(500)))

    def test_ssl_client_auth_required_refuses_clients_without_a_certificate(self):
        self.start_broker("ssl.client.auth=required\n", listeners=("SSL",))
        r = self.kcat("SSL", "-L", ok=False, security_protocol="SSL",
                      ssl_ca_location=cert("ca.pem"))
        self.assertNotEqual(r.returncode, 0)
        self.kcat("SSL", "-L", security_protocol="SSL", ssl_ca_location=cert("ca.pem"),
                  ssl_certificate_location=cert("client.pem"), ssl_key_location=cert("client.key"))
        r = self.kcat("SSL", "-L", ok=False, security_protocol="SSL",
                      ssl_ca_location=cert("ca.pem"), ssl_certificate_location=cert("rogue.pem"),
                      ssl_key_location=cert("rogue.key"))
        self.assertNotEqual(r.returncode, 0)

    def test_delete_topic_and_auto_create_switches(self):
        self.start_broker("delete.topic.enable=false\nauto.create.topics.enable=false\n",
                          listeners=("PLAINTEXT",))
        script = textwrap.dedent("""
            import sys
            from kafka.admin import KafkaAdminClient, NewTopic
            a = KafkaAdminClient(bootstrap_servers="127.0.0.1:" + sys.argv[1])
            a.create_topics([NewTopic("made", 1, 1)])
            try:
                # kafka-python 2.0.2 hands back the response (it has no name for error 73).
                print("answer", a.delete_topics(["made"]))
            except Exception as e:
                print("raised", repr(e))
            print(sorted(a.list_topics()))
            """)
        r = subprocess.run([DEBIAN_PYTHON, "-c", script, str(self.ports["PLAINTEXT"])],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"made', 73|error_code=73|73")
        self.assertIn("'made'", r.stdout)
        # No auto-creation: producing to an unknown topic fails, the created one works.
        r = self.kcat("PLAINTEXT", "-P", "-t", "never-made", data=b"x\n", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.kcat("PLAINTEXT", "-P", "-t", "made", data=b"y\n")
        r = self.kcat("PLAINTEXT", "-L", "-J")
        topics = [t["topic"] for t in json.loads(r.stdout)["topics"]]
        self.assertEqual(topics, ["made"])

    def test_a_java_keystore_is_refused_naming_the_pem_keys(self):
        conf = self.path("jks.properties")
        with open(conf, "w") as f:
            f.write("listeners=SSL://127.0.0.1:%d\nssl.keystore.type=PKCS12\n"
                    "ssl.keystore.location=%s\nssl.keystore.password=secret\n"
                    % (free_port(), cert("server.p12")))
        r = subprocess.run([FLUMEN, "broker", "--data-dir", self.path("d2"), "--conf", conf],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PKCS12 Java keystore", r.stdout + r.stderr)
        self.assertIn("ssl.keystore.type = PEM with ssl.keystore.location", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
