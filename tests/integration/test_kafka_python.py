"""kafka-python 2.0.2 (Debian's python3-kafka, run by Debian's own python3) against the bundled
broker, with its broker-version probe left on: the probe (ApiVersions v0, then Metadata v0
pipelined behind it) must find the broker every time; produce with every codec it supports;
a consumer group that commits, a broker restart, and a group that resumes after the commit;
offsets for times inside one batch; admin create (with configs, an unknown one refused),
describe configs, alter configs, create partitions, delete; a topic's compression.type."""
import os
import struct
import unittest

from test_broker import ClientTestCase

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka_python", "client.py")
DEBIAN_PYTHON = "/usr/bin/python3"  # python3-kafka is installed for Debian's interpreter


class KafkaPythonTest(ClientTestCase):
    def client(self, *args, ok=True):
        return self.run_client([DEBIAN_PYTHON, CLIENT] + list(args), ok)

    def test_version_probe_finds_the_broker_every_time(self):
        versions = self.client("probe", self.addr, 12)["versions"]
        self.assertEqual(len(versions), 12)
        # (2, 1, 0) or later: zstd, offsets for times and the admin client are all enabled.
        for v in versions:
            self.assertGreaterEqual(tuple(v), (2, 1, 0), versions)
        self.assertEqual(len(set(map(tuple, versions))), 1, versions)

    def test_every_codec_group_commit_restart_and_resume(self):
        codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
        for codec in codecs:
            self.assertEqual(self.client("produce", self.addr, "cars", 200, codec),
                             {"produced": 200})
        first = self.client("consume", self.addr, "cars", "fleet", 1000)
        self.assertEqual(sorted(first["values"]),
                         sorted("%s-%d" % (c, i) for c in codecs for i in range(200)))
        self.assertEqual(first["committed"], 1000)
        self.restart_broker()
        self.assertEqual(self.client("produce", self.addr, "cars", 50, "gzip"), {"produced": 50})
        resumed = self.client("consume", self.addr, "cars", "fleet", 50)
        self.assertEqual(sorted(resumed["values"]), sorted("gzip-%d" % i for i in range(50)),
                         "the group resumes after its commit, not from the start")

    def test_offsets_for_times_inside_one_batch(self):
        answer = self.client("times", self.addr, "stamps")
        # The first record whose timestamp is at or after the one asked for.
        self.assertEqual(answer["500"], [0, 1000])
        self.assertEqual(answer["1500"], [1, 2000])
        self.assertEqual(answer["2000"], [1, 2000])
        self.assertEqual(answer["3500"], [3, 4000])
        self.assertIsNone(answer["4001"])

    def test_admin_create_describe_delete(self):
        r = self.client("admin", self.addr, "managed")
        self.assertEqual(r["created"], [0])
        self.assertEqual(r["bad"], "InvalidConfigurationError", "unknown config refused")
        self.assertTrue(r["listed"])
        self.assertEqual(r["retention.ms"], "3600000", "the topic config is kept")
        self.assertEqual(r["max.message.bytes"], "200000")
        self.assertEqual(r["altered"], [0])
        # AlterConfigs replaces the overrides: max.message.bytes is back to the broker's default.
        self.assertEqual(r["after_alter"], ["7200000", 1])
        # DEFAULT_CONFIG (5), as Apache Kafka says when its conf file does not set the key.
        self.assertEqual(r["max.message.bytes_after_alter"][1], 5)
        self.assertEqual(r["grown"], [0])
        self.assertEqual(r["partitions"], 5)
        self.assertEqual(r["deleted"], [0])
        self.assertFalse(r["listed_after"])

    def test_acl_calls_are_answered_security_disabled(self):
        # The broker has no authorizer: Kafka without one answers every ACL call
        # SECURITY_DISABLED, which the admin client reports per call (before: the APIs were not
        # advertised and the client refused to send them).
        r = self.client("acls", self.addr, "guarded")
        self.assertEqual(r["describe"], "SecurityDisabledError")
        self.assertEqual(r["create"], ["SecurityDisabledError"])
        self.assertEqual(r["delete"], ["SecurityDisabledError"])

    def test_topic_compression_type_recompresses_what_is_produced(self):
        r = self.client("recompressed", self.addr, "statuses", "lz4")
        self.assertEqual(r["created"], [0], "compression.type=lz4 is a valid topic config")
        self.assertEqual(r["values"],
                         [[i, "car-%d" % (i % 3), "status-%d" % i] for i in range(30)])
        codecs = set()
        segment_dir = os.path.join(self.data, "statuses-0")
        for name in os.listdir(segment_dir):
            if name.endswith(".log"):
                with open(os.path.join(segment_dir, name), "rb") as f:
                    codecs |= batch_codecs(f.read())
        self.assertEqual(codecs, {3}, "every stored batch is lz4 (RecordBatch codec 3)")


def batch_codecs(log):
    """The codec (attributes bits 0-2) of every RecordBatch in a segment file."""
    codecs, pos = set(), 0
    while pos + 61 <= len(log):
        (length,) = struct.unpack_from(">i", log, pos + 8)
        (attributes,) = struct.unpack_from(">h", log, pos + 21)
        codecs.add(attributes & 0x7)
        pos += 12 + length
    return codecs


if __name__ == "__main__":
    unittest.main()
