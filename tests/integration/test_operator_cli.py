"""The command line as a new operator meets it: `check` of every agent of a file, topology graphs,
one plugin's help and the JSON schema, a mistyped subcommand, durations that mean what they say."""
import json
import os
import time
import unittest

from flumen_harness import AgentTestCase

TWO_AGENTS = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 4444
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
b1.sources = r1
b1.channels = c1
b1.sinks = k1
b1.sources.r1.type = seq
b1.sources.r1.channels = c1
b1.channels.c1.type = memory
b1.sinks.k1.type = logger
b1.sinks.k1.channel = c1
b1.sinks.k1.batchSize = many
"""


class OperatorCliTest(AgentTestCase):
    def write(self, text):
        path = self.path("agents.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_without_name_checks_every_agent(self):
        conf = self.write(TWO_AGENTS)
        r = self.run_flumen("check", "-f", conf)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("agent 'a1' is valid", r.stdout)
        self.assertRegex(r.stderr, r"agents.conf:20: error: .*batchSize")
        self.assertIn("agent 'b1' would not start", r.stderr)
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_graphs_of_the_topology(self):
        conf = self.write(TWO_AGENTS.replace("b1.sinks.k1.batchSize = many\n", ""))
        r = self.run_flumen("check", "-f", conf, "--graph", "mermaid")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("flowchart LR\n"), r.stdout)
        for edge in ("a1_source_r1 --> a1_channel_c1", "a1_channel_c1 --> a1_sink_k1",
                     "b1_source_r1 --> b1_channel_c1", "b1_channel_c1 --> b1_sink_k1"):
            self.assertIn(edge, r.stdout)
        self.assertIn("is valid", r.stderr)  # the summary stays off stdout
        r = self.run_flumen("check", "-f", conf, "-n", "b1", "--graph", "dot")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("digraph flumen {"), r.stdout)
        self.assertIn("b1_channel_c1 -> b1_sink_k1;", r.stdout)
        self.assertNotIn("a1_", r.stdout)
        r = self.run_flumen("check", "-f", conf, "--graph", "svg")
        self.assertEqual(r.returncode, 2)

    def test_one_plugin_and_the_schema(self):
        r = self.run_flumen("plugins", "taildir")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("source taildir - "), r.stdout)
        self.assertIn("positionFile", r.stdout)
        r = self.run_flumen("plugins", "kafak")
        self.assertEqual(r.returncode, 2)
        self.assertIn("did you mean 'kafka'?", r.stderr)
        r = self.run_flumen("plugins", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        schema = json.loads(r.stdout)
        names = {(p["kind"], p["name"]) for p in schema["plugins"]}
        self.assertIn(("source", "kafka"), names)
        self.assertIn(("sink", "kafka"), names)
        memory = [p for p in schema["plugins"] if p["name"] == "memory"][0]
        capacity = [k for k in memory["properties"] if k["key"] == "capacity"][0]
        self.assertEqual(capacity["type"], "integer")
        self.assertIn("default", capacity)

    def test_a_mistyped_subcommand_is_named(self):
        r = self.run_flumen("agnet", "-f", "x.conf")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown subcommand 'agnet'; did you mean 'agent'?", r.stderr)

    def test_sim_durations(self):
        out = self.path("drive.log")
        r = self.run_flumen("sim", "drive", "--out", out, "--duration", "abc")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("'abc' is not a duration", r.stderr)
        start = time.monotonic()
        r = self.run_flumen("sim", "drive", "--out", out, "--duration", "200ms")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - start, 1.5)  # 200 ms, not 200 s or 2 s
        self.assertTrue(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
