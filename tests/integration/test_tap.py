"""`flumen tap` on a running agent: it prints real events passing a source (after its
interceptors), a channel and a sink, headers and body, and takes none of them: the sink still
writes every line exactly once."""
import json
import os
import re
import threading
import time
import unittest

from flumen_harness import AgentTestCase, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = f1
a1.sources.r1.filegroups.f1 = {logs}/.*\\.log
a1.sources.r1.positionFile = {dir}/taildir.json
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = st
a1.sources.r1.interceptors.st.type = static
a1.sources.r1.interceptors.st.key = fleet
a1.sources.r1.interceptors.st.value = north
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
"""

LINE = re.compile(r"^(SOURCE\.r1|CHANNEL\.c1|SINK\.k1) #(\d+) \d\d:\d\d:\d\d\.\d\d\d "
                  r"\{fleet=north\} car-(\d+) speed=(\d+)$")


class TapTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        os.makedirs(self.path("logs"))
        os.makedirs(self.path("out"))
        self.agent = self.start_agent(CONF.format(logs=self.path("logs"), dir=self.workdir,
                                                  out=self.path("out")))
        self.written = 0
        self.stopping = threading.Event()
        self.writer = threading.Thread(target=self.write, daemon=True)
        self.writer.start()
        self.addCleanup(self.writer.join)
        self.addCleanup(self.stopping.set)

    def write(self):
        with open(self.path("logs", "app.log"), "a") as f:
            while not self.stopping.is_set():
                for _ in range(10):
                    self.written += 1
                    f.write("car-%d speed=%d\n" % (self.written % 7, self.written))
                f.flush()
                time.sleep(0.05)

    def tap(self, *args):
        return self.run_flumen("tap", "--agent", "127.0.0.1:%d" % self.agent.metrics_port,
                               *args)

    def test_tap_shows_real_events_without_taking_them(self):
        wait_until(lambda: self.agent.counter("SINK.k1", "EventDrainSuccessCount") > 0, 20,
                   "data to flow")
        for component in ("r1", "CHANNEL.c1", "SINK.k1"):
            r = self.tap(component, "-n", "5", "--timeout", "20")
            print(r.stdout, end="")
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(len(lines), 5)
            seqs, speeds = [], []
            for line in lines:
                m = LINE.match(line)
                self.assertIsNotNone(m, line)
                self.assertEqual(int(m.group(3)), int(m.group(4)) % 7)  # as written
                seqs.append(int(m.group(2)))
                speeds.append(int(m.group(4)))
            self.assertEqual(seqs, sorted(seqs))
            self.assertEqual(len(set(speeds)), 5)  # five different events

        r = self.tap("k1", "-n", "3", "--json", "--timeout", "20")
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(events), 3)
        for e in events:
            self.assertEqual(e["headers"]["fleet"], "north")
            self.assertRegex(e["body"], r"^car-\d+ speed=\d+$")
            self.assertEqual(e["bodySize"], len(e["body"]))

        # Nothing was taken: every line written reaches the sink exactly once.
        self.stopping.set()
        self.writer.join()
        total = self.written
        wait_until(lambda: self.agent.counter("SINK.k1", "EventDrainSuccessCount") >= total, 20,
                   "the sink to drain")
        self.assertEqual(self.agent.stop(), 0)
        out = read_lines(self.path("out"))
        self.assertEqual(len(out), total)
        self.assertEqual(sorted(int(l.split("=")[1]) for l in out), list(range(1, total + 1)))
        print("%d lines written, %d delivered, each once, with 4 taps attached meanwhile"
              % (total, len(out)))

    def test_errors(self):
        r = self.tap("nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no component nope", r.stderr)
        r = self.tap("c1", "-n", "1", "--timeout", "0.5")  # c1 is a channel only: fine
        self.assertEqual(r.returncode, 0, r.stderr)
        self.stopping.set()
        self.writer.join()
        total = self.written
        wait_until(lambda: self.agent.counter("SINK.k1", "EventDrainSuccessCount") >= total, 20,
                   "the sink to drain")
        r = self.tap("k1", "-n", "1", "--timeout", "1")  # nothing passes any more
        self.assertEqual(r.returncode, 1)
        self.assertIn("0 of 1 events passed SINK.k1 within 1 s", r.stderr)


if __name__ == "__main__":
    unittest.main()
