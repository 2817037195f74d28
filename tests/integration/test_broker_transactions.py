"""Transactions (KIP-98) in the bundled broker with librdkafka's transactional producer
(tools/kafka_txn_producer.cc) and kcat as a read_committed consumer: commits and aborts, and a
kill -9 of the broker in the middle of a transaction. After the restart the open transaction of
a producer that initialises again is aborted at once, the one of a producer that never comes
back is aborted when its transaction.timeout.ms passes, and a read_committed consumer is never
stuck meanwhile: it reaches the last stable offset and stops there."""
import os
import signal
import subprocess
import time
import unittest

from flumen_harness import AgentTestCase, free_port, wait_until
from test_broker import PRODUCER, Broker

TXN_PRODUCER = os.path.join(os.path.dirname(PRODUCER), "kafka_txn_producer")


class BrokerTransactionsTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.data = self.path("data")
        self.broker = Broker(self.workdir, self.data, self.port)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.broker.proc.poll() is None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        super().tearDown()

    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def produce(self, txn_id, topic, *args, hold_open=False):
        argv = [TXN_PRODUCER, "--brokers", self.bootstrap(), "--topic", topic, "--txn-id",
                txn_id] + list(args)
        if hold_open:
            p = subprocess.Popen(argv + ["--hold-open"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            self.procs.append(p)
            line = p.stdout.readline()
            self.assertEqual(line.strip(), "open", p.stderr.read() if p.poll() is not None else "")
            return p
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr + self.broker.log_text()[-2000:])
        return r

    def consume(self, topic, isolation="read_committed"):
        # -e: exit at the end of the partition, which for read_committed is the last stable
        # offset. A consumer stuck behind an open transaction would not return.
        started = time.time()
        r = subprocess.run(["kcat", "-C", "-b", self.bootstrap(), "-t", topic, "-o", "beginning",
                            "-e", "-q", "-X", "isolation.level=" + isolation],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines(), time.time() - started

    def test_commits_and_aborts_read_committed(self):
        out = self.path("committed.txt")
        self.produce("app", "orders", "--transactions", "10", "--per-txn", "100",
                     "--abort-every", "3", "--prefix", "o-", "--out", out)
        committed = open(out).read().splitlines()
        self.assertEqual(len(committed), 700)  # transactions 3, 6 and 9 aborted
        read, _ = self.consume("orders")
        self.assertEqual(read, committed)  # in order, once each, nothing aborted
        everything, _ = self.consume("orders", "read_uncommitted")
        self.assertEqual(len(everything), 1000)
        self.assertEqual(sorted(set(everything) - set(read)),
                         sorted("o-%d-%d" % (t, i) for t in (3, 6, 9) for i in range(100)))

    def test_kill_9_in_the_middle_of_transactions(self):
        a_out = self.path("a.txt")
        # "a" commits 3 transactions and leaves a 4th open; "b" (transaction.timeout.ms 4 s)
        # leaves one open and never comes back.
        self.produce("crash-a", "cars", "--transactions", "3", "--per-txn", "50", "--prefix",
                     "a-", "--out", a_out, hold_open=True)
        self.produce("crash-b", "cars", "--transactions", "0", "--per-txn", "50", "--prefix",
                     "b-", "--txn-timeout-ms", "4000", hold_open=True)
        committed = open(a_out).read().splitlines()
        self.assertEqual(len(committed), 150)
        read, took = self.consume("cars")
        self.assertEqual(read, committed)
        self.broker.proc.send_signal(signal.SIGKILL)
        self.broker.proc.wait()
        self.broker.log.close()
        for p in self.procs:
            p.kill()
            p.wait()
        self.broker = Broker(self.workdir, self.data, self.port)
        # Both transactions are still open after the restart: the consumer stops before them.
        read, took = self.consume("cars")
        self.assertEqual(read, committed)
        self.assertLess(took, 30)
        everything, _ = self.consume("cars", "read_uncommitted")
        self.assertEqual(len(everything), 250)
        # "a" initialises again: its open transaction is aborted; it commits a new one.
        a2_out = self.path("a2.txt")
        self.produce("crash-a", "cars", "--transactions", "1", "--per-txn", "50", "--prefix",
                     "a2-", "--out", a2_out)
        committed += open(a2_out).read().splitlines()
        # "b"'s transaction is aborted by its timeout (counted from before the crash); until
        # then the consumer stops at b's first record, after that it sees a2's records.
        wait_until(lambda: self.consume("cars")[0] == committed, 30,
                   "the read_committed consumer to see the new transaction")
        self.assertIn("aborting transaction crash-b", self.broker.log_text())
        everything, _ = self.consume("cars", "read_uncommitted")
        self.assertEqual(len(everything), 300)
        self.assertEqual(len([v for v in everything if v.startswith(("a-4-", "b-1-"))]), 100)
        # And once more across a clean restart: the aborted ranges come back from the log.
        self.broker.stop()
        self.broker = Broker(self.workdir, self.data, self.port)
        self.assertEqual(self.consume("cars")[0], committed)

    def test_a_zombie_producer_is_fenced(self):
        zombie = self.produce("fleet", "zombies", "--transactions", "1", "--per-txn", "10",
                              "--prefix", "z-", hold_open=True)
        # A second instance with the same transactional.id takes over: the zombie's open
        # transaction is aborted and the zombie can no longer write.
        out = self.path("next.txt")
        self.produce("fleet", "zombies", "--transactions", "1", "--per-txn", "10", "--prefix",
                     "n-", "--out", out)
        read, _ = self.consume("zombies")
        self.assertEqual(read, ["z-1-%d" % i for i in range(10)] + open(out).read().splitlines())
        self.assertIsNone(zombie.poll())  # it was waiting; its late writes would be refused


if __name__ == "__main__":
    unittest.main()
