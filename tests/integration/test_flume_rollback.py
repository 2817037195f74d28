"""Rolling back to Apache Flume and forward again: the TAILDIR position file one writes, the other
resumes from, without reading a line twice or losing one.

flumen tails two files and stops; Flume 1.11 starts on the same positionFile and file groups and
must deliver exactly the lines written since; flumen starts again on the file Flume left and must
deliver exactly the lines written after that. With a memory channel the position file is all
flumen has; with a file channel flumen also keeps its positions in the channel (markers committed
with the events), which are stale once Flume has moved the positions on. And a file rotated
while Flume tails it leaves Flume's position file with two entries for one path.
"""
import json
import os
import time
import unittest

from flume_peer import FlumeAgent, flume_classpath
from flumen_harness import AgentTestCase, read_lines, wait_until

TAILDIR = """
{a}.sources = r1
{a}.channels = c1
{a}.sinks = k1
{a}.sources.r1.type = TAILDIR
{a}.sources.r1.filegroups = g1
{a}.sources.r1.filegroups.g1 = {logs}/app.*\\.log
{a}.sources.r1.positionFile = {pos}
{a}.sources.r1.batchSize = 100
{a}.sources.r1.writePosInterval = 500
{a}.sources.r1.channels = c1
{a}.channels.c1.type = {channel}
{a}.channels.c1.capacity = 100000
{a}.channels.c1.transactionCapacity = 1000
{a}.sinks.k1.type = file_roll
{a}.sinks.k1.channel = c1
{a}.sinks.k1.sink.directory = {out}
{a}.sinks.k1.sink.rollInterval = 0
"""
FLUMEN_FILE_CHANNEL = """
{a}.channels.c1.checkpointDir = {work}/fc/checkpoint
{a}.channels.c1.dataDirs = {work}/fc/data
"""
FILES = ("app1.log", "app2.log")
LINES = 1500  # per file and step: several batches, positions mid-file


class FlumeRollbackTest(AgentTestCase):
    @classmethod
    def setUpClass(cls):
        flume_classpath()  # resolves Flume through Maven once, before any timeout starts

    def setUp(self):
        super().setUp()
        self.logs = self.path("logs")
        os.makedirs(self.logs)
        os.makedirs(self.path("pos"))
        self.pos = self.path("pos", "taildir_position.json")
        self.flume = []
        self.addCleanup(lambda: [f.kill() for f in self.flume])

    def write(self, step):
        expected = []
        for name in FILES:
            lines = ["%s step%d line%05d" % (name, step, i) for i in range(LINES)]
            with open(os.path.join(self.logs, name), "a") as f:
                f.write("".join(l + "\n" for l in lines))
            expected += lines
        return expected

    def conf(self, agent, out, channel):
        text = TAILDIR.format(a=agent, logs=self.logs, pos=self.pos, out=out,
                              channel="file" if channel == "file" else "memory")
        if channel == "file":
            text += FLUMEN_FILE_CHANNEL.format(a=agent, work=self.workdir)
        return text

    def assert_exactly(self, out, expected, who):
        got = read_lines(out)
        missing = set(expected) - set(got)
        extra = len(got) - len(set(got)) + len(set(got) - set(expected))
        self.assertEqual((len(missing), extra), (0, 0),
                         "%s: %d lines lost (e.g. %s), %d read twice or foreign (got %d lines)"
                         % (who, len(missing), sorted(missing)[:3], extra, len(got)))
        for name in FILES:  # and in each file's order
            mine = [l for l in got if l.startswith(name + " ")]
            self.assertEqual(mine, [l for l in expected if l.startswith(name + " ")], who)

    def run_flumen(self, step, channel):
        out = self.path("out%d" % step)
        agent = self.start_agent(self.conf("a1", out, channel), "a1")
        n = len(FILES) * LINES
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= n, 60,
                   "flumen to deliver step %d" % step)
        time.sleep(1.0)  # a line read twice would arrive in this time
        self.assertEqual(agent.counter("SINK.k1", "EventDrainSuccessCount"), n)
        self.assertEqual(agent.stop(), 0)
        return out

    def run_flume(self, step):
        out = self.path("out%d" % step)
        os.makedirs(out)
        flume = FlumeAgent(self.workdir, self.conf("f1", out, "memory"), "f1",
                           monitoring_port=True)
        self.flume.append(flume)
        flume.start().wait_started(90)
        n = len(FILES) * LINES
        wait_until(lambda: flume.counter("SINK.k1", "EventDrainSuccessCount") >= n, 60,
                   "Flume to deliver step %d (log: %s)" % (step, flume.log_path))
        time.sleep(1.0)
        self.assertEqual(flume.counter("SINK.k1", "EventDrainSuccessCount"), n)
        flume.stop()  # TaildirSource.stop writes the last positions
        self.assertNotIn("Exception", flume.log_text().split("Starting new configuration")[0])
        return out

    def roundtrip(self, channel):
        step1 = self.write(1)
        out1 = self.run_flumen(1, channel)
        self.assert_exactly(out1, step1, "flumen, step 1")
        with open(self.pos) as f:
            entries = json.load(f)
        # Flume 1.11's loader reads inode, pos and file only, and throws on any other key.
        self.assertEqual(sorted(sorted(e) for e in entries), [["file", "inode", "pos"]] * 2)

        step2 = self.write(2)
        out2 = self.run_flume(2)
        self.assert_exactly(out2, step2, "Flume resuming flumen's position file")

        step3 = self.write(3)
        out3 = self.run_flumen(3, channel)
        self.assert_exactly(out3, step3, "flumen resuming Flume's position file")
        with open(self.pos) as f:
            positions = {e["file"]: e["pos"] for e in json.load(f)}
        for name in FILES:
            path = os.path.join(self.logs, name)
            self.assertEqual(positions[path], os.path.getsize(path))

    def test_a_file_rotated_while_flume_runs(self):
        # app1.log is renamed to app1.log.1 (outside the pattern) while Flume tails it and a new
        # app1.log starts: Flume's position file then holds two entries for the path app1.log,
        # the old inode's and the new one's. flumen must take the new file's and read on from
        # there, not read the new file from the old file's position or from 0.
        name = "app1.log"
        path = os.path.join(self.logs, name)
        first = ["%s before line%05d" % (name, i) for i in range(LINES)]
        with open(path, "w") as f:
            f.write("".join(l + "\n" for l in first))
        out1 = self.path("out-r1")
        agent = self.start_agent(self.conf("a1", out1, "memory"), "a1")
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= LINES, 60)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(out1), first)

        out2 = self.path("out-r2")
        os.makedirs(out2)
        flume = FlumeAgent(self.workdir, self.conf("f1", out2, "memory"), "f1",
                           monitoring_port=True)
        self.flume.append(flume)
        flume.start().wait_started(90)
        old = ["%s old line%05d" % (name, i) for i in range(LINES)]
        with open(path, "a") as f:
            f.write("".join(l + "\n" for l in old))
        wait_until(lambda: flume.counter("SINK.k1", "EventDrainSuccessCount") >= LINES, 60)
        os.rename(path, path + ".1")
        new = ["%s new line%05d" % (name, i) for i in range(LINES)]
        with open(path, "w") as f:
            f.write("".join(l + "\n" for l in new))
        wait_until(lambda: flume.counter("SINK.k1", "EventDrainSuccessCount") >= 2 * LINES, 60,
                   "Flume to read the new app1.log")
        time.sleep(1.0)
        flume.stop()
        self.assertEqual(read_lines(out2), old + new)
        with open(self.pos) as f:
            flume_positions = json.load(f)

        after = ["%s after line%05d" % (name, i) for i in range(LINES)]
        with open(path, "a") as f:
            f.write("".join(l + "\n" for l in after))
        out3 = self.path("out-r3")
        agent = self.start_agent(self.conf("a1", out3, "memory"), "a1")
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= LINES, 60,
                   "flumen to read on (Flume's positions: %s)" % flume_positions)
        time.sleep(1.0)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(out3), after, "Flume's positions: %s" % flume_positions)

    def test_memory_channel_flumen_to_flume_and_back(self):
        self.roundtrip("memory")

    # With a durable channel a restart resumes from the positions committed in the channel;
    # the position file, which Flume moved on while it ran in between, is taken where it is
    # ahead of them (flumen's own writes never are): step 3 does not read step 2 again.
    def test_file_channel_flumen_to_flume_and_back(self):
        self.roundtrip("file")


if __name__ == "__main__":
    unittest.main()
