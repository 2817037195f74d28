"""`flumen check` and the agent refuse bad configuration with every problem as file:line."""
import glob
import os
import re
import unittest

from flumen_harness import SOURCE_DIR, AgentTestCase

BAD = """# line 1
a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sources.r1.type = netcat
a1.sources.r1.port = 44444
a1.sources.r1.batchsize = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sources.r1.max-line-length = lots
a1.channels.c1.transactionCapacity = 50
a1.sinks.k1.type = null
a1.sinks.k1.channel = c7
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinks.k2.batchSize = 200
a1.sinks.k3.type = hdfs-ish
a1.sinks.k3.channel = c1
a1.sinkgroups = g1 g2
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g2.sinks = k2
a1.sinks.k1.type = logger
b1.sources = anything
b1.sources.anything.type = not-checked
"""


class CheckTest(AgentTestCase):
    def write(self, text, name="agent.conf"):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_every_problem_is_reported_with_file_and_line(self):
        conf = self.write(BAD)
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1, r.stderr)
        err = r.stderr
        expected = [
            (5, "source 'r1' (type netcat): missing required property 'a1.sources.r1.bind'"),
            # Found although r1 has other errors: one problem does not hide another.
            (5, "source 'r1': batchSize 100 exceeds transactionCapacity 50 of channel 'c1'"),
            (10, "a1.sources.r1.max-line-length: expected an integer, got 'lots'"),
            (14, "sink 'k2': batchSize 200 exceeds transactionCapacity 50 of channel 'c1'"),
            (17, "unknown sink type 'hdfs-ish'"),
        ]
        for line, message in expected:
            self.assertIn("%s:%d: error: %s" % (conf, line, message), err)
        # What Flume ignores or drops: warnings, with the nearest key.
        warnings = [
            (7, "unknown property 'a1.sources.r1.batchsize' for source 'r1' (type netcat); "
                "did you mean 'batchSize'? (ignored, as Flume ignores it)"),
            (13, "sink 'k1' refers to channel 'c7', which is not a configured channel of "
                 "a1.channels (did you mean 'c1'?); dropped, as Flume drops it"),
            (20, "sink group 'g1' refers to sink 'k1'"),
            (22, "sink 'k2' is in two sink groups: 'g1' and 'g2'"),
            (22, "sink group 'g2' has no sinks; dropped, as Flume drops it"),
        ]
        for line, message in warnings:
            self.assertIn("%s:%d: warning: %s" % (conf, line, message), err)
        self.assertIn("%s:23: warning: duplicate key 'a1.sinks.k1.type' (first at line 12)" % conf,
                      err)
        self.assertNotIn("not-checked", err)  # only the agent named by -n is built
        self.assertEqual(len(re.findall(r": error: ", err)), len(expected), err)
        # Reported in file order, so the output reads like the file.
        lines = [int(m) for m in re.findall(r"agent\.conf:(\d+): ", err)]
        self.assertEqual(lines, sorted(lines))

    def test_the_agent_refuses_to_start_on_the_same_errors(self):
        conf = self.write(BAD)
        r = self.run_flumen("agent", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("configuration error(s): agent 'a1' not started", r.stderr)

    def test_paths_a_component_writes_are_checked_before_start(self):
        # A regular file where a directory must be: nothing could be created below it (the
        # suite runs as root, so permission bits alone would not stop a write).
        blocker = self.path("a-file")
        with open(blocker, "w") as f:
            f.write("in the way\n")
        conf = self.write("""a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {logs}/app.log
a1.sources.r1.positionFile = {b}/pos/taildir_position.json
a1.sources.r1.channels = c1 c2
a1.channels.c1.type = memory
a1.channels.c2.type = file
a1.channels.c2.dataDirs = {b}/channel
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {b}
a1.sinks.k1.channel = c1
""".format(logs=self.workdir, b=blocker))
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertRegex(out, r":7: error: a1\.sources\.r1\.positionFile: cannot create .*"
                              r"a-file is not a directory")
        self.assertRegex(out, r":10: error: channel 'c2'.* cannot be written")
        self.assertRegex(out, r":13: error: a1\.sinks\.k1\.sink\.directory: .*a-file is not a "
                              r"directory")
        r = self.run_flumen("agent", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not started", r.stderr)
        # Where they can be created, they pass.
        os.remove(blocker)
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    TOLERATED = """a1.sources = r1 r2
a1.channels = c1
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.batchsize = 10
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
"""

    def test_what_flume_tolerates_passes_with_warnings_and_strict_refuses_it(self):
        conf = self.write(self.TOLERATED)
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("%s:1: warning: source 'r2' is listed in a1.sources but not configured" % conf,
                      r.stderr)
        self.assertIn("%s:3: warning: sink 'k2' is listed in a1.sinks but not configured" % conf,
                      r.stderr)
        self.assertIn("did you mean 'batchSize'?", r.stderr)
        self.assertIn("1 sources, 1 channels, 1 sinks, 0 sink groups; 3 warning(s)", r.stdout)
        self.assertIn("dropped, as Flume drops them: source 'r2', sink 'k2'", r.stdout)
        strict = self.run_flumen("check", "--strict", "-f", conf, "-n", "a1")
        self.assertEqual(strict.returncode, 1)
        self.assertEqual(len(re.findall(r": error: .*\[--strict\]", strict.stderr)), 3,
                         strict.stderr)
        r = self.run_flumen("agent", "--strict", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        # Without --strict the agent runs what Flume runs.
        a = self.start_agent(self.TOLERATED)
        self.assertIn("SOURCE.r1", a.metrics())
        self.assertNotIn("SINK.k2", a.metrics())
        self.assertIn("running without what Flume would drop: source 'r2', sink 'k2'", a.log_text())

    def test_listeners_left_on_every_interface_are_warned_about(self):
        # Flume's syslog and http sources listen on 0.0.0.0 unless told otherwise: kept, said.
        conf = self.write("""a1.sources = s h t
a1.channels = c1
a1.sinks = k1
a1.sources.s.type = syslogtcp
a1.sources.s.port = 5140
a1.sources.s.channels = c1
a1.sources.h.type = http
a1.sources.h.port = 5141
a1.sources.h.channels = c1
a1.sources.t.type = syslogudp
a1.sources.t.host = 127.0.0.1
a1.sources.t.port = 5142
a1.sources.t.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
""")
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)
        for line, key in ((4, "host"), (7, "bind")):
            self.assertIn("%s:%d: warning:" % (conf, line), r.stderr)
            self.assertIn("%s is not set: listening on every interface" % key, r.stderr)
        self.assertEqual(r.stderr.count("listening on every interface"), 2, r.stderr)
        self.assertEqual(self.run_flumen("check", "--strict", "-f", conf, "-n", "a1").returncode, 1)

    def test_valid_conf_with_escapes_continuations_and_substitution(self):
        conf = self.write("""! Flume's properties dialect, all of it
a1.sources = r1 \\
             r2
a1.channels : c1
a1.sinks k1
a1.sources.r1.type = org.apache.flume.source.SequenceGeneratorSource
a1.sources.r1.channels = c1
a1.sources.r2.type = SEQ
a1.sources.r2.channels = ${env:FLUMEN_TEST_CHANNEL}
a1.sources.r2.totalEvents = ${sys:events}
a1.channels.c1.type = memory
a1.sinks.k1.type = logger
a1.sinks.k1.channel = ${a1.sources.r1.channels}
""")
        r = self.run_flumen("check", "-f", conf, "-n", "a1", "-Devents=5",
                            env={"FLUMEN_TEST_CHANNEL": "c1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("agent 'a1' is valid: 2 sources, 1 channels, 1 sinks", r.stdout)
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unresolved variable ${env:FLUMEN_TEST_CHANNEL}", r.stderr)

    def test_a_later_conf_file_overrides_an_earlier_one(self):
        base = self.write("a1.channels = c1\na1.sinks = k1\na1.channels.c1.type = memory\n"
                          "a1.sinks.k1.type = null\na1.sinks.k1.channel = c1\n"
                          "a1.sinks.k1.batchSize = 500\n", "base.conf")
        override = self.write("a1.sinks.k1.batchSize = 50\n", "override.conf")
        self.assertEqual(self.run_flumen("check", "-f", base, "-n", "a1").returncode, 1)
        r = self.run_flumen("check", "-f", base, "-f", override, "-n", "a1")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_bad_command_line_exits_2(self):
        self.assertEqual(self.run_flumen("agent", "-n", "a1").returncode, 2)
        self.assertEqual(self.run_flumen("no-such-command").returncode, 2)

    def test_plugins_lists_every_plugin(self):
        r = self.run_flumen("plugins")
        self.assertEqual(r.returncode, 0)
        for name in ("seq", "netcat", "netcatudp", "exec", "memory", "null", "logger", "file_roll",
                     "max-line-length", "sink.rollInterval", "keep-alive"):
            self.assertIn(name, r.stdout)

    def test_every_shipped_conf_passes_check(self):
        confs = sorted(glob.glob(os.path.join(SOURCE_DIR, "conf", "*.conf")) +
                       glob.glob(os.path.join(SOURCE_DIR, "conf", "layouts", "*.conf")))
        self.assertTrue(confs, "conf/ holds no pipelines")
        env = {"DEMO_PORT": "44444", "DEMO_DIR": self.workdir, "EDGE_NAME": "edge-1",
               "EDGE_DIR": self.workdir, "AGG1_PORT": "4545", "AGG2_PORT": "4546",
               "AGG_NAME": "agg1", "AGG_DIR": self.workdir, "AGG_PORT": "4545",
               "BROKER": "127.0.0.1:9092", "CAR_DIR": self.workdir,
               "LAYOUT_DIR": self.workdir, "PORT": "4545", "PORT2": "4545", "PORT3": "4546"}
        for conf in confs:
            with open(conf) as f:
                text = f.read()
            m = re.search(r"^# agent: (\S+)", text, re.M)
            self.assertIsNotNone(m, "%s names no agent in a '# agent: NAME' line" % conf)
            # Every agent the file describes, not only the one named first.
            names = {m.group(1)} | set(re.findall(r"^(\w+)\.sources\s*=", text, re.M))
            for name in sorted(names):
                r = self.run_flumen("check", "-f", conf, "-n", name, env=env)
                self.assertEqual(r.returncode, 0, "%s -n %s: %s" % (conf, name, r.stderr))
                self.assertNotIn("warning", r.stderr, conf)


if __name__ == "__main__":
    unittest.main()
