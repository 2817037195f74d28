"""The scale-out path on a real Apache Kafka 4.1.1 cluster (three KRaft nodes on loopback,
kafka_peer.py): a topic with replication factor 3 and min.insync.replicas=2; flumen's kafka sink
at acks=all keeps delivering while the leader of a partition is killed -9 and restarted, and
every line ends up in the topic exactly once; flumen's kafka source follows a leader change
(its partition's leader killed -9) and delivers everything; the kafka sink's exactly-once mode
(Kafka transactions, on a file channel) keeps every line once for a read_committed consumer
across kill -9 of its agent.

One cluster for the module (JVM starts are slow on two cores); each test leaves it whole."""
import os
import subprocess
import threading
import time
import unittest

import kafka_peer
from flumen_harness import AgentTestCase, NetcatClient, free_port, read_lines, wait_until

cluster = None
java_client = None


def setUpModule():
    global cluster, java_client
    java_client = kafka_peer.java_client_command()
    cluster = kafka_peer.shared_cluster(3)


class RealKafkaClusterTest(AgentTestCase):
    def create_topic(self, name, partitions):
        r = subprocess.run(java_client + [cluster.bootstrap, "create-topic", name,
                                          str(partitions), "3", "min.insync.replicas=2"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn('"create":"ok"', r.stdout, r.stderr[-3000:])
        topic = cluster.wait_isr(name, 3)
        for p in topic["partitions"].values():
            self.assertEqual(len(p["replicas"]), 3, topic)
        return topic

    def kcat(self, *args, data=None, timeout=120):
        r = subprocess.run(["kcat", "-b", cluster.bootstrap] + list(args), input=data,
                           capture_output=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout

    def read_topic(self, topic):
        """Every record value of the topic, all partitions, from the beginning to the end."""
        return self.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-q",
                         "-X", "check.crcs=true").decode().split()

    def kill_and_restart_later(self, node_id, down_for):
        """kill -9 now; start the node again after `down_for` seconds, in the background."""
        cluster.kill(node_id)
        restarted = threading.Event()
        errors = []

        def later():
            time.sleep(down_for)
            try:
                cluster.restart(node_id)
            except Exception as e:  # noqa: BLE001 - re-raised by the test
                errors.append(e)
            restarted.set()
        threading.Thread(target=later, daemon=True).start()
        return restarted, errors

    def test_sink_acks_all_keeps_delivering_through_a_kill_9_exactly_once(self):
        topic = self.create_topic("drive", 3)
        victim = topic["partitions"][0]["leader"]
        port = free_port()
        agent = self.start_agent("""
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = {bootstrap}
a1.sinks.k1.kafka.topic = drive
a1.sinks.k1.flumeBatchSize = 1000
a1.sinks.k1.kafka.producer.acks = all
a1.sinks.k1.kafka.producer.linger.ms = 5
""".format(port=port, bootstrap=cluster.bootstrap))
        n = 100000
        sent = []

        def send():
            # About 7,000 lines a second for some fourteen seconds: the kill (after ~2 s) and
            # the restart (~8 s later) both happen while lines are still arriving.
            client = NetcatClient(port)
            try:
                for i in range(0, n, 500):
                    client.send_lines(["line-%06d" % j for j in range(i, i + 500)])
                    sent.append(i + 500)
                    time.sleep(0.06)
            finally:
                client.close()
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        drained = lambda: agent.counter("SINK.k1", "EventDrainSuccessCount")
        wait_until(lambda: drained() >= 15000, 60, "the first lines in Kafka")
        restarted, errors = self.kill_and_restart_later(victim, down_for=8)
        at_kill = drained()
        wait_until(lambda: drained() >= at_kill + 10000, 60,
                   "deliveries to go on with node %d down" % victim)
        self.assertFalse(restarted.is_set(),
                         "the node was back before the sink had shown it goes on without it")
        during_outage = drained() - at_kill
        sender.join(timeout=120)
        self.assertFalse(sender.is_alive(), "the sender did not finish")
        self.assertEqual(sent[-1], n)
        wait_until(restarted.is_set, 120, "the killed node to be back")
        self.assertEqual(errors, [])
        wait_until(lambda: drained() >= n, 120, "every line delivered")
        cluster.wait_isr("drive", 3)  # the restarted node caught up: the cluster is whole
        self.assertEqual(agent.stop(), 0)
        values = self.read_topic("drive")
        self.assertEqual(len(values), n, "every line exactly once (%d duplicates)"
                         % (len(values) - len(set(values))))
        self.assertEqual(sorted(values), ["line-%06d" % i for i in range(n)])
        print("kafka sink acks=all, RF 3, min.insync.replicas 2: node %d (leader of drive-0) "
              "killed -9 at %d delivered, %d delivered while it was down, %d lines once each"
              % (victim, at_kill, during_outage, n))

    def test_sink_exactly_once_through_kill_9_of_its_agent(self):
        import random
        from test_exactly_once import EDGE, Writer, tally
        self.create_topic("eos-lines", 3)
        self.create_topic("flumen-sink-offsets", 1)
        logs = self.path("logs")
        os.makedirs(logs)
        conf = EDGE.format(logs=logs, work=self.workdir, sinks="k1") + """
e1.sinks.k1.type = kafka
e1.sinks.k1.channel = c1
e1.sinks.k1.kafka.bootstrap.servers = {bootstrap}
e1.sinks.k1.kafka.topic = eos-lines
e1.sinks.k1.flumeBatchSize = 1000
e1.sinks.k1.exactlyOnce = true
""".format(bootstrap=cluster.bootstrap)
        rng = random.Random(11)
        with Writer(os.path.join(logs, "app.log"), per_round=100, pause=0.02) as w:
            for _ in range(4):
                agent = self.start_agent(conf, name="e1")
                time.sleep(rng.uniform(2.0, 4.0))  # JVM brokers: transactions take longer
                agent.kill()
        agent = self.start_agent(conf, name="e1")
        written = set(w.written)

        def committed():
            return self.kcat("-C", "-t", "eos-lines", "-o", "beginning", "-e", "-q",
                             "-X", "isolation.level=read_committed").decode().split("\n")
        wait_until(lambda: written <= set(committed()), 180, "every line in Kafka")
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60, "the drain")
        self.assertEqual(agent.stop(), 0)
        self.assertIn("exactly once, transactional.id", agent.log_text())
        lines = [l for l in committed() if l]
        lost, dups, strangers = tally(lines, written)
        print("kafka sink exactly once into Kafka 4.1.1, agent kill -9 x4: %d lines, %d lost, "
              "%d duplicated" % (len(written), lost, dups))
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")

    def test_source_follows_a_leader_change(self):
        topic = self.create_topic("feed", 1)
        first = ["first-%06d" % i for i in range(30000)]
        self.kcat("-P", "-t", "feed", "-X", "acks=all", data="".join(
            v + "\n" for v in first).encode())
        out = self.path("out")
        os.makedirs(out)
        agent = self.start_agent("""
b1.sources = r1
b1.channels = c1
b1.sinks = k1
b1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
b1.sources.r1.kafka.bootstrap.servers = {bootstrap}
b1.sources.r1.kafka.topics = feed
b1.sources.r1.kafka.consumer.group.id = followers
b1.sources.r1.kafka.consumer.auto.offset.reset = earliest
b1.sources.r1.batchSize = 1000
b1.sources.r1.batchDurationMillis = 100
b1.sources.r1.channels = c1
b1.channels.c1.type = memory
b1.channels.c1.capacity = 100000
b1.channels.c1.transactionCapacity = 1000
b1.sinks.k1.type = file_roll
b1.sinks.k1.channel = c1
b1.sinks.k1.sink.directory = {out}
b1.sinks.k1.sink.rollInterval = 0
b1.sinks.k1.sink.batchSize = 1000
""".format(bootstrap=cluster.bootstrap, out=out), name="b1")
        wait_until(lambda: len(read_lines(out)) >= len(first), 60, "the first records")
        leader = topic["partitions"][0]["leader"]
        cluster.kill(leader)
        wait_until(lambda: cluster.partition("feed")["leader"] not in (-1, leader), 60,
                   "a new leader for feed-0")
        new_leader = cluster.partition("feed")["leader"]
        second = ["second-%06d" % i for i in range(30000)]
        self.kcat("-P", "-t", "feed", "-X", "acks=all", data="".join(
            v + "\n" for v in second).encode())
        want = set(first + second)
        wait_until(lambda: set(read_lines(out)) >= want, 90,
                   "every record, read from the new leader")
        cluster.restart(leader)
        cluster.wait_isr("feed", 3)
        self.assertEqual(agent.stop(), 0)
        got = read_lines(out)
        self.assertEqual(set(got), want)
        print("kafka source: leader of feed-0 node %d killed -9, node %d took over; %d records "
              "delivered (%d read twice)" % (leader, new_leader, len(want), len(got) - len(want)))


if __name__ == "__main__":
    unittest.main()
