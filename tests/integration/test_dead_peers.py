"""Dead peers: a sink whose destination is down backs off (little CPU, a log line now and then,
not one per attempt), shows its state in /metrics, and a stop keeps retrying until the drain
deadline, is bounded by it, and exits 4 naming what a memory channel still held."""
import os
import signal
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, wait_until

EDGE = """
a1.sources = r1
a1.channels = c1
a1.sinks = {sinks}
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
"""

AVRO_SINK = """
a1.sinks.{name}.type = avro
a1.sinks.{name}.channel = c1
a1.sinks.{name}.hostname = 127.0.0.1
a1.sinks.{name}.port = {port}
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DeadPeerTest(AgentTestCase):
    def test_a_sink_with_a_dead_peer_backs_off_quietly(self):
        port, dead = free_port(), free_port()
        agent = self.start_agent(EDGE.format(sinks="k1", port=port) +
                                 AVRO_SINK.format(name="k1", port=dead))
        NetcatClient(port).send_lines(["one queued event"])
        wait_until(lambda: agent.counter("SINK.k1", "EventWriteFail") >= 1, 20)
        cpu0, t0 = cpu_seconds(agent.proc.pid), time.monotonic()
        time.sleep(6)
        cpu = cpu_seconds(agent.proc.pid) - cpu0
        wall = time.monotonic() - t0
        m = agent.metrics()["SINK.k1"]
        failed_lines = agent.log_text().count("delivery failed")
        print("dead peer: %.3f s CPU in %.1f s, %d log lines, %s attempts, state %r" %
              (cpu, wall, failed_lines, m["EventWriteFail"], m.get("State")))
        self.assertLess(cpu / wall, 0.02, "a failing sink must cost < 2 % of a core")
        self.assertLessEqual(failed_lines, 2, agent.log_text()[-2000:])
        self.assertLess(int(m["EventWriteFail"]), 40)
        self.assertTrue(m.get("State", "").startswith("backoff"), m)
        self.assertEqual(agent.counter("CHANNEL.c1", "ChannelSize"), 1)
        # A stop retries until the deadline, then says what a memory channel still held.
        t0 = time.monotonic()
        code = agent.stop(signal.SIGTERM)
        took = time.monotonic() - t0
        self.assertEqual(code, 4)
        self.assertGreater(took, 0.9)  # --drain-timeout default 10 s is long: see the next test
        self.assertIn("1 undelivered events", agent.log_text())

    def test_stop_with_dead_peers_is_bounded_and_exits_4(self):
        for group in ("", "lb"):
            port, d1, d2 = free_port(), free_port(), free_port()
            conf = EDGE.format(sinks="k1 k2", port=port) + AVRO_SINK.format(name="k1", port=d1) + \
                AVRO_SINK.format(name="k2", port=d2)
            if group:
                conf += ("a1.sinkgroups = g1\na1.sinkgroups.g1.sinks = k1 k2\n"
                         "a1.sinkgroups.g1.processor.type = load_balance\n"
                         "a1.sinkgroups.g1.processor.backoff = true\n")
            agent = self.start_agent(conf, args=["--drain-timeout", "2"])
            NetcatClient(port).send_lines(["e%d" % i for i in range(1000)])
            wait_until(lambda: agent.counter("SINK.k1", "EventWriteFail") >= 1, 20)
            t0 = time.monotonic()
            code = agent.stop(signal.SIGTERM)
            took = time.monotonic() - t0
            print("%s: stop took %.2f s, exit %d" % (group or "two sinks", took, code))
            self.assertEqual(code, 4, agent.log_text()[-2000:])
            self.assertIn("1000 undelivered events", agent.log_text())
            self.assertGreater(took, 1.5, "the drain keeps retrying until its deadline")
            self.assertLess(took, 6)

    def test_kafka_sink_with_an_unreachable_broker_stops_within_the_deadline(self):
        port, dead = free_port(), free_port()
        agent = self.start_agent(EDGE.format(sinks="k1", port=port) + """
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:%d
a1.sinks.k1.kafka.topic = t
""" % dead, args=["--drain-timeout", "1"])
        NetcatClient(port).send_lines(["e%d" % i for i in range(10)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainAttemptCount") >= 1, 20)
        t0 = time.monotonic()
        code = agent.stop(signal.SIGTERM)
        took = time.monotonic() - t0
        print("kafka sink, dead broker: stop took %.2f s, exit %d" % (took, code))
        self.assertEqual(code, 4)
        self.assertIn("10 undelivered events", agent.log_text())
        self.assertLess(took, 5, "message.timeout.ms (30 s) must not hold the stop")


if __name__ == "__main__":
    unittest.main()
