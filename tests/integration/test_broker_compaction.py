"""Log compaction in the bundled broker with a real client (kcat, on librdkafka): a compacted topic
holding every smart car's latest status, cleaned in the background while it is written; a record
without a key is refused."""
import os
import socket
import struct
import subprocess
import threading
import time
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
        self.metrics_port = free_port()
        self.broker = Broker(self.workdir, self.path("data"), self.port, conf,
                             metrics_port=self.metrics_port)

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

    def test_api_versions_is_answered_promptly_while_compaction_and_produce_run(self):
        # librdkafka's 0077_compaction, run beside other tests, once saw an ApiVersions request
        # unanswered for 10 s: nothing on the broker's loop thread (a clean's swap, a sync
        # round, a roll) may hold every connection that long. ApiVersions is probed on one
        # connection every 20 ms while acks=all producers write compacted topics of 4 KiB
        # segments and the cleaner cleans them.
        latencies, stop = [], threading.Event()

        def probe():
            s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            req = struct.pack(">hhih", 18, 0, 1, 5) + b"probe"
            try:
                while not stop.is_set():
                    started = time.monotonic()
                    s.sendall(struct.pack(">i", len(req)) + req)
                    size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
                    s.recv(size, socket.MSG_WAITALL)
                    latencies.append(time.monotonic() - started)
                    time.sleep(0.02)
            finally:
                s.close()
        prober = threading.Thread(target=probe)
        prober.start()
        try:
            failures = []

            deadline = time.monotonic() + 20

            def produce(topic):
                round_ = 0
                while time.monotonic() < deadline:
                    round_ += 1
                    lines = b"".join(b"k%04d:v-%04d-%s\n" % (k, round_, b"x" * 100)
                                     for k in range(1000))
                    r = self.kcat("-P", "-t", topic, "-K", ":", "-X", "acks=all", data=lines,
                                  check=False)
                    if r.returncode != 0:
                        failures.append(r.stderr.decode(errors="replace"))
                        return
            producers = [threading.Thread(target=produce, args=("load-%d" % n,))
                         for n in range(3)]
            for t in producers:
                t.start()
            for t in producers:
                t.join()
            self.assertEqual(failures, [])
            wait_until(lambda: int(self.broker.metrics()["CleanerRunCount"]) >= 3, timeout=60,
                       what="the cleaner to run")
        finally:
            stop.set()
            prober.join()
        m = self.broker.metrics()
        latencies.sort()
        worst, p99 = latencies[-1], latencies[int(len(latencies) * 0.99)]
        print("ApiVersions during compaction and produce: %d probes, p99 %.1f ms, max %.1f ms; "
              "cleaner runs %s, longest swap %s us, fsync rounds %s"
              % (len(latencies), p99 * 1000, worst * 1000, m["CleanerRunCount"],
                 m["CleanerMaxSwapMicros"], m["FsyncCount"]))
        self.assertLess(worst, 2.0, "an ApiVersions waited %.1f s" % worst)


if __name__ == "__main__":
    unittest.main()
