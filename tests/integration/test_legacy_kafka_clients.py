"""Clients of the pre-0.11 message format (magic 0 and 1: Produce v0-2, Fetch v0-3) against the
bundled broker, which converts as Kafka 3.x does: kafka-node 5 (npm) and kafka-go 0.2.1 (Debian's,
built in GOPATH mode), which speak nothing newer, kafka-python pinned to api_version 0.9 and 0.10.1, and kcat (librdkafka) with the version probe
off and broker.version.fallback 0.9.0.1 or 0.10.0.0. What old producers write, old and new consumers read, and the other way round; LZ4 at
magic 0 (whose frame checksum Kafka got wrong before 0.10) is refused with one warning."""
import os
import shutil
import subprocess
import unittest

from debian_go import build_go_client
from test_broker import ClientTestCase

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka_python", "client.py")
DEBIAN_PYTHON = "/usr/bin/python3"
KAFKA_NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka_node", "client.js")
KAFKA_GO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka_go", "client.go")

OLD_KCAT = {
    "0.9": ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.9.0.1"],
    "0.10": ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.10.0.0"],
}


class LegacyKafkaClientsTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin_dir, cls.kafka_go = build_go_client(KAFKA_GO, "kafka-go-client")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.bin_dir, ignore_errors=True)

    def kcat(self, *args, data=None, ok=True):
        r = subprocess.run(["kcat", "-b", self.addr] + list(args), input=data,
                           capture_output=True, timeout=120)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:] +
                             self.broker.log_text()[-2000:])
        return r

    def consume_all(self, topic, *extra, fmt="%k=%s %T\\n"):
        out = self.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt,
                        *extra).stdout.decode()
        return [line for line in out.splitlines() if line]

    def test_kafka_node_produces_and_consumes_as_a_group_that_resumes(self):
        for codec in ("none", "gzip"):
            self.assertEqual(self.run_client(["node", KAFKA_NODE, "produce", self.addr, "cars",
                                              150, codec])["produced"], 150)
        first = self.run_client(["node", KAFKA_NODE, "consume", self.addr, "cars", "fleet", 300])
        self.assertEqual(sorted(first["values"]),
                         sorted("%s-%d" % (c, i) for c in ("none", "gzip") for i in range(150)))
        self.run_client(["node", KAFKA_NODE, "produce", self.addr, "cars", 10, "gzip"])
        resumed = self.run_client(["node", KAFKA_NODE, "consume", self.addr, "cars", "fleet", 10])
        self.assertEqual(sorted(resumed["values"]), sorted("gzip-%d" % i for i in range(10)),
                         "the group resumes after its commit")
        self.assertEqual(len(self.consume_all("cars")), 310)
        self.assertNotIn("refusing", self.broker.log_text())

    def test_kafka_go_every_codec_and_a_group_that_resumes(self):
        codecs = ("none", "gzip", "snappy", "lz4")
        for codec in codecs:
            self.assertEqual(self.run_client([self.kafka_go, "produce", self.addr, "cars", 100,
                                              codec]), {"produced": 100})
        first = self.run_client([self.kafka_go, "consume", self.addr, "cars", "fleet", 400])
        self.assertEqual(sorted(first["values"]),
                         sorted("%s-%d" % (c, i) for c in codecs for i in range(100)))
        self.run_client([self.kafka_go, "produce", self.addr, "cars", 10, "snappy"])
        resumed = self.run_client([self.kafka_go, "consume", self.addr, "cars", "fleet", 10])
        self.assertEqual(sorted(resumed["values"]), sorted("snappy-%d" % i for i in range(10)),
                         "the group resumes after its commit")
        self.assertNotIn("refusing", self.broker.log_text())

    def test_kafka_python_at_0_9_and_0_10_1_produce_and_consume_as_a_group(self):
        for version, codecs in (("0.9", "none,gzip,snappy"), ("0.10.1", "none,gzip,snappy,lz4")):
            with self.subTest(version=version):
                topic = "old-%s" % version.replace(".", "-")
                r = self.run_client([DEBIAN_PYTHON, CLIENT, "legacy", self.addr, topic, version,
                                     codecs, "g-" + topic])
                expected = ["%s-%d" % (c, i) for c in codecs.split(",") for i in range(40)]
                self.assertEqual(sorted(r["values"]), sorted(expected))
                self.assertEqual(len(set(map(tuple, r["offsets"]))), len(expected),
                                 "every record at its own offset")
                self.assertEqual(r["committed"], len(expected))
                if version == "0.10.1":  # magic 1 carries CreateTime
                    self.assertEqual(sorted(set(r["timestamps"])),
                                     [1_600_000_000_000 + i for i in range(40)])
                # A current client reads the converted batches too.
                self.assertEqual(len(self.consume_all(topic)), len(expected))
        self.assertNotIn("refusing", self.broker.log_text())

    def test_kcat_with_old_broker_versions_every_codec_both_ways(self):
        for version, codecs in (("0.9", ("none", "gzip", "snappy")),
                                ("0.10", ("none", "gzip", "snappy", "lz4"))):
            for codec in codecs:
                with self.subTest(version=version, codec=codec):
                    topic = "k-%s-%s" % (version.replace(".", "-"), codec)
                    lines = b"".join(b"car-%d:%s-%d\n" % (i % 5, codec.encode(), i)
                                     for i in range(300))
                    self.kcat(*OLD_KCAT[version], "-P", "-t", topic, "-K", ":", "-z", codec,
                              data=lines)
                    old = self.consume_all(topic, *OLD_KCAT[version])
                    new = self.consume_all(topic)
                    want = sorted("car-%d=%s-%d" % (i % 5, codec, i) for i in range(300))
                    self.assertEqual(sorted(l.split(" ")[0] for l in old), want)
                    self.assertEqual(sorted(l.split(" ")[0] for l in new), want)
                    if version == "0.10":
                        self.assertTrue(all(int(l.split(" ")[1]) > 0 for l in old), old[:3])
        # What a current producer wrote (zstd, headers) is served to an old consumer as messages.
        data = b"".join(b"z%d\n" % i for i in range(200))
        self.kcat("-P", "-t", "modern", "-z", "zstd", "-H", "h=1", data=data)
        for version in OLD_KCAT:
            got = self.consume_all("modern", *OLD_KCAT[version], fmt="%s\\n")
            self.assertEqual(sorted(got), sorted("z%d" % i for i in range(200)), version)

    def test_lz4_at_magic_0_is_refused_once_with_the_reason(self):
        # One message set of all 50: librdkafka sends a set uncompressed when compression does
        # not make it smaller (a lone "x0" flushed by the default 5 ms linger on a loaded CI
        # machine), and the broker rightly accepts that one.
        r = self.kcat(*OLD_KCAT["0.9"], "-P", "-t", "lz4-old", "-z", "lz4", "-X", "linger.ms=1000",
                      data=b"".join(b"x%d\n" % i for i in range(50)), ok=False)
        self.assertNotEqual(r.returncode, 0, "the delivery failed")
        log = self.broker.log_text()
        self.assertIn("refusing a pre-0.11 message set for lz4-old", log)
        self.assertIn("LZ4 in a magic-0 message", log)
        self.assertEqual(self.consume_all("lz4-old"), [])
        # The broker still serves the same client with another codec.
        self.kcat(*OLD_KCAT["0.9"], "-P", "-t", "lz4-old", "-z", "gzip", data=b"fine\n")
        self.assertEqual(self.consume_all("lz4-old", fmt="%s\\n"), ["fine"])


if __name__ == "__main__":
    unittest.main()
