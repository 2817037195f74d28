"""@platformatic/kafka 1.35 (npm) against the bundled broker. It implements only the flexible
versions of the protocol (KIP-482: compact strings and arrays, tagged fields, request header v2)
and Fetch by topic id (v13+): produce with each codec it supports on this Node.js (zstd needs a
newer one), a consumer group that commits each message, a broker restart and a group that
resumes after its commit, and the admin client (create, list, list groups with their state,
describe groups, delete)."""
import os
import unittest

from test_broker import ClientTestCase

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "platformatic", "client.mjs")


class PlatformaticKafkaTest(ClientTestCase):
    def node(self, *args, ok=True):
        return self.run_client(["node", CLIENT] + list(args), ok)

    def test_codecs_group_commit_restart_resume_and_admin(self):
        codecs = ["none", "gzip", "snappy", "lz4"]
        for codec in codecs:
            self.assertEqual(self.node("produce", self.addr, "cars", 100, codec),
                             {"produced": 100})
        first = self.node("consume", self.addr, "cars", "fleet", 400)
        self.assertEqual(sorted(first["values"]),
                         sorted("%s-%d" % (c, i) for c in codecs for i in range(100)))
        self.restart_broker()
        self.assertEqual(self.node("produce", self.addr, "cars", 30, "gzip"), {"produced": 30})
        resumed = self.node("consume", self.addr, "cars", "fleet", 30)
        self.assertEqual(sorted(resumed["values"]), sorted("gzip-%d" % i for i in range(30)),
                         "the group resumes after its commit, not from the start")
        a = self.node("admin", self.addr, "managed", "fleet")
        self.assertEqual(a["created"], [["managed", 3]])
        self.assertTrue(a["listed"])
        self.assertIn("fleet", a["groups"])
        self.assertEqual(a["group_state"], "EMPTY", "every member left")
        self.assertFalse(a["listed_after"])


if __name__ == "__main__":
    unittest.main()
