"""The bundled broker with a real Kafka client (kcat, on librdkafka): metadata, produce and consume
with every codec, keys and headers, offsets by time, a restart, kill -9 during acks=all
production, and garbage on the port."""
import hashlib
import os
import signal
import socket
import struct
import subprocess
import time
import unittest
import json
import urllib.request

from flumen_harness import FLUMEN, AgentTestCase, free_port, wait_until
from kafka_wire import Reader, kstr

PRODUCER = os.environ.get("KAFKA_TEST_PRODUCER", os.path.join(os.path.dirname(FLUMEN), "tests",
                                                              "kafka_test_producer"))


class Broker:
    def __init__(self, workdir, data_dir, port, conf=None, metrics_port=None, extra_args=(),
                 preexec_fn=None):
        self.port = port
        self.metrics_port = metrics_port
        self.log_path = os.path.join(workdir, "broker-%d.log" % time.time_ns())
        self.log = open(self.log_path, "w")
        args = [FLUMEN, "broker", "--data-dir", data_dir, "--listen", "127.0.0.1:%d" % port]
        if conf:
            args += ["--conf", conf]
        if metrics_port:
            args += ["--metrics-port", str(metrics_port)]
        args += list(extra_args)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)
        wait_until(self._up, 20, "the broker to listen")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("broker exited: " + open(self.log_path).read())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=30)
        self.log.close()
        return rc

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)["BROKER.broker"]


class ClientTestCase(AgentTestCase):
    """A broker of its own for each test, and a way to run an independent Kafka client (a
    separate process printing one JSON line) against it."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.data = self.path("broker")
        self.broker = Broker(self.workdir, self.data, self.port)

    def tearDown(self):
        if self.broker.proc.poll() is None:
            self.broker.stop()
        super().tearDown()

    def restart_broker(self):
        self.assertEqual(self.broker.stop(), 0)
        self.broker = Broker(self.workdir, self.data, self.port)

    def run_client(self, argv, ok=True):
        """The client's JSON answer; with ok=False the finished process, whatever its exit."""
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120)
        if not ok:
            return r
        self.assertEqual(r.returncode, 0, r.stderr[-3000:] + self.broker.log_text()[-2000:])
        return json.loads(r.stdout.strip().splitlines()[-1])


class BrokerTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.data = self.path("data")
        self.brokers = []
        self.broker = self.start_broker()

    def tearDown(self):
        for b in self.brokers:
            if b.proc.poll() is None:
                b.proc.kill()
                b.proc.wait()
        super().tearDown()

    def start_broker(self, conf=None, metrics_port=None):
        b = Broker(self.workdir, self.data, self.port, conf, metrics_port)
        self.brokers.append(b)
        return b

    def kcat(self, *args, data=None, timeout=120):
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port] + list(args), input=data,
                           capture_output=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout

    def consume(self, topic, *extra):
        return self.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-q",
                         "-X", "check.crcs=true", *extra)

    def test_produce_and_consume_every_codec_byte_for_byte(self):
        lines = b"".join(b"smartcar-%06d,status,%d\n" % (i, i % 97) for i in range(100000))
        for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
            with self.subTest(codec=codec):
                topic = "drive-" + codec
                self.kcat("-P", "-t", topic, "-z", codec, data=lines)
                got = self.consume(topic)
                self.assertEqual(hashlib.sha256(got).hexdigest(),
                                 hashlib.sha256(lines).hexdigest())
        meta = self.kcat("-L").decode()
        self.assertIn("broker 0 at 127.0.0.1:%d (controller)" % self.port, meta)
        self.assertIn('topic "drive-zstd" with 1 partitions', meta)

    def test_keys_headers_partitions_and_offsets(self):
        self.kcat("-P", "-t", "keyed", "-K", ":", "-H", "car=A0001", "-H", "kind=status",
                  data=b"k1:v1\nk2:v2\n")
        out = self.consume("keyed", "-f", "%k=%s [%h] @%o\n").decode()
        self.assertEqual(out, "k1=v1 [car=A0001,kind=status] @0\nk2=v2 [car=A0001,kind=status] @1\n")
        # A topic of 4 partitions (auto-created with num.partitions from a conf), one each.
        self.broker.stop()
        conf = self.path("broker.properties")
        with open(conf, "w") as f:
            f.write("num.partitions = 4\nlog.segment.bytes = 16384\n")
        self.broker = self.start_broker(conf)
        for half in (0, 2500):
            if half:  # a time between the halves, for the lookup by time below
                time.sleep(0.05)
                between_ms = int(time.time() * 1000)
                time.sleep(0.05)
            for p in range(4):
                self.kcat("-P", "-t", "fleet", "-p", str(p), data=b"".join(
                    b"p%d-%d\n" % (p, i) for i in range(half, half + 2500)))
        for p in range(4):
            got = self.kcat("-C", "-t", "fleet", "-p", str(p), "-o", "1000", "-e", "-q")
            self.assertEqual(got.splitlines()[0], b"p%d-1000" % p)
            self.assertEqual(len(got.splitlines()), 4000)
        # Offsets by time: everything was produced after t0.
        q = self.kcat("-Q", "-t", "fleet:0:0").decode()
        self.assertIn("offset 0", q)
        # ... and the first record produced after a time between the halves is the second half's.
        q = self.kcat("-Q", "-t", "fleet:0:%d" % between_ms).decode()
        self.assertIn("offset 2500", q)
        segments = [f for f in os.listdir(os.path.join(self.data, "fleet-0")) if f.endswith(".log")]
        self.assertGreater(len(segments), 1, "log.segment.bytes rolled segments")

    def test_restart_and_kill_9_during_acks_all_lose_nothing_acknowledged(self):
        self.kcat("-P", "-t", "keep", data=b"".join(b"%d\n" % i for i in range(10000)))
        self.assertEqual(self.broker.stop(), 0)
        self.broker = self.start_broker()
        self.assertEqual(len(self.consume("keep").splitlines()), 10000)
        # kill -9 while a librdkafka producer with acks=all runs: what it saw acknowledged must
        # be there after the restart, with offsets 0..n-1 and no gaps.
        acked = set()
        for round_ in range(5):
            report = self.path("acked-%d" % round_)
            producer = subprocess.Popen(
                [PRODUCER, "--brokers", "127.0.0.1:%d" % self.port, "--topic", "durable",
                 "--count", "200000", "--acks", "all", "--prefix", "r%d-" % round_,
                 "--out", report, "--timeout-ms", "4000"],
                stderr=subprocess.DEVNULL)
            self.addCleanup(producer.kill)
            wait_until(lambda: os.path.exists(report) and os.path.getsize(report) > 10000, 30,
                       "acknowledged messages")
            self.broker.proc.kill()
            self.broker.proc.wait()
            time.sleep(0.5)
            self.broker = self.start_broker()
            producer.wait(timeout=120)
            with open(report, "rb") as f:
                acked.update(f.read().splitlines())
        got = self.consume("durable").splitlines()
        offsets = self.consume("durable", "-f", "%o\n").split()
        self.assertEqual([int(o) for o in offsets], list(range(len(offsets))), "gaps in offsets")
        self.assertEqual(acked - set(got), set(), "acknowledged messages lost")
        print("kill -9 x5 during acks=all: %d acknowledged, %d in the log (%d extra: sent, "
              "stored, ack lost with the broker)" % (len(acked), len(got), len(got) - len(acked)))

    def test_consumer_group_splits_partitions_and_resumes_after_a_restart(self):
        conf = self.path("broker.properties")
        with open(conf, "w") as f:
            f.write("num.partitions = 4\n")
        self.broker.stop()
        self.broker = self.start_broker(conf)
        n = 40000
        self.kcat("-P", "-t", "cars", data=b"warm-up\n")  # creates the topic
        # Two members of one group share the 4 partitions; together they read everything once.
        outs = [self.path("member-%d" % i) for i in range(2)]
        members = [subprocess.Popen(
            ["kcat", "-b", "127.0.0.1:%d" % self.port, "-G", "fleet", "cars", "-o", "end",
             "-q", "-u", "-f", "%p %s\n", "-X", "auto.commit.interval.ms=200",
             "-X", "session.timeout.ms=6000"], stdout=open(out, "w"), stderr=subprocess.DEVNULL)
            for out in outs]
        for m in members:  # also when an assertion below fails
            self.addCleanup(m.kill)
        wait_until(lambda: "2 member(s)" in self.broker.log_text(), 30, "both members to join")
        time.sleep(1)  # both start fetching at the end
        # Keyed, so the messages spread over every partition (unkeyed ones stick to a few).
        self.kcat("-P", "-t", "cars", "-K", ":",
                  data=b"".join(b"car-%d:m%d\n" % (i, i) for i in range(n)))

        def lines():
            return [l for out in outs for l in open(out).read().splitlines()]
        try:
            wait_until(lambda: len(lines()) >= n, 60, "the group to read everything")
            time.sleep(1)  # let both commit
        finally:
            for m in members:
                m.send_signal(signal.SIGINT)  # leaves the group, commits
                m.wait(timeout=30)
        got = lines()
        self.assertEqual(len(got), n, "each message once across the group")
        partitions = [{l.split()[0] for l in open(out).read().splitlines()} for out in outs]
        self.assertTrue(partitions[0] and partitions[1], "both members got partitions")
        self.assertEqual(partitions[0] & partitions[1], set(), "a partition in two members")
        described = self.kcat("-L").decode()
        self.assertIn('topic "cars" with 4 partitions', described)
        # The committed offsets survive a restart: a new member reads only what came later.
        self.broker.stop()
        self.broker = self.start_broker(conf)
        self.kcat("-P", "-t", "cars", "-p", "2", data=b"late-1\nlate-2\n")
        r = subprocess.run(
            ["kcat", "-b", "127.0.0.1:%d" % self.port, "-G", "fleet", "cars", "-q", "-e",
             "-d", "cgrp"], capture_output=True, timeout=60)
        self.assertEqual(sorted(r.stdout.split()), [b"late-1", b"late-2"],
                         "\n".join(l for l in r.stderr.decode().splitlines()
                                   if "OFFSETFETCH" in l or "ASSIGN" in l))

    def test_idempotent_producer_is_accepted_and_writes_each_message_once(self):
        r = subprocess.run([PRODUCER, "--brokers", "127.0.0.1:%d" % self.port, "--topic", "idem",
                            "--count", "100000", "--acks", "all", "--idempotent"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.consume("idem").splitlines()
        self.assertEqual(len(got), 100000)
        self.assertEqual(len(set(got)), 100000)

    def test_idempotent_producer_writes_each_message_once_across_kill_9s(self):
        # Batches appended just before a kill lose their answers (the data survives in the page
        # cache); librdkafka sends them again to the restarted broker, which knows their
        # sequences from the log and answers with their first offsets instead of appending.
        report = self.path("acked-idem")
        producer = subprocess.Popen(
            [PRODUCER, "--brokers", "127.0.0.1:%d" % self.port, "--topic", "idem-kill",
             "--count", "600000", "--acks", "all", "--idempotent", "--out", report,
             "--timeout-ms", "60000"], stderr=subprocess.PIPE, text=True)
        self.addCleanup(producer.kill)
        recognised = 0
        for round_ in range(3):
            wait_until(lambda: os.path.exists(report) and
                       os.path.getsize(report) > 1_500_000 * (round_ + 1), 60,
                       "acknowledged messages")
            if round_ > 0:  # a restarted broker, which serves metrics
                recognised += int(self.broker.metrics()["DuplicateBatchCount"])
            self.broker.proc.kill()
            self.broker.proc.wait()
            time.sleep(0.3)
            self.broker = self.start_broker(metrics_port=free_port())
        _, err = producer.communicate(timeout=120)
        self.assertEqual(producer.returncode, 0, err)
        recognised += int(self.broker.metrics()["DuplicateBatchCount"])
        got = self.consume("idem-kill").splitlines()
        self.assertEqual(len(set(got)), 600000, "messages missing")
        self.assertEqual(len(got), 600000, "messages written twice")
        print("idempotent producer across 3 kill -9s: %d batches sent again were recognised"
              % recognised)

    def test_describe_configs_of_a_topic_and_the_broker(self):
        self.kcat("-P", "-t", "cfg", data=b"x\n")

        def describe(rtype, name):
            body = struct.pack(">i", 1) + struct.pack(">b", rtype) + \
                struct.pack(">h", len(name)) + name + struct.pack(">i", -1) + b"\x00"
            req = struct.pack(">hhih", 32, 1, 5, 4) + b"test" + body
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(struct.pack(">i", len(req)) + req)
            size = struct.unpack(">i", s.recv(4))[0]
            data = b""
            while len(data) < size:
                data += s.recv(size - len(data))
            s.close()
            return data
        topic = describe(2, b"cfg")
        self.assertEqual(struct.unpack(">ih", topic[8:14])[1], 0)  # after corr id, throttle, count
        self.assertIn(b"retention.ms", topic)
        self.assertIn(b"segment.bytes", topic)
        broker = describe(4, b"0")
        self.assertIn(b"num.partitions", broker)
        missing = describe(2, b"no-such-topic")
        self.assertEqual(struct.unpack(">h", missing[12:14])[0], 3)

    def test_garbage_and_oversized_requests_close_only_that_connection(self):
        self.broker.stop()
        self.broker = Broker(self.workdir, self.data, self.port, metrics_port=free_port())
        self.brokers.append(self.broker)
        def send(data):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            try:
                s.sendall(data)
                s.settimeout(5)
                return s.recv(100)
            except ConnectionResetError:  # closed: what these requests must cause
                return b""
            finally:
                s.close()
        self.assertEqual(send(struct.pack(">i", 1 << 30) + b"x" * 100), b"")
        self.assertEqual(send(struct.pack(">i", -5)), b"")
        self.assertEqual(send(struct.pack(">ihhi", 10, 99, 0, 1) + b"\0\0"), b"")  # unknown API
        self.assertEqual(send(struct.pack(">ihhi", 12, 0, 7, 1) + b"\xff\xff\0\0"), b"")  # Produce v7, cut
        # Random bytes in a frame of announced size: a random size prefix would, about 1 time
        # in 40, announce a frame under the request limit and longer than what was sent, which
        # the broker rightly waits for (partial-frame timeout) instead of closing at once. Not
        # ApiVersions either: it is answered whatever its version.
        garbage = bytearray(os.urandom(4092))
        if garbage[0:2] == b"\x00\x12":
            garbage[1] = 0x13
        self.assertEqual(send(struct.pack(">i", len(garbage)) + bytes(garbage)), b"")
        # ApiVersions v9 is answered (v0 layout, UNSUPPORTED_VERSION) so clients step down.
        answer = send(struct.pack(">ihhi", 10, 18, 9, 7) + b"\xff\xff")
        self.assertEqual(struct.unpack(">ih", answer[4:10]), (7, 35))
        # The broker is fine and serves a real client; the refusals were counted.
        self.kcat("-P", "-t", "after", data=b"ok\n")
        self.assertEqual(self.consume("after"), b"ok\n")
        m = self.broker.metrics()
        self.assertGreaterEqual(int(m["ProtocolErrorCount"]), 5)
        self.assertGreaterEqual(int(m["BatchAppendCount"]), 1)
        self.assertEqual(int(m["TopicCount"]), 1)


class DescriptorLimitTest(AgentTestCase):
    """A topic that would take the broker past its descriptor limit (here a hard limit of 128,
    and a topic of 300 partitions, three files each) is refused with the reason in the log; the
    broker serves on (before, it opened files until none were left for anyone)."""

    def test_a_topic_too_large_for_the_descriptor_limit_is_refused_not_fatal(self):
        import resource
        port = free_port()
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
        broker = Broker(self.workdir, self.path("data"), port, preexec_fn=limit)
        try:
            # CreateTopics v0: [name, partitions, replication factor, no assignments, no
            # configs], timeout.
            body = struct.pack(">i", 1) + kstr("wide") + struct.pack(">ihii", 300, 1, 0, 0)
            req = struct.pack(">hhih", 19, 0, 5, 4) + b"test" + body + struct.pack(">i", 5000)
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(struct.pack(">i", len(req)) + req)
            size = struct.unpack(">i", AdminProtocolTest.recv(s, 4))[0]
            r = Reader(AdminProtocolTest.recv(s, size))
            s.close()
            self.assertEqual(r.take(">i"), 5)
            self.assertEqual(r.take(">i"), 1)
            self.assertEqual(r.string(), "wide")
            self.assertEqual(r.take(">h"), 44)  # POLICY_VIOLATION, before any file is opened
            self.assertIsNone(broker.proc.poll(), broker.log_text())
            self.assertIn("raise the limit (ulimit -n", broker.log_text())
            # Its descriptors were given back: a real client still produces and consumes.
            kcat = ["kcat", "-b", "127.0.0.1:%d" % port]
            p = subprocess.run(kcat + ["-P", "-t", "narrow"], input=b"ok\n", capture_output=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            c = subprocess.run(kcat + ["-C", "-t", "narrow", "-e", "-q"], capture_output=True,
                               timeout=60)
            self.assertEqual(c.stdout, b"ok\n", c.stderr)
        finally:
            broker.stop()


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    v = (v << 1) ^ (v >> 63)  # zigzag
    out = b""
    while True:
        if v < 0x80:
            return out + bytes([v])
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7


def record_batch(records):
    """An uncompressed RecordBatch v2 of (key, value) pairs, None for a null key."""
    body = b""
    for i, (key, value) in enumerate(records):
        r = b"\x00" + varint(0) + varint(i)
        r += varint(-1) if key is None else varint(len(key)) + key
        r += varint(len(value)) + value + varint(0)
        body += varint(len(r)) + r
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, 1000, 1000, -1, -1, -1,
                            len(records)) + body
    head = struct.pack(">ib", 0, 2)
    return struct.pack(">qi", 0, len(head) + 4 + len(after_crc)) + head + \
        struct.pack(">I", crc32c(after_crc)) + after_crc


class StartFailureTest(AgentTestCase):
    def test_a_busy_metrics_port_fails_the_start_instead_of_hanging(self):
        # The broker's loop had started its timers when the metrics listener failed: the start
        # waited forever for the loop to end (kill -9 was the only way out).
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        try:
            p = subprocess.run([FLUMEN, "broker", "--data-dir", self.path("data"), "--listen",
                                "127.0.0.1:%d" % free_port(), "--metrics-port",
                                str(busy.getsockname()[1])],
                               capture_output=True, text=True, timeout=30)
        finally:
            busy.close()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("address already in use", p.stdout + p.stderr)


class AdminProtocolTest(AgentTestCase):
    """Kafka's answers to IncrementalAlterConfigs APPEND/SUBTRACT, broker-resource configs,
    Produce v8 record errors and JoinGroup session-timeout bounds, on the wire (non-flexible
    versions, so each field can be read by hand)."""

    node = "0"  # the broker's node id (BROKER resources)

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.broker = Broker(self.workdir, self.path("data"), self.port)

    def tearDown(self):
        if self.broker.proc.poll() is None:
            self.broker.stop()
        super().tearDown()

    def create(self, topic):
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port, "-P", "-t", topic],
                           input=b"x\n", capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))

    def call(self, api_key, version, body):
        req = struct.pack(">hhih", api_key, version, 9, 4) + b"test" + body
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        try:
            s.sendall(struct.pack(">i", len(req)) + req)
            size = struct.unpack(">i", self.recv(s, 4))[0]
            data = self.recv(s, size)
        finally:
            s.close()
        self.assertEqual(struct.unpack(">i", data[:4])[0], 9)
        return Reader(data[4:])

    @staticmethod
    def recv(s, n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise AssertionError("connection closed")
            data += chunk
        return data

    def alter(self, resources, incremental=True):
        """[(type, name, [(config, op, value)])] -> [(error, message)] per resource."""
        body = struct.pack(">i", len(resources))
        for rtype, name, configs in resources:
            body += struct.pack(">b", rtype) + kstr(name) + struct.pack(">i", len(configs))
            for config, op, value in configs:
                body += kstr(config) + (struct.pack(">b", op) if incremental else b"") + \
                    kstr(value)
        r = self.call(44 if incremental else 33, 0, body + b"\x00")
        r.take(">i")
        out = []
        for _ in range(r.take(">i")):
            error, message = r.take(">h"), r.string()
            r.take(">b")
            r.string()
            out.append((error, message))
        return out

    def describe(self, rtype, name):
        """(error, {config: (value, read_only, source)}) of one resource (DescribeConfigs v1)."""
        body = struct.pack(">ib", 1, rtype) + kstr(name) + struct.pack(">i", -1) + b"\x00"
        r = self.call(32, 1, body)
        r.take(">ii")
        error, _message = r.take(">h"), r.string()
        r.take(">b")
        r.string()
        configs = {}
        for _ in range(r.take(">i")):
            cname, value = r.string(), r.string()
            read_only, source, _sensitive = r.take(">bbb")
            for _ in range(r.take(">i")):
                r.string()
                r.string()
                r.take(">b")
            configs[cname] = (value, bool(read_only), source)
        return error, configs

    def produce_v8(self, topic, batch):
        body = kstr(None) + struct.pack(">hii", -1, 10000, 1) + kstr(topic) + \
            struct.pack(">iii", 1, 0, len(batch)) + batch
        r = self.call(0, 8, body)
        r.take(">i")
        r.string()
        r.take(">i")
        index, error, base, _append_time, _log_start = r.take(">ihqqq")
        record_errors = [(r.take(">i"), r.string()) for _ in range(r.take(">i"))]
        return error, base, record_errors, r.string()

    def join(self, group, session_timeout_ms):
        body = kstr(group) + struct.pack(">i", session_timeout_ms) + kstr("") + \
            kstr("consumer") + struct.pack(">i", 1) + kstr("range") + struct.pack(">i", 0)
        return self.call(11, 0, body).take(">h")

    def test_incremental_append_and_subtract_on_a_list_config(self):
        self.create("lists")
        append, subtract, non_list, null_set = 2, 3, 2, 0
        self.assertEqual(self.alter([(2, "lists", [("cleanup.policy", append, "compact")])]),
                         [(0, None)])
        # Appended to the default (Kafka's "delete"), as Kafka's controller does.
        self.assertEqual(self.describe(2, "lists")[1]["cleanup.policy"],
                         ("delete,compact", False, 1))
        self.assertEqual(self.alter([(2, "lists", [("cleanup.policy", append, "delete")])]),
                         [(0, None)])
        self.assertEqual(self.describe(2, "lists")[1]["cleanup.policy"][0], "delete,compact")
        self.assertEqual(self.alter([(2, "lists", [("cleanup.policy", subtract, "compact")])]),
                         [(0, None)])
        self.assertEqual(self.describe(2, "lists")[1]["cleanup.policy"][0], "delete")
        # APPEND on a config that is not a list, and a SET without a value, as Kafka answers.
        self.assertEqual(self.alter([(2, "lists", [("retention.ms", non_list, "5")])]),
                         [(40, "Can't APPEND to key retention.ms because its type is not LIST.")])
        self.assertEqual(self.alter([(2, "lists", [("retention.ms", null_set, None)])]),
                         [(42, "Null value not supported for : retention.ms")])
        self.assertEqual(self.describe(2, "lists")[1]["retention.ms"][2], 5)

    def test_produce_v8_names_the_records_a_compacted_topic_refuses(self):
        self.create("keyed")
        self.assertEqual(self.alter([(2, "keyed", [("cleanup.policy", 0, "compact")])]),
                         [(0, None)])
        batch = record_batch([(b"a", b"1"), (None, b"2"), (b"c", b"3"), (None, b"4")])
        error, base, record_errors, message = self.produce_v8("keyed", batch)
        why = "Compacted topic cannot accept message without key in topic partition keyed-0"
        self.assertEqual((error, base), (87, -1))
        self.assertEqual(record_errors, [(1, why), (3, why)])
        self.assertTrue(message.startswith("One or more records have been rejected due to 2 "
                                           "record errors"), message)
        # A batch with every record keyed is taken; one above max.message.bytes is
        # RECORD_TOO_LARGE with no record errors and no message (Kafka: not a custom one).
        self.assertEqual(self.produce_v8("keyed", record_batch([(b"k", b"v")])),
                         (0, 1, [], None))
        self.assertEqual(self.alter([(2, "keyed", [("max.message.bytes", 0, "200")])]),
                         [(0, None)])
        big = record_batch([(b"k", b"v" * 400)])
        self.assertEqual(self.produce_v8("keyed", big), (10, -1, [], None))

    def test_broker_resource_configs_are_described_and_dynamic_ones_alterable(self):
        error, configs = self.describe(4, self.node)
        self.assertEqual(error, 0)
        self.assertTrue(configs["num.partitions"][1], "read-only")
        # The log.* topic defaults are dynamic cluster-wide in Kafka, and applied here too.
        for name in ("log.retention.ms", "log.segment.bytes", "message.max.bytes"):
            self.assertFalse(configs[name][1], name)
        threads = configs["background.threads"]
        self.assertFalse(threads[1], "dynamic")
        self.assertEqual(self.describe(4, "7")[0], 42)  # another broker's id
        # Dynamic configs are taken per resource; a refused resource fails alone.
        more = str(int(threads[0]) + 1)  # Kafka takes at most double the count in force
        rules = "sasl.kerberos.principal.to.local.rules"
        answer = self.alter([(4, self.node, [("background.threads", 0, more),
                                             (rules, 2, "RULE:[1:$1]")]),
                             (4, "0x", [("background.threads", 0, "9")]),
                             (2, "no-such-topic", [("retention.ms", 0, "1")])])
        self.assertEqual([e for e, _ in answer], [0, 42, 3])
        configs = self.describe(4, self.node)[1]
        self.assertEqual(configs["background.threads"], (more, False, 2))
        self.assertEqual(configs[rules], ("DEFAULT,RULE:[1:$1]", False, 2))
        # Read-only ones refused as Kafka refuses them; a bad value with Kafka's ConfigException
        # message. A log default is a list config like its topic config: APPEND starts from
        # Kafka's default.
        self.assertEqual(self.alter([(4, self.node, [("num.partitions", 0, "3")])]),
                         [(42, "Cannot update these configs dynamically: Set(num.partitions)")])
        self.assertEqual(self.alter([(4, self.node, [("log.cleanup.policy", 2, "compact")])]),
                         [(0, None)])
        self.assertEqual(self.describe(4, self.node)[1]["log.cleanup.policy"],
                         ("delete,compact", False, 2))
        self.assertEqual(self.alter([(4, self.node, [("log.cleanup.policy", 1, None)])]),
                         [(0, None)])
        self.assertEqual(self.alter([(4, self.node, [("background.threads", 0, "x")])]),
                         [(42, "Invalid value x for configuration background.threads: Not a "
                               "number of type INT")])
        self.assertEqual(self.alter([(4, self.node, [("background.threads", 1, None),
                                                     (rules, 3, "DEFAULT")])]),
                         [(0, None)])
        configs = self.describe(4, self.node)[1]
        self.assertEqual(configs["background.threads"], threads)
        self.assertEqual(configs[rules], ("RULE:[1:$1]", False, 2))
        # The cluster-wide default (resource ""), below a per-broker override.
        self.assertEqual(self.alter([(4, "", [("num.io.threads", 0, "4")])]), [(0, None)])
        self.assertEqual(self.describe(4, ""), (0, {"num.io.threads": ("4", False, 3)}))
        self.assertEqual(self.describe(4, self.node)[1]["num.io.threads"], ("4", False, 3))
        self.assertEqual(self.alter([(4, "", [("sasl.kerberos.min.time.before.relogin", 0,
                                               "1")])])[0][0], 42)
        # The legacy AlterConfigs (librdkafka's 0081_admin sets a SASL setting) replaces the
        # broker's overrides.
        self.assertEqual(self.alter([(4, self.node, [("sasl.kerberos.min.time.before.relogin", 0,
                                                "58000")])], incremental=False), [(0, None)])
        configs = self.describe(4, self.node)[1]
        self.assertEqual(configs["sasl.kerberos.min.time.before.relogin"], ("58000", False, 2))
        self.assertEqual(configs[rules][0], "DEFAULT")

    def test_dynamic_broker_configs_survive_a_restart(self):
        self.assertEqual(self.alter([(4, self.node, [("num.io.threads", 0, "9")]),
                                     (4, "", [("max.connections", 0, "500")])]),
                         [(0, None), (0, None)])
        self.assertEqual(self.broker.stop(), 0)
        self.broker = Broker(self.workdir, self.path("data"), self.port)
        configs = self.describe(4, self.node)[1]
        self.assertEqual(configs["num.io.threads"], ("9", False, 2))
        self.assertEqual(configs["max.connections"], ("500", False, 3))

    def create_topic_v1(self, topic, partitions, replication_factor):
        """(error, message) of CreateTopics v1 for one topic."""
        body = struct.pack(">i", 1) + kstr(topic) + \
            struct.pack(">ihii", partitions, replication_factor, 0, 0) + \
            struct.pack(">ib", 10000, 0)
        r = self.call(19, 1, body)
        self.assertEqual(r.take(">i"), 1)
        self.assertEqual(r.string(), topic)
        return r.take(">h"), r.string()

    def test_create_topics_refuses_replication_factors_with_kafkas_words(self):
        # Kafka 3.x (KRaft) on one broker: librdkafka's tests and operators' scripts match on it.
        self.assertEqual(self.create_topic_v1("rf3", 1, 3), (
            38, "Unable to replicate the partition 3 time(s): The target replication factor of 3 "
                "cannot be reached because only 1 broker(s) are registered."))
        self.assertEqual(self.create_topic_v1("rf0", 1, 0), (
            38, "Replication factor must be larger than 0, or -1 to use the default value."))
        self.assertEqual(self.create_topic_v1("rf1", 2, 1), (0, None))

    def test_join_group_session_timeout_outside_the_broker_bounds(self):
        invalid_session_timeout = 26
        self.assertEqual(self.join("short", 5000), invalid_session_timeout)
        self.assertEqual(self.join("long", 1800001), invalid_session_timeout)
        self.assertEqual(self.join("fine", 6000), 0)


if __name__ == "__main__":
    unittest.main()
