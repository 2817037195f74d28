"""/health answers service monitors from the agent's own state (200 ok, 503 with the failing
components), and /metrics carries one- and five-minute rates next to the counters."""
import json
import unittest
import urllib.error
import urllib.request

from flumen_harness import AgentTestCase, NetcatClient, free_port, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = forward
a1.sinks.k1.channel = c1
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = {peer}
a1.sinks.k1.connect-timeout = 200
"""

RECEIVER = """
b1.sources = f1
b1.channels = c1
b1.sinks = k1
b1.sources.f1.type = forward
b1.sources.f1.bind = 127.0.0.1
b1.sources.f1.port = {peer}
b1.sources.f1.channels = c1
b1.channels.c1.type = memory
b1.sinks.k1.type = null
b1.sinks.k1.channel = c1
"""


def health(agent):
    url = "http://127.0.0.1:%d/health" % agent.metrics_port
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


class HealthTest(AgentTestCase):
    def test_health_follows_a_sink_backing_off_and_recovering(self):
        port, peer = free_port(), free_port()
        receiver = self.start_agent(RECEIVER.format(peer=peer), name="b1")
        agent = self.start_agent(CONF.format(port=port, peer=peer))
        client = NetcatClient(port)
        client.send_lines(["before %d" % i for i in range(10)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 10, 20,
                   "the first events to be forwarded")
        status, body = health(agent)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["failing"], [])
        self.assertEqual(body["components"], 3)

        receiver.stop()  # the peer is gone: the forward sink backs off
        client.send_lines(["during %d" % i for i in range(10)])
        wait_until(lambda: health(agent)[0] == 503, 30, "/health to report the failing sink")
        status, body = health(agent)
        self.assertEqual(body["status"], "failing")
        self.assertEqual([p["component"] for p in body["failing"]], ["SINK.k1"], body)

        self.start_agent(RECEIVER.format(peer=peer), name="b1")
        wait_until(lambda: health(agent)[0] == 200, 60, "/health to recover with the peer back")
        client.close()

    def test_metrics_carry_rates_next_to_counters(self):
        port, peer = free_port(), free_port()
        self.start_agent(RECEIVER.format(peer=peer), name="b1")
        agent = self.start_agent(CONF.format(port=port, peer=peer))
        m = agent.metrics()["SOURCE.r1"]
        self.assertEqual(m["EventReceivedOneMinuteRate"], "0.0")
        self.assertIn("EventReceivedFiveMinuteRate", m)
        self.assertNotIn("OpenConnectionOneMinuteRate", m)  # a gauge has no rate
        client = NetcatClient(port)
        client.send_lines(["line %d" % i for i in range(200)])
        # The rates tick every 5 s: the first tick after the lines arrived shows them.
        wait_until(lambda: float(agent.metrics()["SOURCE.r1"]["EventReceivedOneMinuteRate"]) > 0,
                   20, "a one-minute rate above zero")
        prom = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics?format=prometheus" % agent.metrics_port).read().decode()
        self.assertNotIn("one_minute_rate", prom)  # Prometheus computes rates itself
        client.close()


if __name__ == "__main__":
    unittest.main()
