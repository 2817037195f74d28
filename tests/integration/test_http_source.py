"""The http source: JSON and blob handlers, 200 on commit, 400 on malformed input with a
message, 503 when the channel is full, 405 for other methods."""
import json
import subprocess
import urllib.error
import urllib.request
import unittest

from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = {sinks}
a1.sources.r1.type = org.apache.flume.source.http.HTTPSource
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.handler = {handler}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = {capacity}
a1.channels.c1.transactionCapacity = {capacity}
a1.channels.c1.keep-alive = 0
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = header_and_text
"""


def post(port, body, path="/", method="POST"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class HttpSourceTest(AgentTestCase):
    def start(self, handler="org.apache.flume.source.http.JSONHandler", capacity=1000, sinks="k1"):
        self.port = free_port()
        self.out = self.path("out")
        conf = CONF.format(port=self.port, handler=handler, capacity=capacity, out=self.out,
                           sinks=sinks)
        if not sinks:  # a source filling a channel that nothing drains
            conf = "\n".join(l for l in conf.splitlines() if not l.startswith("a1.sinks")) + "\n"
        return self.start_agent(conf)

    def test_json_events_are_committed_then_answered(self):
        agent = self.start()
        events = [{"headers": {"car": "SmartCar-%02d" % i}, "body": "status %d" % i}
                  for i in range(50)]
        status, body = post(self.port, json.dumps(events).encode())
        self.assertEqual(status, 200, body)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 50, 20)
        status, body = post(self.port, b'[{"headers": {"a": 1}, "body": "x"}]')
        self.assertEqual(status, 400)
        self.assertIn("header 'a' must be a string", body)
        status, body = post(self.port, b'{not json')
        self.assertEqual(status, 400)
        self.assertIn("malformed JSON", body)
        status, _ = post(self.port, None, method="GET")
        self.assertEqual(status, 405)
        self.assertEqual(agent.stop(), 0)
        lines = read_lines(self.out)
        self.assertEqual(lines, ["{car=SmartCar-%02d} status %d" % (i, i) for i in range(50)])

    def test_curl_posts_json(self):
        agent = self.start()
        r = subprocess.run(["curl", "-s", "-o", "-", "-w", "%{http_code}", "-X", "POST",
                            "-H", "Content-Type: application/json",
                            "--data", '[{"headers":{"car":"c1"},"body":"from curl"}]',
                            "http://127.0.0.1:%d/" % self.port],
                           capture_output=True, text=True, timeout=20)
        self.assertTrue(r.stdout.endswith("200"), r.stdout + r.stderr)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 1, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(self.out), ["{car=c1} from curl"])

    def test_a_full_channel_answers_503(self):
        agent = self.start(capacity=10, sinks="")
        one = json.dumps([{"body": "e%d" % i} for i in range(10)]).encode()
        self.assertEqual(post(self.port, one)[0], 200)
        status, body = post(self.port, one)
        self.assertEqual(status, 503, body)
        self.assertIn("full", body)
        self.assertEqual(agent.counter("CHANNEL.c1", "ChannelSize"), 10)
        agent.kill()

    def test_blob_handler_takes_the_body_and_query_headers(self):
        agent = self.start(handler="org.apache.flume.sink.solr.morphline.BlobHandler")
        status, _ = post(self.port, b"line one\nline two", path="/?car=SmartCar-07&kind=drive%20log")
        self.assertEqual(status, 200)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 1, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(self.out),
                         ["{car=SmartCar-07, kind=drive log} line one", "line two"])


if __name__ == "__main__":
    unittest.main()
