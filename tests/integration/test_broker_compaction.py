"""Log compaction in the bundled broker with a real client (kcat, on librdkafka): a compacted topic
holding every smart car's latest status, cleaned in the background while it is written; a record
without a key is refused."""
import os
import subprocess
import unittest

from flumen_harness import AgentTestCase, free_port, wait_until
from test_broker import Broker

CARS = 100
UPDATES = 20


class BrokerCompactionTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        conf = self.path("broker.properties")
        with open(conf, "w") as f:
            f.write("log.cleanup.policy=compact\nlog.segment.bytes=4096\n"
                    "log.cleaner.backoff.ms=100\nlog.cleaner.min.cleanable.ratio=0.01\n")
        self.broker = Broker(self.workdir, self.path("data"), self.port, conf)

    def tearDown(self):
        if self.broker.proc.poll() is None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        super().tearDown()

    def kcat(self, *args, data=None, check=True):
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port] + list(args), input=data,
                           capture_output=True, timeout=120)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r

    def records(self):
        out = self.kcat("-C", "-t", "cars", "-o", "beginning", "-e", "-q", "-X",
                        "check.crcs=true", "-f", "%o %k %s\\n").stdout.decode()
        return [tuple(line.split(" ")) for line in out.splitlines()]

    def test_every_car_keeps_its_latest_status(self):
        for round_ in range(UPDATES):
            lines = b"".join(b"car-%03d:status-%02d-%s\n" % (car, round_, b"x" * 40)
                             for car in range(CARS))
            self.kcat("-P", "-t", "cars", "-K", ":", "-z", "zstd" if round_ % 2 else "none",
                      data=lines)
        produced = CARS * UPDATES

        def cleaned():
            return len(self.records()) < CARS * 3
        wait_until(cleaned, timeout=60, what="the cleaner to compact the topic")
        recs = self.records()
        offsets = [int(o) for o, _, _ in recs]
        self.assertEqual(offsets, sorted(set(offsets)), "offsets stay unique and in order")
        self.assertEqual(offsets[-1], produced - 1, "the log end does not move")
        latest = {}
        for _, key, value in recs:
            latest[key] = value
        self.assertEqual(len(latest), CARS)
        for car in range(CARS):
            self.assertTrue(latest["car-%03d" % car].startswith("status-%02d-" % (UPDATES - 1)))
        # Below the uncleaned tail, each car appears once.
        tail = [k for _, k, _ in recs][CARS:]
        self.assertLess(len(tail), CARS * 2)

        # Consuming from a removed offset starts at the next one left.
        r = self.kcat("-C", "-t", "cars", "-o", "5", "-c", "1", "-e", "-q", "-f", "%o\\n")
        self.assertGreaterEqual(int(r.stdout.decode().strip()), 5)

        # A record without a key is refused.
        r = self.kcat("-P", "-t", "cars", "-X", "message.send.max.retries=0", data=b"no-key\n",
                      check=False)
        self.assertIn("failed to validate record", r.stderr.decode(errors="replace"))  # INVALID_RECORD

        # After a kill -9 and a restart, the same records.
        before = self.records()
        self.broker.proc.kill()
        self.broker.proc.wait()
        self.broker = Broker(self.workdir, self.path("data"), self.port,
                             self.path("broker.properties"))
        self.assertEqual(self.records(), before)


if __name__ == "__main__":
    unittest.main()
