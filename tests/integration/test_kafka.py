"""The kafka sink into the bundled broker, read back with kcat: every event once with its
headers, a broker killed -9 in the middle (nothing lost), and a record Kafka can never take
going to the dead-letter file without blocking the channel."""
import json
import os
import signal
import subprocess
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, wait_until
from test_broker import Broker


class KafkaSinkTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.data = self.path("broker")
        self.broker = Broker(self.workdir, self.data, self.port)

    def tearDown(self):
        if self.broker.proc.poll() is None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        super().tearDown()

    def kcat(self, *args):
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port] + list(args),
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout

    def end_offset(self, topic):
        r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port, "-Q", "-t", topic + ":0:-1"],
                           capture_output=True, text=True, timeout=30)
        for word in r.stdout.split("offset")[1:]:
            return int(word.split()[0])
        return 0

    def sink_conf(self, source, extra=""):
        return """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
{source}
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = s
a1.sources.r1.interceptors.s.type = static
a1.sources.r1.interceptors.s.key = car
a1.sources.r1.interceptors.s.value = A0001
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = {channel}
a1.channels.c1.transactionCapacity = 2000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:{port}
a1.sinks.k1.kafka.topic = drive
a1.sinks.k1.flumeBatchSize = 2000
a1.sinks.k1.kafka.producer.compression.type = lz4
a1.sinks.k1.kafka.producer.message.timeout.ms = 5000
{extra}
""".format(source=source, channel=self.path("channel"), port=self.port, extra=extra)

    def seq_source(self, n):
        return ("a1.sources.r1.type = seq\na1.sources.r1.totalEvents = %d\n"
                "a1.sources.r1.batchSize = 1000" % n)

    def test_every_event_once_with_headers(self):
        n = 100000
        agent = self.start_agent(self.sink_conf(self.seq_source(n)))
        wait_until(lambda: self.end_offset("drive") >= n, 60, "every event in the broker")
        self.assertEqual(agent.stop(), 0)
        out = self.kcat("-C", "-t", "drive", "-o", "beginning", "-e", "-q", "-f", "%h|%s\n")
        lines = out.decode().splitlines()
        self.assertEqual(len(lines), n, "each event once (idempotent producer)")
        self.assertEqual(sorted(int(l.split("|")[1]) for l in lines), list(range(n)))
        self.assertTrue(all(l.startswith("car=A0001|") for l in lines), lines[:3])

    def test_two_workers_deliver_every_event_once(self):
        # Two producers drain the file channel side by side, each committing its own
        # transactions; the counters of both add up under the sink's name.
        n = 100000
        agent = self.start_agent(self.sink_conf(self.seq_source(n), "a1.sinks.k1.workers = 2"))
        wait_until(lambda: self.end_offset("drive") >= n, 60, "every event in the broker")
        # A take is counted when it commits, after the broker acknowledged its records: the
        # last takes of the two workers may still be committing when the offset is seen.
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= n, 30,
                   "the workers' last takes committed")
        self.assertEqual(agent.counter("SINK.k1", "EventDrainSuccessCount"), n)
        self.assertEqual(agent.stop(), 0)
        values = self.kcat("-C", "-t", "drive", "-o", "beginning", "-e", "-q").split()
        self.assertEqual(sorted(int(v) for v in values), list(range(n)))

    def test_topic_from_a_header(self):
        n = 1000
        agent = self.start_agent(self.sink_conf(self.seq_source(n)).replace(
            "a1.sinks.k1.kafka.topic = drive", "a1.sinks.k1.kafka.topic = drive-%{car}"))
        wait_until(lambda: self.end_offset("drive-A0001") >= n, 60, "the events in drive-A0001")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(len(self.kcat("-C", "-t", "drive-A0001", "-o", "beginning", "-e",
                                       "-q").split()), n)

    def test_broker_killed_mid_stream_loses_nothing(self):
        n = 300000
        agent = self.start_agent(self.sink_conf(self.seq_source(n)))
        wait_until(lambda: self.end_offset("drive") > 20000, 60, "the first events")
        self.broker.proc.kill()
        self.broker.proc.wait()
        time.sleep(2)
        self.broker = Broker(self.workdir, self.data, self.port)
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0 and
                   agent.counter("SOURCE.r1", "EventAcceptedCount") == n, 120,
                   "the agent to deliver everything")
        self.assertEqual(agent.stop(), 0)
        values = self.kcat("-C", "-t", "drive", "-o", "beginning", "-e", "-q").split()
        self.assertEqual(set(int(v) for v in values), set(range(n)), "events lost")
        print("broker kill -9: %d events, %d records (%d duplicates from the rolled-back "
              "transaction in flight)" % (n, len(values), len(values) - n))

    def test_writing_agent_killed_mid_stream_loses_nothing(self):
        # TAILDIR -> file channel -> kafka sink, kill -9 of the agent: what the channel held
        # and the batch in flight are sent after the restart; TAILDIR resumes at its position,
        # written after every committed batch (writePosInterval = 0). What can come twice: one
        # source batch (committed, position not yet written) and one sink transaction (in
        # Kafka, not yet taken from the channel).
        n = 200000
        log = self.path("drive.log")
        with open(log, "w") as f:
            f.writelines("%d\n" % i for i in range(n))
        source = ("a1.sources.r1.type = TAILDIR\na1.sources.r1.filegroups = f\n"
                  "a1.sources.r1.filegroups.f = %s\na1.sources.r1.positionFile = %s\n"
                  "a1.sources.r1.batchSize = 1000\na1.sources.r1.writePosInterval = 0" %
                  (log, self.path("positions.json")))
        conf = self.sink_conf(source)
        agent = self.start_agent(conf)
        wait_until(lambda: self.end_offset("drive") > 20000, 60, "the first events")
        agent.kill()
        in_kafka = self.end_offset("drive")
        self.assertLess(in_kafka, n, "the kill came too late to test anything")
        agent = self.start_agent(conf)

        def values():
            return [int(v) for v in
                    self.kcat("-C", "-t", "drive", "-o", "beginning", "-e", "-q").split()]
        wait_until(lambda: self.end_offset("drive") >= n and set(values()) == set(range(n)), 120,
                   "every line in the broker after the restart")
        self.assertEqual(agent.stop(), 0)
        got = values()
        print("writing agent kill -9 at %d records: %d lines, %d records (%d sent again)" %
              (in_kafka, n, len(got), len(got) - n))
        self.assertLessEqual(len(got) - n, 1000 + 2000, "more duplicates than two batches")

    def source_conf(self, out, group="readers"):
        return """
b1.sources = r1
b1.channels = c1
b1.sinks = k1
b1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
b1.sources.r1.kafka.bootstrap.servers = 127.0.0.1:{port}
b1.sources.r1.kafka.topics = drive
b1.sources.r1.kafka.consumer.group.id = {group}
b1.sources.r1.batchSize = 2000
b1.sources.r1.batchDurationMillis = 200
b1.sources.r1.kafka.consumer.session.timeout.ms = 6000
b1.sources.r1.channels = c1
b1.channels.c1.type = file
b1.channels.c1.dataDirs = {channel}
b1.channels.c1.minimumRequiredSpace = 1048576
b1.channels.c1.transactionCapacity = 2000
b1.sinks.k1.type = file_roll
b1.sinks.k1.channel = c1
b1.sinks.k1.sink.directory = {out}
b1.sinks.k1.sink.rollInterval = 0
b1.sinks.k1.sink.batchSize = 2000
b1.sinks.k1.sink.serializer = header_and_text
""".format(port=self.port, out=out, group=group, channel=self.path("reader-channel"))

    def test_source_stopped_gracefully_resumes_where_it_committed(self):
        # Offsets are committed asynchronously while reading, and once more, synchronously, on
        # the way out: a reader stopped with SIGTERM and started again reads only new records.
        def produce(lines):
            r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % self.port, "-P", "-t", "drive"],
                               input="".join(l + "\n" for l in lines).encode(),
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)

        def lines(d):
            got = []
            for f in os.listdir(d):
                with open(os.path.join(d, f)) as fh:
                    got += [l.rsplit(" ", 1)[-1] for l in fh.read().splitlines()]
            return got
        out1, out2 = self.path("graceful-1"), self.path("graceful-2")
        os.makedirs(out1)
        os.makedirs(out2)
        first = ["first-%d" % i for i in range(30000)]
        produce(first)
        reader = self.start_agent(self.source_conf(out1, "graceful"), name="b1")
        wait_until(lambda: len(lines(out1)) >= len(first), 60, "the first records")
        self.assertEqual(reader.stop(), 0)
        second = ["second-%d" % i for i in range(1000)]
        produce(second)
        reader = self.start_agent(self.source_conf(out2, "graceful"), name="b1")
        wait_until(lambda: len(lines(out2)) >= len(second), 60, "the new records")
        time.sleep(1)  # anything read again would show up by now
        self.assertEqual(reader.stop(), 0)
        self.assertEqual(sorted(lines(out1)), sorted(first))
        self.assertEqual(sorted(lines(out2)), sorted(second))

    def test_sink_to_broker_to_source_end_to_end_with_a_kill_9_of_the_reader(self):
        n = 200000
        writer = self.start_agent(self.sink_conf(self.seq_source(n)))
        out1, out2 = self.path("read-1"), self.path("read-2")
        os.makedirs(out1)
        os.makedirs(out2)
        reader = self.start_agent(self.source_conf(out1), name="b1")

        def lines(d):
            got = []
            for f in os.listdir(d):
                with open(os.path.join(d, f), "rb") as fh:
                    got += fh.read().decode().splitlines()
            return got
        wait_until(lambda: len(lines(out1)) > 20000, 60, "the reader to start")
        reader.kill()  # kill -9: what its file channel holds survives; offsets not committed
        # after the channel are read again
        reader = self.start_agent(self.source_conf(out2), name="b1")
        wait_until(lambda: writer.counter("SOURCE.r1", "EventAcceptedCount") == n, 60,
                   "the writer to accept every event")
        self.assertEqual(writer.counter("SOURCE.r1", "EventAcceptedCount") <= n, True)
        def numbers():
            # The killed reader's last line may be cut short: its event comes again, whole.
            return {int(w) for w in (l.rsplit(" ", 1)[-1] for l in lines(out1) + lines(out2))
                    if w.isdigit()}
        wait_until(lambda: numbers() >= set(range(n)), 120, "every event read back")
        got = lines(out2)
        self.assertIn("car=A0001", got[0], "Kafka record headers become Flume headers")
        self.assertIn("topic=drive", got[0])
        self.assertEqual(writer.stop(), 0)
        self.assertEqual(reader.stop(), 0)
        total = len(lines(out1)) + len(lines(out2))
        print("kafka source kill -9: %d events, %d read (%d again after the kill)" %
              (n, total, total - n))

    def test_a_record_kafka_refuses_goes_to_the_dead_letter_file(self):
        port = free_port()
        dead = self.path("dead")
        agent = self.start_agent(self.sink_conf(
            "a1.sources.r1.type = netcat\na1.sources.r1.bind = 127.0.0.1\n"
            "a1.sources.r1.port = %d\na1.sources.r1.max-line-length = 100000" % port,
            extra="a1.sinks.k1.kafka.producer.message.max.bytes = 4000\n"
                  "a1.sinks.k1.deadLetterDirectory = %s\n" % dead))
        client = NetcatClient(port)
        client.send_lines(["small-1", "x" * 20000, "small-2"])
        client.close()
        wait_until(lambda: self.end_offset("drive") >= 2, 30, "the small events")
        wait_until(lambda: agent.counter("SINK.k1", "EventDeadLetterCount") == 1, 30,
                   "the big one counted")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(self.kcat("-C", "-t", "drive", "-o", "beginning", "-e", "-q").split(),
                         [b"small-1", b"small-2"])
        with open(os.path.join(dead, "k1.deadletter.jsonl")) as f:
            rec = json.loads(f.readline())
        self.assertEqual(rec["body"], "x" * 20000)
        self.assertEqual(rec["topic"], "drive")
        self.assertEqual(rec["headers"]["car"], "A0001")


if __name__ == "__main__":
    unittest.main()
