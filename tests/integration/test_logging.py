"""Logging as operators of Flume expect it: log4j level names, -Dflume.root.logger, a log file
rotated by size, -v/-q; start-up and reload lines that say what runs and what changed."""
import os
import re
import signal
import unittest

from flumen_harness import AgentTestCase, free_port, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = {batch}
"""


class LoggingTest(AgentTestCase):
    def conf(self, batch=100):
        path = self.path("a1.conf")
        with open(path, "w") as f:
            f.write(CONF.format(batch=batch))
        return path

    def test_unknown_levels_are_command_line_errors(self):
        conf = self.conf()
        r = self.run_flumen("agent", "-f", conf, "-n", "a1", "--log-level", "LOUD")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("unknown log level 'LOUD'", r.stderr)
        r = self.run_flumen("agent", "-f", conf, "-n", "a1", "-Dflume.root.logger=NOISY,console")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("unknown level 'NOISY'", r.stderr)
        r = self.run_flumen("broker", "--data-dir", self.path("b"), "--log-level", "chatty")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_log4j_names_and_quiet_keep_errors_visible(self):
        conf = self.path("bad.conf")
        with open(conf, "w") as f:
            f.write("a1.sources = r1\n")
        for args in (["--log-level", "WARN"], ["--log-level", "error"], ["-q"], ["-qq"]):
            r = self.run_flumen("agent", "-f", conf, "-n", "a1", *args)
            self.assertEqual(r.returncode, 1, args)
            self.assertNotIn(" info ", r.stderr, args)
            self.assertIn("error <config>: agent 'a1' lists no channels", r.stderr, args)
            # The line says "error" once, as its level, not again in the text.
            self.assertNotRegex(r.stderr, r"error .*: error:")

    def test_root_logger_logfile_and_rotation(self):
        conf = self.conf()
        logs = self.path("logs")
        for _ in range(4):
            agent = self.start_agent(CONF.format(batch=100), args=[
                "-Dflume.root.logger=DEBUG,LOGFILE", "-Dflume.log.dir=" + logs,
                "-Dflume.log.file=a1.log", "--log-max-size", "1k", "--log-max-files", "2"])
            wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 10, 20)
            self.assertEqual(agent.stop(), 0)
            self.assertEqual(agent.log_text(), "")  # nothing on stderr: it all went to the file
        names = sorted(os.listdir(logs))
        self.assertEqual(names, ["a1.1.log", "a1.2.log", "a1.log"])
        for n in names:
            self.assertLessEqual(os.path.getsize(os.path.join(logs, n)), 1024 + 400)
        with open(os.path.join(logs, "a1.log")) as f:
            text = f.read()
        self.assertRegex(text, r"(?m) (debug|info) ")

    def test_start_up_and_reload_say_what_runs_and_what_changed(self):
        conf = self.conf(batch=100)
        agent = self.start_agent(CONF.format(batch=100), args=["-v"])
        text = agent.log_text()
        self.assertRegex(text, r"flumen \d+\.\d+\.\d+ \(\w+ build\), agent 'a1' from .*a1-\d+\.conf")
        self.assertIn("building source r1 (seq) -> c1; channel c1 (memory); sink k1 (null) <- c1",
                      text)
        with open(agent.conf_path, "w") as f:
            f.write(CONF.format(batch=50))
        agent.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload applied" in agent.log_text(), 20, "the reload")
        text = agent.log_text()
        self.assertIn("SIGHUP: reloading " + agent.conf_path, text)
        self.assertIn("reload applied (changed: sink k1; unchanged: 2)", text)


if __name__ == "__main__":
    unittest.main()
