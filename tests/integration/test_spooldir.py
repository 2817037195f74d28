"""spooldir with real files: daily files dropped in, restart mid-file with kill -9, a file
modified after pickup, a name used twice, tracking policies, undecodable input."""
import collections
import os
import random
import time
import unittest

from flumen_harness import AgentTestCase, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = {spool}
a1.sources.r1.pollDelay = 50
a1.sources.r1.batchSize = 100
a1.sources.r1.basenameHeader = true
{extra}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {work}/channel
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {work}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = {serializer}
"""


class SpoolDirTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.spool = self.path("spool")
        os.mkdir(self.spool)
        self.staging = self.path("staging")
        os.mkdir(self.staging)
        self.out = self.path("out")

    def start(self, extra="", serializer="TEXT"):
        return self.start_agent(CONF.format(spool=self.spool, work=self.workdir, extra=extra,
                                            serializer=serializer))

    def drop(self, name, lines, raw=None):
        """Writes a file elsewhere, then renames it into the spool directory (complete)."""
        tmp = os.path.join(self.staging, name)
        with open(tmp, "wb") as f:
            f.write(raw if raw is not None else "".join(l + "\n" for l in lines).encode())
        os.rename(tmp, os.path.join(self.spool, name))

    def delivered(self, agent):
        return agent.counter("SINK.k1", "EventDrainSuccessCount")

    def test_daily_files_are_ingested_and_marked_completed(self):
        agent = self.start(serializer="header_and_text")
        expected = []
        for day in range(1, 4):
            lines = ["2026112%d,car%03d,status" % (day, i) for i in range(1000)]
            self.drop("status-2026112%d.log" % day, lines)
            expected += lines
        wait_until(lambda: self.delivered(agent) == 3000, 30)
        wait_until(lambda: sorted(os.listdir(self.spool)) == [
            ".flumespool"] + ["status-2026112%d.log.COMPLETED" % d for d in range(1, 4)], 10)
        self.assertEqual(agent.stop(), 0)
        got = read_lines(self.out)
        self.assertEqual(sorted(l.split("} ", 1)[1] for l in got), sorted(expected))
        self.assertTrue(got[0].startswith("{basename=status-2026112"))

    def test_restart_mid_file_resumes_where_committed_data_ends(self):
        lines = ["big-%07d" % i for i in range(200000)]
        self.drop("big.log", lines)
        rng = random.Random(3)
        kills = 5
        for _ in range(kills):
            agent = self.start()
            time.sleep(rng.uniform(0.05, 0.25))
            agent.proc.kill()
            agent.proc.wait()
        agent = self.start()
        wait_until(lambda: os.path.exists(os.path.join(self.spool, "big.log.COMPLETED")), 60)
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60)
        self.assertEqual(agent.stop(), 0)
        counts = collections.Counter(read_lines(self.out))
        self.assertEqual(set(lines) - set(counts), set(), "lines lost")
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        # At most one source batch and one sink batch in flight per kill; never the whole file.
        self.assertLessEqual(duplicates, kills * (100 + 100))

    def test_kill_9_with_a_file_channel_loses_and_duplicates_nothing(self):
        # Each batch's position is committed with its lines in the file channel. Phase 1 has no
        # sink, so the channel holds exactly what the source committed across the kills (also
        # between a file's last batch and its renaming to .COMPLETED); phase 2 drains it once.
        sent = []
        for k in range(4):
            lines = ["f%d-%06d" % (k, i) for i in range(40000)]
            self.drop("day%d.log" % k, lines)
            sent += lines
        conf = CONF.format(spool=self.spool, work=self.workdir, extra="", serializer="TEXT")
        no_sink = "\n".join(l for l in conf.splitlines() if not l.startswith("a1.sinks")) + "\n"
        rng = random.Random(5)
        for _ in range(6):
            agent = self.start_agent(no_sink)
            time.sleep(rng.uniform(0.05, 0.4))
            agent.kill()
        agent = self.start()
        wait_until(lambda: all(os.path.exists(os.path.join(self.spool, "day%d.log.COMPLETED" % k))
                               for k in range(4)), 60, "every file completed")
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0 and
                   self.delivered(agent) >= 0, 60)
        self.assertEqual(agent.stop(), 0)
        counts = collections.Counter(read_lines(self.out))
        lost = len(set(sent) - set(counts))
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        print("sent %d, lost %d, duplicated %d" % (len(sent), lost, duplicates))
        self.assertEqual((lost, duplicates), (0, 0), "(lost, duplicated)")

    def test_a_changed_file_is_set_aside_and_the_source_goes_on(self):
        agent = self.start(extra="a1.sources.r1.consumeOrder = oldest")
        path = os.path.join(self.spool, "growing.log")
        with open(path, "w") as f:  # written in place, against the rules
            f.write("".join("g%d\n" % i for i in range(50000)))
        time.sleep(0.05)
        with open(path, "a") as f:
            f.write("".join("late%d\n" % i for i in range(10)))
        self.drop("next.log", ["n%d" % i for i in range(100)])
        wait_until(lambda: os.path.exists(os.path.join(self.spool, "next.log.COMPLETED")), 30)
        names = os.listdir(self.spool)
        self.assertTrue("growing.log.CHANGED" in names or "growing.log.COMPLETED" in names, names)
        if "growing.log.CHANGED" in names:
            self.assertEqual(agent.counter("SOURCE.r1", "FilesFailedCount"), 1)
        self.assertIsNone(agent.proc.poll())
        self.assertEqual(agent.stop(), 0)

    def test_name_used_twice_and_tracking_policies(self):
        agent = self.start()
        self.drop("daily.log", ["first"])
        wait_until(lambda: os.path.exists(os.path.join(self.spool, "daily.log.COMPLETED")), 20)
        self.drop("daily.log", ["second"])
        wait_until(lambda: self.delivered(agent) == 2, 20)
        wait_until(lambda: len([n for n in os.listdir(self.spool) if n.endswith(".COMPLETED")])
                   == 2, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(sorted(read_lines(self.out)), ["first", "second"])

        spool2 = self.path("spool2")
        os.mkdir(spool2)
        self.spool = spool2
        agent = self.start(extra="a1.sources.r1.trackingPolicy = tracker_dir")
        self.drop("kept.log", ["k1", "k2"])
        wait_until(lambda: self.delivered(agent) == 2, 20)
        wait_until(lambda: os.path.exists(os.path.join(spool2, ".flumespool",
                                                       "kept.log.COMPLETED")), 20)
        time.sleep(0.3)
        self.assertEqual(self.delivered(agent), 2, "a tracked file was ingested twice")
        self.assertIn("kept.log", os.listdir(spool2))  # left untouched
        self.assertEqual(agent.stop(), 0)

    def test_delete_policy_and_undecodable_input(self):
        agent = self.start(extra="a1.sources.r1.deletePolicy = immediate")
        self.drop("bad.log", None, raw=b"good line\nbad \xff\xfe line\n")
        self.drop("ok.log", ["fine"])
        wait_until(lambda: "bad.log.FAILED" in os.listdir(self.spool), 20)
        wait_until(lambda: "ok.log" not in os.listdir(self.spool), 20)
        wait_until(lambda: self.delivered(agent) == 1, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(self.out), ["fine"])

        self.drop("bad2.log", None, raw=b"bad \xff line\n")
        agent = self.start(extra="a1.sources.r1.decodeErrorPolicy = REPLACE")
        wait_until(lambda: self.delivered(agent) == 1, 20)  # counters start again per process
        self.assertEqual(agent.stop(), 0)
        self.assertIn("bad \ufffd line", read_lines(self.out))


if __name__ == "__main__":
    unittest.main()
