"""Flume's tools and modes beside the conf: `flumen avro-client` (flume-ng avro-client's flags),
-Dflume.monitoring.type=prometheus (Flume's Prometheus text) and the load_balancing selector."""
import json
import os
import re
import subprocess
import unittest
import urllib.request

from flumen_harness import FLUMEN, AgentTestCase, free_port, read_lines, wait_until


class FlumeCompatTest(AgentTestCase):
    def receiver(self, port, out_dir, extra=""):
        return """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = %s
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
a1.sinks.k1.channel = c1
%s""" % (port, out_dir, extra)

    def test_avro_client_sends_a_file_with_headers(self):
        port = free_port()
        out = self.path("out")
        os.makedirs(out)
        a = self.start_agent(self.receiver(port, out))
        data = self.path("input.txt")
        with open(data, "w") as f:
            for i in range(2500):
                f.write("line %d\n" % i)
        headers = self.path("headers.properties")
        with open(headers, "w") as f:
            f.write("host = edge-1\nfleet=cars\n")
        r = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(port), "-F", data,
                            "-R", headers)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sent 2500 events", r.stderr)
        wait_until(lambda: a.counter("SINK.k1", "EventDrainSuccessCount") >= 2500, 30,
                   "every line at the file_roll sink")
        a.stop()
        lines = read_lines(out)
        self.assertEqual(len(lines), 2500)
        self.assertIn("fleet=cars", lines[0])
        self.assertIn("host=edge-1", lines[0])
        self.assertTrue(lines[-1].endswith("line 2499"), lines[-1])

    def test_avro_client_sends_a_directory_and_reports_a_dead_port(self):
        port = free_port()
        out = self.path("out")
        os.makedirs(out)
        a = self.start_agent(self.receiver(port, out))
        d = self.path("in")
        os.makedirs(d)
        for name in ("a.log", "b.log"):
            with open(os.path.join(d, name), "w") as f:
                f.write("%s-1\n%s-2\n" % (name, name))
        r = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(port), "--dirname", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: a.counter("SINK.k1", "EventDrainSuccessCount") >= 4, 30, "4 events")
        dead = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(free_port()), "-F",
                               os.path.join(d, "a.log"))
        self.assertEqual(dead.returncode, 3)
        self.assertIn("cannot connect to 127.0.0.1", dead.stderr)

    def test_prometheus_monitoring_serves_flume_names(self):
        port = free_port()
        out = self.path("out")
        os.makedirs(out)
        metrics_port = free_port()
        conf = self.path("p.conf")
        with open(conf, "w") as f:
            f.write(self.receiver(port, out))
        # As Flume is started: the monitoring type and port as -D system properties.
        log = open(self.path("p.log"), "w")
        proc = subprocess.Popen([FLUMEN, "agent", "-f", conf, "-n", "a1",
                                 "-Dflume.monitoring.type=prometheus",
                                 "-Dflume.monitoring.port=%d" % metrics_port],
                                stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(), log.close()))

        def scrape(query=""):
            url = "http://127.0.0.1:%d/metrics%s" % (metrics_port, query)
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.headers.get("Content-Type"), resp.read().decode()
        wait_until(lambda: '"StartTime"' in scrape("?format=json")[1] and
                   json.loads(scrape("?format=json")[1])["SOURCE.r1"]["StartTime"] != "0", 30,
                   "the agent (Flume's JSON with ?format=json)")
        r = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(port), "-F", conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: re.search(r'Flume_EventDrainSuccessCount_total\{component="k1",\} '
                                     r'[1-9]', scrape()[1]), 30, "drained events in the text")
        ctype, text = scrape()
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        self.assertIn("# TYPE Flume_EventReceivedCount_total counter", text)
        self.assertIn("Flume_ChannelCapacity{component=\"c1\",} ", text)
        self.assertRegex(text, r'Flume_EventAcceptedCount_total\{component="r1",\} [1-9]\d*\.0\n')
        self.assertNotIn("flumen_", text)
        self.assertNotIn('"Type"', text)

    def test_load_balancing_selector_spreads_events_over_channels(self):
        port = free_port()
        outs = [self.path("out1"), self.path("out2")]
        for o in outs:
            os.makedirs(o)
        conf = """
a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
a1.sources.r1.channels = c1 c2
a1.sources.r1.selector.type = load_balancing
a1.sources.r1.selector.policy = round_robin
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = %s
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
a1.sinks.k2.type = file_roll
a1.sinks.k2.sink.directory = %s
a1.sinks.k2.sink.rollInterval = 0
a1.sinks.k2.channel = c2
""" % (port, outs[0], outs[1])
        a = self.start_agent(conf)
        data = self.path("in.txt")
        with open(data, "w") as f:
            f.write("".join("e%d\n" % i for i in range(100)))
        r = self.run_flumen("avro-client", "-H", "127.0.0.1", "-p", str(port), "-F", data)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: a.counter("SINK.k1", "EventDrainSuccessCount") +
                   a.counter("SINK.k2", "EventDrainSuccessCount") >= 100, 30, "100 events")
        a.stop()
        first, second = read_lines(outs[0]), read_lines(outs[1])
        self.assertEqual(len(first), 50)
        self.assertEqual(len(second), 50)
        self.assertEqual(first[:3], ["e0", "e2", "e4"])
        self.assertEqual(sorted(first + second, key=lambda s: int(s[1:])),
                         ["e%d" % i for i in range(100)])


if __name__ == "__main__":
    unittest.main()
