"""kafkajs 2.2.4 (from npm) against the bundled broker: an idempotent producer (InitProducerId
sent to the controller), admin createTopics, a consumer group of two members on a 4-partition
topic that rebalances when one leaves, and committed offsets resumed after a broker restart."""
import json
import os
import subprocess
import unittest

from flumen_harness import AgentTestCase, free_port
from test_broker import Broker

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs", "client.js")


class KafkajsTest(AgentTestCase):
    def node(self, *args):
        r = subprocess.run(["node", CLIENT] + [str(a) for a in args], capture_output=True,
                           text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        return json.loads(r.stdout.strip().splitlines()[-1])

    def test_producer_group_rebalance_and_resume_after_restart(self):
        port = free_port()
        data = self.path("broker")
        broker = Broker(self.workdir, data, port)
        addr = "127.0.0.1:%d" % port
        try:
            self.assertEqual(self.node("produce", addr, "cars", 4000), {"produced": 4000})
            g = self.node("group", addr, "cars", "fleet", 4000)
            self.assertEqual(g["distinct"], 4400)
            self.assertEqual(g["total"], 4400, "each message once in the group")
            self.assertEqual(sorted(g["before"]["a"] + g["before"]["b"]), [0, 1, 2, 3])
            self.assertEqual(set(g["before"]["a"]) & set(g["before"]["b"]), set())
            self.assertEqual(sorted(g["after"]), [0, 1, 2, 3], "the member left took over all")
            self.assertEqual(broker.stop(), 0)
            broker = Broker(self.workdir, data, port)
            subprocess.run(["kcat", "-b", addr, "-P", "-t", "cars", "-K", ":"], check=True,
                           input=b"".join(b"k%d:after-%d\n" % (i, i) for i in range(100)),
                           timeout=60)
            r = self.node("resume", addr, "cars", "fleet")
            self.assertEqual(sorted(r["seen"]), sorted("after-%d" % i for i in range(100)))
        finally:
            if broker.proc.poll() is None:
                broker.stop()


if __name__ == "__main__":
    unittest.main()
