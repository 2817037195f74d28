"""Sarama 1.22 (Debian's golang-github-shopify-sarama-dev, built in GOPATH mode: no module proxy)
against the bundled broker: produce with each codec it can send to a Kafka 2.1+ broker, a
consumer group that commits (OffsetCommit v1 in this Sarama), a broker restart and a group that
resumes after its commit; the cluster admin (CreateTopic with configs and an unknown one
refused, ListTopics, which sends Metadata v0 first, DescribeConfig, DescribeTopics,
DeleteTopic)."""
import os
import shutil
import unittest

from debian_go import build_go_client
from test_broker import ClientTestCase

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sarama", "client.go")


class SaramaTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin_dir, cls.client_bin = build_go_client(SOURCE, "sarama-client")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.bin_dir, ignore_errors=True)

    def client(self, *args, ok=True):
        return self.run_client([self.client_bin] + list(args), ok)

    def test_codecs_group_commit_restart_and_resume(self):
        codecs = ["none", "gzip", "snappy", "lz4"]
        for codec in codecs:
            self.assertEqual(self.client("produce", self.addr, "cars", 200, codec),
                             {"produced": 200})
        # This Sarama sends zstd in Produce v3; Kafka accepts zstd from v7 only and answers
        # UNSUPPORTED_COMPRESSION_TYPE, and so does the broker: an explicit refusal, nothing
        # stored.
        refused = self.client("produce", self.addr, "cars", 10, "zstd", ok=False)
        self.assertNotEqual(refused.returncode, 0)
        first = self.client("consume", self.addr, "cars", "fleet", 800)
        self.assertEqual(sorted(first["values"]),
                         sorted("%s-%d" % (c, i) for c in codecs for i in range(200)))
        self.restart_broker()
        self.assertEqual(self.client("produce", self.addr, "cars", 50, "gzip"), {"produced": 50})
        resumed = self.client("consume", self.addr, "cars", "fleet", 50)
        self.assertEqual(sorted(resumed["values"]), sorted("gzip-%d" % i for i in range(50)),
                         "the group resumes after its commit, not from the start")

    def test_cluster_admin(self):
        r = self.client("admin", self.addr, "managed")
        self.assertEqual(r["partitions"], 3)
        self.assertEqual(r["metadata_partitions"], 3)
        self.assertEqual(r["described"], {"retention.ms": "3600000"})
        self.assertEqual(r["listed_configs"].get("retention.ms"), "3600000")
        self.assertIn("unknown topic config no.such.config", r["bad_config"])
        self.assertTrue(r["deleted"])


if __name__ == "__main__":
    unittest.main()
