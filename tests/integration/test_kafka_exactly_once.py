"""The kafka sink's exactly-once mode (one Kafka transaction per take, with a record of it in the
offsets topic), against the bundled broker, every line counted by content with a read_committed
consumer (kcat):
- a proxy between agent and broker forwards requests but swallows Produce responses for longer
  than the sink's delivery timeout, then heals: the broker appended what the sink never heard
  of. At least once (exactlyOnce = false) that take is produced again: duplicates, asserted, so
  the test shows the mode matters. Exactly once: its transaction is aborted (or found committed)
  and nothing is in Kafka twice.
- kill -9 of the agent again and again while a writer appends (TAILDIR -> file channel ->
  kafka sink), and a kill -9 of the broker in the middle: every line once."""
import os
import random
import subprocess
import time
import unittest

from flumen_harness import AgentTestCase, free_port, wait_until
from kafka_proxy import END_TXN, PRODUCE, KafkaProxy
from test_broker import Broker
from test_exactly_once import EDGE, Writer, tally

# The edge of test_exactly_once (TAILDIR -> file channel c1) with a kafka sink.
KAFKA_SINK = """
e1.sinks.k1.type = kafka
e1.sinks.k1.channel = c1
e1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:{port}
e1.sinks.k1.kafka.topic = lines
e1.sinks.k1.flumeBatchSize = 500
e1.sinks.k1.exactlyOnce = {exactly_once}
e1.sinks.k1.transactionTimeout = 10000
e1.sinks.k1.kafka.producer.message.timeout.ms = 3000
e1.sinks.k1.kafka.producer.request.timeout.ms = 2000
"""


class KafkaSinkExactlyOnceTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.logs = self.path("logs")
        os.mkdir(self.logs)
        self.broker_port = free_port()
        self.proxy = None
        self.broker = None

    def tearDown(self):
        if self.proxy:
            self.proxy.close()
        if self.broker and self.broker.proc.poll() is None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        super().tearDown()

    def start_broker(self, advertised=None):
        extra = ["--advertised", "127.0.0.1:%d" % advertised] if advertised else []
        self.broker = Broker(self.workdir, self.path("broker"), self.broker_port,
                             extra_args=extra)

    def conf(self, port, exactly_once):
        """exactly_once None: the key left out (the sink's default)."""
        sink = KAFKA_SINK.format(port=port, exactly_once=str(exactly_once).lower())
        if exactly_once is None:
            sink = "\n".join(l for l in sink.splitlines() if ".exactlyOnce" not in l) + "\n"
        return EDGE.format(logs=self.logs, work=self.workdir, sinks="k1") + sink

    def committed_lines(self):
        r = subprocess.run(["kcat", "-C", "-b", "127.0.0.1:%d" % self.broker_port, "-t", "lines",
                            "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed"],
                           capture_output=True, text=True, timeout=120)
        if "Unknown topic" in r.stderr:
            return []  # nothing produced yet
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()

    def drain(self, agent, written):
        wait_until(lambda: set(written) <= set(self.committed_lines()), 180,
                   "every line in Kafka")
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60, "the drain")
        time.sleep(1)
        self.assertEqual(agent.stop(), 0)
        return tally(self.committed_lines(), set(written))

    def through_a_proxy_that_swallows(self, exactly_once, api_key=PRODUCE):
        proxy_port = free_port()
        self.start_broker(advertised=proxy_port)
        self.proxy = KafkaProxy(self.broker_port, proxy_port)
        written = ["line-%06d %s" % (i, "x" * 60) for i in range(20000)]
        with open(os.path.join(self.logs, "app.log"), "w") as f:
            f.write("".join(l + "\n" for l in written))
        # Longer than message.timeout.ms (3 s) and request.timeout.ms (2 s): the sink gives up on
        # records the broker appended.
        # EndTxn: longer than the commit may take (transactionTimeout, 10 s).
        self.proxy.swallow_responses(after=4, seconds=12 if api_key == END_TXN else 8,
                                     api_key=api_key)
        agent = self.start_agent(self.conf(proxy_port, exactly_once), name="e1")
        wait_until(self.proxy.healed, 120, "the proxy to swallow and heal")
        self.assertGreater(self.proxy.swallowed, 0)
        lost, dups, strangers = self.drain(agent, written)
        print("proxy swallowing %s responses, exactlyOnce = %s: %d lines, %d swallowed, "
              "%d lost, %d duplicated" %
              ("EndTxn" if api_key == END_TXN else "Produce", exactly_once, len(written),
               self.proxy.swallowed, lost, dups))
        return lost, dups, strangers, agent

    def test_at_least_once_duplicates_what_the_broker_appended_unheard(self):
        # The control: the same run without transactions must duplicate, or the exactly-once
        # case below proves nothing.
        lost, dups, strangers, _ = self.through_a_proxy_that_swallows(False)
        self.assertEqual((lost, strangers), (0, 0))
        self.assertGreater(dups, 0, "the swallowed responses did not make the sink resend")

    def test_exactly_once_nothing_twice_when_produce_responses_are_lost(self):
        lost, dups, strangers, agent = self.through_a_proxy_that_swallows(True)
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")
        self.assertIn("exactly once, transactional.id", agent.log_text())
        self.assertIn("(transaction aborted)", agent.log_text())

    def test_exactly_once_a_commit_whose_answer_is_lost_is_not_produced_again(self):
        # The broker commits the transaction, the sink hears nothing until its commit times out:
        # the take goes back to the channel, and the offsets topic says it is in Kafka.
        lost, dups, strangers, agent = self.through_a_proxy_that_swallows(True, END_TXN)
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")
        self.assertIn("not decided", agent.log_text())
        self.assertIn("is in Kafka already", agent.log_text())

    def test_agent_killed_8_times_and_the_broker_once_every_line_once(self):
        self.start_broker()
        conf = self.conf(self.broker_port, True)
        rng = random.Random(23)
        with Writer(os.path.join(self.logs, "app.log")) as w:
            for k in range(8):
                agent = self.start_agent(conf, name="e1")
                time.sleep(rng.uniform(0.5, 1.5))
                if k == 4:
                    # The broker too, in the middle of transactions; back on the same data.
                    self.broker.proc.kill()
                    self.broker.proc.wait()
                    time.sleep(rng.uniform(0.2, 1.0))
                    self.start_broker()
                    time.sleep(rng.uniform(0.5, 1.5))
                agent.kill()
        agent = self.start_agent(conf, name="e1")
        written = list(w.written)
        lost, dups, strangers = self.drain(agent, written)
        recognised = sum(open(a.log_path).read().count("is in Kafka already") for a in self.agents)
        print("kafka sink exactly once, agent kill -9 x8 and broker kill -9 x1: %d lines, "
              "%d lost, %d duplicated; %d takes found in Kafka at restart, not produced again" %
              (len(written), lost, dups, recognised))
        self.assertEqual((lost, dups, strangers), (0, 0, 0), "(lost, duplicated, strangers)")


    def test_a_broker_that_refuses_transactions_leaves_the_sink_at_least_once(self):
        proxy_port = free_port()
        self.start_broker(advertised=proxy_port)
        self.proxy = KafkaProxy(self.broker_port, proxy_port)
        self.proxy.refuse_transactional_ids()
        written = ["line-%06d" % i for i in range(3000)]
        with open(os.path.join(self.logs, "app.log"), "w") as f:
            f.write("".join(l + "\n" for l in written))
        agent = self.start_agent(self.conf(proxy_port, True), name="e1")
        self.assertEqual(self.drain(agent, written), (0, 0, 0))
        self.assertGreater(self.proxy.refused, 0)
        log = agent.log_text()
        self.assertEqual(log.count("the broker refuses transactions"), 1, log)
        self.assertIn("at least once, with the idempotent producer", log)

    def test_check_prints_the_kafka_sinks_guarantee(self):
        def check(exactly_once):
            path = self.path("check.conf")
            with open(path, "w") as f:
                f.write(self.conf(self.broker_port, exactly_once))
            r = self.run_flumen("check", "-f", path, "-n", "e1")
            self.assertEqual(r.returncode, 0, r.stderr)
            return [l.strip() for l in r.stdout.splitlines() if " -> " in l]
        self.assertEqual(check(True), ["r1 -> c1 -> k1: exactly once (kafka sink: for "
                                       "read_committed consumers, with a broker that has "
                                       "transactions (one without: at least once, said at start))"])
        self.assertEqual(len(check(False)), 1)
        self.assertTrue(check(False)[0].startswith(
            "r1 -> c1 -> k1: at least once (kafka sink: records the broker acknowledged"),
            check(False))
        self.assertIn("exactlyOnce = true makes it exactly once", check(False)[0])
        # Off unless the conf turns it on.
        self.assertEqual(check(None), check(False))


if __name__ == "__main__":
    unittest.main()
