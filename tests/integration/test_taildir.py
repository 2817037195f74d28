"""TAILDIR with real files and a real agent: rotation by rename (matching and not matching the
pattern), copytruncate, delete while open, restarts and kill -9, partial and long lines, and
Flume's position file format."""
import collections
import json
import os
import random
import shutil
import signal
import threading
import time
import unittest

from flumen_harness import AgentTestCase, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {logs}/{pattern}
a1.sources.r1.positionFile = {work}/pos/taildir_position.json
a1.sources.r1.headers.g1.fleet = cars
a1.sources.r1.fileHeader = {file_header}
a1.sources.r1.batchSize = 100
a1.sources.r1.writePosInterval = {pos_interval}
a1.sources.r1.idleTimeout = {idle}
a1.sources.r1.maxLineLength = {max_line}
a1.sources.r1.rotatedFileGrace = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = {channel}
a1.channels.c1.dataDirs = {work}/channel
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {work}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 100
a1.sinks.k1.sink.serializer = {serializer}
"""


class TaildirTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.logs = self.path("logs")
        os.mkdir(self.logs)
        self.out = self.path("out")

    def start(self, pattern=r"app\.log", idle=120000, max_line=1048576, channel="memory",
              serializer="TEXT", file_header="false", pos_interval=100):
        if channel == "memory":
            conf_channel = "memory"
        else:
            conf_channel = "file"
        # A properties file eats single backslashes (Java escapes): double them as Flume users do.
        conf = CONF.format(logs=self.logs, pattern=pattern.replace("\\", "\\\\"),
                           work=self.workdir, idle=idle,
                           max_line=max_line, channel=conf_channel, serializer=serializer,
                           file_header=file_header, pos_interval=pos_interval)
        if channel == "memory":
            conf = "\n".join(l for l in conf.splitlines() if "dataDirs" not in l) + "\n"
        return self.start_agent(conf)

    def append(self, name, lines):
        with open(os.path.join(self.logs, name), "a") as f:
            for l in lines:
                f.write(l + "\n")

    def delivered(self, agent):
        return agent.counter("SINK.k1", "EventDrainSuccessCount")

    def test_tails_new_and_growing_files_with_headers(self):
        self.append("app.log", ["a%d" % i for i in range(500)])
        agent = self.start(serializer="header_and_text", file_header="true")
        wait_until(lambda: self.delivered(agent) == 500, 20)
        self.append("app.log", ["b%d" % i for i in range(500)])
        self.append("other.txt", ["ignored"])
        wait_until(lambda: self.delivered(agent) == 1000, 20)
        self.assertEqual(agent.stop(), 0)
        lines = read_lines(self.out)
        path = os.path.join(self.logs, "app.log")
        self.assertEqual(lines[0], "{fleet=cars, file=%s} a0" % path)
        self.assertEqual([l.split("} ")[1] for l in lines],
                         ["a%d" % i for i in range(500)] + ["b%d" % i for i in range(500)])
        with open(self.path("pos", "taildir_position.json")) as f:
            pos = json.load(f)
        st = os.stat(path)
        self.assertEqual(pos[0]["inode"], st.st_ino)
        self.assertEqual(pos[0]["pos"], st.st_size)
        self.assertEqual(pos[0]["file"], path)

    def test_rename_rotation_to_an_unmatched_name_loses_nothing(self):
        agent = self.start()
        path = os.path.join(self.logs, "app.log")
        sent = []
        f = open(path, "a")
        for i in range(3000):
            line = "r%05d" % i
            f.write(line + "\n")
            sent.append(line)
            if i % 1000 == 999:
                f.flush()
                # Rotations are far apart compared with how fast the source notices a file (a
                # file created and rotated away unseen within a millisecond is the one case
                # it cannot follow when the rotated name does not match the pattern).
                wait_until(lambda: self.delivered(agent) == len(sent), 20, "catching up")
                # logrotate without copytruncate: rename, the writer keeps writing to the old
                # file for a moment (async loggers), then reopens the name.
                os.rename(path, path + ".%d" % (i // 1000))
                for j in range(50):
                    line = "late%d-%d" % (i, j)
                    f.write(line + "\n")
                    sent.append(line)
                f.close()
                f = open(path, "a")
        f.close()
        try:
            wait_until(lambda: self.delivered(agent) == len(sent), 15, "all lines")
        except AssertionError:
            got = collections.Counter(read_lines(self.out))
            missing = [l for l in sent if l not in got]
            raise AssertionError("missing %d lines, e.g. %s; delivered %d" % (
                len(missing), missing[:5], self.delivered(agent)))
        time.sleep(0.3)
        self.assertEqual(self.delivered(agent), len(sent), "extra lines delivered")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(collections.Counter(read_lines(self.out)), collections.Counter(sent))

    def test_rename_rotation_to_a_matched_name_is_not_read_twice(self):
        agent = self.start(pattern=r"app\.log.*")
        path = os.path.join(self.logs, "app.log")
        self.append("app.log", ["x%d" % i for i in range(1000)])
        wait_until(lambda: self.delivered(agent) == 1000, 20)
        os.rename(path, path + ".1")
        self.append("app.log.1", ["tail%d" % i for i in range(10)])
        self.append("app.log", ["y%d" % i for i in range(1000)])
        wait_until(lambda: self.delivered(agent) == 2010, 20)
        time.sleep(1.0)
        self.assertEqual(self.delivered(agent), 2010, "a renamed file was read again")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(len(read_lines(self.out)), 2010)

    def test_copytruncate_and_delete_while_open(self):
        agent = self.start(pattern=r".*\.log")
        path = os.path.join(self.logs, "app.log")
        self.append("app.log", ["before%d" % i for i in range(800)])
        wait_until(lambda: self.delivered(agent) == 800, 20)
        with open(path, "r+") as f:
            f.truncate(0)  # copytruncate (the copy goes to a name we do not tail)
        self.append("app.log", ["after%d" % i for i in range(300)])
        wait_until(lambda: self.delivered(agent) == 1100, 20)
        self.assertGreaterEqual(agent.counter("SOURCE.r1", "TruncationCount"), 1)
        # Delete while the writer still has it open and keeps writing.
        w = open(os.path.join(self.logs, "doomed.log"), "a")
        w.write("".join("d%d\n" % i for i in range(100)))
        w.flush()
        wait_until(lambda: self.delivered(agent) == 1200, 20)
        os.unlink(os.path.join(self.logs, "doomed.log"))
        w.write("".join("dd%d\n" % i for i in range(50)))
        w.close()
        wait_until(lambda: self.delivered(agent) == 1250, 20)
        wait_until(lambda: int(agent.metrics()["SOURCE.r1"]["FileGroup.g1.OpenFiles"]) == 1, 20,
                   "the deleted file to be closed")
        self.assertEqual(agent.stop(), 0)
        lines = read_lines(self.out)
        self.assertEqual(collections.Counter(lines), collections.Counter(
            ["before%d" % i for i in range(800)] + ["after%d" % i for i in range(300)] +
            ["d%d" % i for i in range(100)] + ["dd%d" % i for i in range(50)]))

    def test_partial_line_waits_long_line_splits_binary_passes(self):
        agent = self.start(idle=1500, max_line=64)
        path = os.path.join(self.logs, "app.log")
        with open(path, "ab") as f:
            f.write(b"complete\r\nbin\x00\xff\x01\n" + b"L" * 150 + b"\npartial")
        wait_until(lambda: self.delivered(agent) == 5, 20)  # complete, bin, 64+64+22
        time.sleep(0.3)
        self.assertEqual(self.delivered(agent), 5, "the partial line did not wait")
        wait_until(lambda: self.delivered(agent) == 6, 20, "idle timeout to emit the partial line")
        self.assertEqual(agent.counter("SOURCE.r1", "PartialLinesEmittedCount"), 1)
        self.assertEqual(agent.counter("SOURCE.r1", "LinesSplitCount"), 2)
        self.assertEqual(agent.stop(), 0)
        with open(os.path.join(self.out, os.listdir(self.out)[0]), "rb") as f:
            data = f.read()
        self.assertEqual(data, b"complete\nbin\x00\xff\x01\n" + b"L" * 64 + b"\n" + b"L" * 64 +
                         b"\n" + b"L" * 22 + b"\npartial\n")

    def test_restart_resumes_including_growth_and_renames_while_stopped(self):
        self.append("app.log", ["one%d" % i for i in range(500)])
        agent = self.start(pattern=r"app\.log.*")
        wait_until(lambda: self.delivered(agent) == 500, 20)
        self.assertEqual(agent.stop(), 0)
        # While the agent is down the file grows, is renamed, and a new one starts.
        self.append("app.log", ["two%d" % i for i in range(300)])
        os.rename(os.path.join(self.logs, "app.log"), os.path.join(self.logs, "app.log.1"))
        self.append("app.log", ["three%d" % i for i in range(200)])
        agent = self.start(pattern=r"app\.log.*")
        wait_until(lambda: self.delivered(agent) == 500, 20)
        time.sleep(0.5)
        self.assertEqual(self.delivered(agent), 500)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(collections.Counter(read_lines(self.out)), collections.Counter(
            ["one%d" % i for i in range(500)] + ["two%d" % i for i in range(300)] +
            ["three%d" % i for i in range(200)]))

    def test_a_thousand_files_and_delete_then_recreate(self):
        for i in range(1000):
            self.append("f%04d.log" % i, ["f%04d-%d" % (i, j) for j in range(10)])
        agent = self.start(pattern=r"f\d+\.log")
        wait_until(lambda: self.delivered(agent) == 10000, 60, "10,000 lines from 1,000 files")
        # The gauge is published at the end of each pass over the files; the sink can deliver
        # the last lines before the pass that read them ends.
        wait_until(lambda: int(agent.metrics()["SOURCE.r1"]["FileGroup.g1.OpenFiles"]) == 1000,
                   20, "1,000 open files in the gauge")
        # Delete one and create a new file under the same name: new content, read from 0.
        os.unlink(os.path.join(self.logs, "f0000.log"))
        self.append("f0000.log", ["reborn%d" % j for j in range(5)])
        wait_until(lambda: self.delivered(agent) == 10005, 20)
        wait_until(lambda: int(agent.metrics()["SOURCE.r1"]["FileGroup.g1.OpenFiles"]) == 1000,
                   20, "the deleted file to be let go")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(collections.Counter(read_lines(self.out)), collections.Counter(
            ["f%04d-%d" % (i, j) for i in range(1000) for j in range(10)] +
            ["reborn%d" % j for j in range(5)]))

    def test_flume_position_file_is_honoured(self):
        path = os.path.join(self.logs, "app.log")
        self.append("app.log", ["old%d" % i for i in range(100)])
        size_old = os.path.getsize(path)
        self.append("app.log", ["new%d" % i for i in range(100)])
        os.makedirs(self.path("pos"))
        with open(self.path("pos", "taildir_position.json"), "w") as f:
            json.dump([{"inode": os.stat(path).st_ino, "pos": size_old, "file": path}], f)
        agent = self.start()
        wait_until(lambda: self.delivered(agent) == 100, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(self.out), ["new%d" % i for i in range(100)])

    def rotating_writer(self, stop, written, batch, rotate_every, pause):
        """A thread appending numbered lines to app.log in batches, renamed every rotate_every
        lines (app.log.<n>), until stop is set."""
        def write():
            path = os.path.join(self.logs, "app.log")
            n = 0
            f = open(path, "a")
            while not stop.is_set():
                for _ in range(batch):
                    line = "w%07d" % n
                    f.write(line + "\n")
                    written.append(line)
                    n += 1
                f.flush()
                if n % rotate_every == 0:
                    f.close()
                    os.rename(path, path + ".%d" % n)
                    f = open(path, "a")
                time.sleep(pause)
            f.close()
        return threading.Thread(target=write)

    def test_kill_9_while_writing_and_rotating(self):
        rng = random.Random(7)
        stop = threading.Event()
        written = []
        t = self.rotating_writer(stop, written, 200, 5000, 0.005)
        t.start()
        kills = 10
        try:
            for _ in range(kills):
                agent = self.start(pattern=r"app\.log.*", channel="file", pos_interval=0)
                time.sleep(rng.uniform(0.1, 0.5))
                agent.proc.kill()
                agent.proc.wait()
        finally:
            stop.set()
            t.join()
        agent = self.start(pattern=r"app\.log.*", channel="file")
        wait_until(lambda: len(read_lines(self.out)) >= len(written) and
                   agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60, "every line")
        self.assertEqual(agent.stop(), 0)
        counts = collections.Counter(read_lines(self.out))
        self.assertEqual(set(written) - set(counts), set(), "lines lost")
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        dups = sorted(l for l, n in counts.items() if n > 1)
        runs = []
        for l in dups:
            v = int(l[1:])
            if runs and runs[-1][1] == v - 1:
                runs[-1][1] = v
            else:
                runs.append([v, v])
        print("duplicate runs:", [(a, b - a + 1) for a, b in runs][:30])
        # Per kill: with writePosInterval = 0 the position follows every commit, so at most the
        # one source batch committed but not yet recorded comes again, plus one sink batch in
        # flight. Never a whole file again.
        self.assertLessEqual(duplicates, kills * (100 + 100))
        self.assertLess(duplicates, len(written) // 4)
        print("written %d, delivered %d, duplicates %d" % (
            len(written), sum(counts.values()), duplicates))

    def test_a_file_renamed_while_the_agent_starts_keeps_its_position(self):
        # A rotation that renames a file while the starting agent lists its directory can hide
        # the file from that listing (readdir and a concurrent rename). The positions of the last
        # run must still find the file when it shows up, or it is read again from byte 0.
        for channel in ("file", "memory"):
            with self.subTest(channel=channel):
                for name in os.listdir(self.logs):
                    os.remove(os.path.join(self.logs, name))
                shutil.rmtree(self.out, ignore_errors=True)
                shutil.rmtree(self.path("pos"), ignore_errors=True)
                shutil.rmtree(self.path("channel"), ignore_errors=True)
                sent = ["r%05d" % i for i in range(2000)]
                self.append("app.log.a", sent)
                agent = self.start(pattern=r"app\.log.*", channel=channel)
                wait_until(lambda: self.delivered(agent) == len(sent), 20)
                self.assertEqual(agent.stop(), 0)
                names = [os.path.join(self.logs, "app.log.a"), os.path.join(self.logs, "app.log.b")]
                at = [0]  # which of the names the file has, across the restarts' flips
                for restart in range(4):
                    stop = threading.Event()

                    def flip():
                        while not stop.is_set():
                            os.rename(names[at[0]], names[1 - at[0]])
                            at[0] = 1 - at[0]
                    t = threading.Thread(target=flip)
                    t.start()
                    try:
                        agent = self.start(pattern=r"app\.log.*", channel=channel)
                        time.sleep(1.0)
                    finally:
                        stop.set()
                        t.join()
                    time.sleep(0.5)  # what would come twice comes within this
                    delivered = self.delivered(agent)
                    self.assertEqual(agent.stop(), 0)
                    self.assertEqual(delivered, 0, "restart %d read a known file again" % restart)
                got = collections.Counter(read_lines(self.out))
                self.assertEqual(sum(got.values()), len(sent))
                self.assertEqual(set(got), set(sent))

    # copytruncate (logrotate's `copytruncate`, or `cp f f.1; : > f`): the file keeps its inode,
    # so only its content says it was truncated. The writer of these tests pauses while the copy
    # is made, as a logger would lose nothing then; every line must arrive exactly once.

    def copytruncate(self, name, copy_name, chunk=None):
        path = os.path.join(self.logs, name)
        with open(path, "rb") as f:
            data = f.read()
        with open(os.path.join(self.logs, copy_name), "wb") as c:
            if chunk is None:
                c.write(data)
            else:
                # A slow copy: the source sees the copy while it is still being written.
                for i in range(0, len(data), chunk):
                    c.write(data[i:i + chunk])
                    c.flush()
                    time.sleep(0.02)
        with open(path, "r+b") as f:
            f.truncate(0)

    def assert_exactly_once(self, agent, sent, what):
        try:
            wait_until(lambda: self.delivered(agent) >= len(sent), 20, what)
        except AssertionError:
            got = collections.Counter(read_lines(self.out))
            missing = [l for l in sent if l not in got]
            raise AssertionError("%s: %d of %d lines lost (e.g. %s), %d delivered" % (
                what, len(missing), len(sent), missing[:3], self.delivered(agent)))
        time.sleep(0.5)  # what would come twice comes within this
        got = collections.Counter(read_lines(self.out))
        dups = sum(n - 1 for n in got.values() if n > 1)
        missing = sum(1 for l in sent if l not in got)
        self.assertEqual((missing, dups), (0, 0), "%s: (lost, duplicated)" % what)
        self.assertEqual(self.delivered(agent), len(sent))

    def test_copytruncate_regrown_to_the_old_size_before_the_source_looks(self):
        agent = self.start()
        first = ["a%04d" % i for i in range(1000)]
        self.append("app.log", first)
        wait_until(lambda: self.delivered(agent) == 1000, 20)
        # cp f f.1; : > f; seq ... >> f, all before the source looks again: same size.
        self.copytruncate("app.log", "app.old")
        second = ["b%04d" % i for i in range(1000)]
        self.append("app.log", second)
        self.assert_exactly_once(agent, first + second, "same size")
        self.assertGreaterEqual(agent.counter("SOURCE.r1", "TruncationCount"), 1)
        self.assertIn("truncated", agent.log_text())
        # Regrown larger than it was, and shorter than it was.
        self.copytruncate("app.log", "app.old")
        third = ["c%05d" % i for i in range(1500)]
        self.append("app.log", third)
        self.assert_exactly_once(agent, first + second + third, "larger")
        self.copytruncate("app.log", "app.old")
        fourth = ["d%d" % i for i in range(20)]
        self.append("app.log", fourth)
        self.assert_exactly_once(agent, first + second + third + fourth, "shorter")
        self.assertGreaterEqual(agent.counter("SOURCE.r1", "TruncationCount"), 3)
        self.assertEqual(agent.stop(), 0)

    def test_copytruncate_copy_matching_the_pattern_is_not_read_again(self):
        agent = self.start(pattern=r"app\.log.*")
        sent = []
        for rotation, (lines, chunk) in enumerate([(1000, None), (3000, 4096), (12, None),
                                                   (40, 64)]):
            batch = ["r%d-%05d" % (rotation, i) for i in range(lines)]
            self.append("app.log", batch)
            sent += batch
            wait_until(lambda: self.delivered(agent) == len(sent), 20, "rotation %d" % rotation)
            # The copy is under a name the group matches; a slow copy is seen half written, and
            # a short file (12 or 40 lines) is shorter than fingerprintBytes.
            if rotation:
                os.rename(os.path.join(self.logs, "app.log.1"),
                          os.path.join(self.logs, "app.log.%d" % (rotation + 1)))
            self.copytruncate("app.log", "app.log.1", chunk)
            after = ["n%d-%05d" % (rotation, i) for i in range(lines)]
            self.append("app.log", after)
            sent += after
            self.assert_exactly_once(agent, sent, "rotation %d" % rotation)
        self.assertEqual(agent.stop(), 0)

    def test_a_copy_seen_before_its_original_is_truncated_is_read_once(self):
        # The agent is held (SIGSTOP) while lines are appended and the file is copied, so when it
        # looks again the copy exists, the original is not truncated yet, and neither has been
        # read past the old end: both hold the same unread bytes, which must come once.
        agent = self.start(pattern=r"app\.log.*")
        first = ["a%05d" % i for i in range(1000)]
        self.append("app.log", first)
        wait_until(lambda: self.delivered(agent) == 1000, 20)
        for rotation, truncate in enumerate([True, False, True]):
            more = ["m%d-%05d" % (rotation, i) for i in range(3000)]
            agent.proc.send_signal(signal.SIGSTOP)
            try:
                self.append("app.log", more)
                with open(os.path.join(self.logs, "app.log"), "rb") as f, \
                        open(os.path.join(self.logs, "app.log.%d" % rotation), "wb") as c:
                    c.write(f.read())
            finally:
                agent.proc.send_signal(signal.SIGCONT)
            first += more
            self.assert_exactly_once(agent, first, "copy %d before the truncation" % rotation)
            if truncate:
                with open(os.path.join(self.logs, "app.log"), "r+b") as f:
                    f.truncate(0)
            after = ["n%d-%05d" % (rotation, i) for i in range(500)]
            self.append("app.log", after)
            first += after
            self.assert_exactly_once(agent, first, "after copy %d" % rotation)
        self.assertEqual(agent.stop(), 0)

    def test_copytruncate_while_a_writer_appends(self):
        agent = self.start(pattern=r"app\.log.*")
        lock = threading.Lock()
        stop = threading.Event()
        sent = []

        def writer():
            n = 0
            while not stop.is_set():
                with lock:
                    with open(os.path.join(self.logs, "app.log"), "a") as f:
                        for _ in range(50):
                            line = "w%06d" % n
                            f.write(line + "\n")
                            sent.append(line)
                            n += 1
                time.sleep(0.002)

        t = threading.Thread(target=writer)
        t.start()
        try:
            for r in range(6):
                time.sleep(0.3)
                with lock:
                    for k in range(r, 0, -1):
                        src = os.path.join(self.logs, "app.log.%d" % k)
                        if os.path.exists(src):
                            os.rename(src, os.path.join(self.logs, "app.log.%d" % (k + 1)))
                    self.copytruncate("app.log", "app.log.1")
        finally:
            stop.set()
            t.join()
        wait_until(lambda: self.delivered(agent) >= len(sent), 20, "copytruncate under load")
        time.sleep(0.5)
        got = collections.Counter(read_lines(self.out))
        lost = sum(1 for l in sent if l not in got)
        dups = sum(n - 1 for n in got.values() if n > 1)
        print("copytruncate under load: %d lines, %d lost, %d duplicated" % (len(sent), lost, dups))
        if lost or dups:
            # What the source decided about each file says which copy was read twice, and why.
            print("\n".join(l for l in agent.log_text().splitlines()
                            if "taildir" in l and ("copy" in l or "tailing" in l or
                                                   "truncated" in l or "renamed" in l)))
        self.assertEqual((lost, dups), (0, 0), "(lost, duplicated)")
        self.assertEqual(agent.stop(), 0)

    BANNER = ["# banner line %02d %s" % (i, "=" * 60) for i in range(30)]
    DAY1 = ["day1-%d" % i for i in range(300)]
    DAY2 = ["day2-%d" % i for i in range(400)]

    def banner_then_day2(self, pause, expect):
        """app-1.log (banner + 300 lines) read whole, then app-2.log gets the same 2 KB banner and,
        `pause` seconds later (None: in the same write), 400 lines of its own. Returns what the
        sink got, once `expect` events were delivered and the agent stopped."""
        self.append("app-1.log", self.BANNER + self.DAY1)
        agent = self.start(pattern=r"app-\d\.log")
        wait_until(lambda: self.delivered(agent) == 330, 20)
        if pause is None:
            self.append("app-2.log", self.BANNER + self.DAY2)
        else:
            self.append("app-2.log", self.BANNER)
            time.sleep(pause)
            self.append("app-2.log", self.DAY2)
        wait_until(lambda: self.delivered(agent) >= expect, 20, "the second file")
        time.sleep(0.3)
        self.assertEqual(agent.stop(), 0)
        return collections.Counter(read_lines(self.out))

    def test_files_sharing_a_long_banner_are_not_taken_for_copies(self):
        # Daily files of an application that starts each with the same 2 KB banner: their heads
        # are equal, their contents are not; each is read whole.
        self.assertEqual(self.banner_then_day2(None, 760),
                         collections.Counter(self.BANNER * 2 + self.DAY1 + self.DAY2))

    def test_a_new_file_holding_only_a_shared_banner_so_far_is_told_apart_when_it_grows(self):
        # The application writes the banner of its new daily file, then its first lines a moment
        # later. While the file is only the banner, it could be a copy of app-1 being written or
        # a new file: the source waits (within rotatedFileGrace, 500 ms here) for the bytes that
        # tell them apart, and reads the new file whole, banner included.
        self.assertEqual(self.banner_then_day2(0.2, 760),
                         collections.Counter(self.BANNER * 2 + self.DAY1 + self.DAY2))

    def test_a_file_taken_for_a_copy_that_then_differs_is_read_from_where_they_part(self):
        # Only the banner for longer than rotatedFileGrace: the file is taken for a copy of
        # app-1 (all its bytes are app-1's). When it then grows with its own lines, none of them
        # is lost: it is read on its own from the first line it does not share with app-1, not
        # from app-1's position.
        counts = self.banner_then_day2(1.5, 730)
        self.assertEqual([l for l in self.DAY2 + self.DAY1 if counts[l] != 1], [],
                         "lines not delivered exactly once")

    def test_kill_9_with_a_file_channel_loses_and_duplicates_nothing(self):
        # The position of each batch is committed with its events in the file channel, so kill -9
        # at any moment neither loses nor repeats a line, whatever writePosInterval is (3 s here,
        # Flume's default: the position file alone would repeat up to 3 s of lines per kill).
        # Phase 1 has no sink, so the channel holds exactly what the source committed; phase 2
        # drains it once, without kills.
        rng = random.Random(11)
        stop = threading.Event()
        written = []
        conf = CONF.format(logs=self.logs, pattern=r"app\\.log.*", work=self.workdir, idle=120000,
                           max_line=1048576, channel="file", serializer="TEXT",
                           file_header="false", pos_interval=3000)
        no_sink = "\n".join(l for l in conf.splitlines()
                            if not l.startswith(("a1.sinks", "a1.sinks."))) + "\n"
        t = self.rotating_writer(stop, written, 100, 7000, 0.003)
        t.start()
        kills = 6
        try:
            for _ in range(kills):
                agent = self.start_agent(no_sink)
                time.sleep(rng.uniform(0.3, 0.8))
                agent.kill()
        finally:
            stop.set()
            t.join()
        agent = self.start_agent(conf)
        wait_until(lambda: self.delivered(agent) >= len(written) and
                   agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60, "every line")
        time.sleep(0.5)
        self.assertEqual(agent.stop(), 0)
        counts = collections.Counter(read_lines(self.out))
        lost = len(set(written) - set(counts))
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        print("written %d, lost %d, duplicated %d" % (len(written), lost, duplicates))
        self.assertEqual((lost, duplicates), (0, 0), "(lost, duplicated)")
        # The position file Flume reads is still written, in Flume's format.
        with open(self.path("pos", "taildir_position.json")) as f:
            for entry in json.load(f):
                self.assertEqual(sorted(entry), ["file", "inode", "pos"])

    def test_position_file_is_loadable_by_flume_and_our_identity_is_beside_it(self):
        self.append("app.log", ["a%d" % i for i in range(100)])
        agent = self.start(pattern=r"app\.log.*")
        wait_until(lambda: self.delivered(agent) == 100, 20)
        self.assertEqual(agent.stop(), 0)
        with open(self.path("pos", "taildir_position.json")) as f:
            flume = json.load(f)
        # Flume 1.11's loader (ReliableTaildirEventReader.loadPositionFile) reads inode, pos and
        # file and throws on any other key.
        self.assertEqual([sorted(e) for e in flume], [["file", "inode", "pos"]])
        with open(self.path("pos", "taildir_position.json.flumen")) as f:
            side = json.load(f)
        self.assertEqual(side["version"], 1)
        self.assertEqual(side["files"][0]["inode"], flume[0]["inode"])
        self.assertEqual(side["files"][0]["pos"], flume[0]["pos"])
        self.assertIn("fingerprint", side["files"][0])
        self.assertIn("dev", side["files"][0])
        # The identity still recognises the file under a new name after a restart.
        os.rename(os.path.join(self.logs, "app.log"), os.path.join(self.logs, "app.log.1"))
        self.append("app.log.1", ["b%d" % i for i in range(10)])
        agent = self.start(pattern=r"app\.log.*")
        wait_until(lambda: self.delivered(agent) == 10, 20)
        time.sleep(0.5)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(collections.Counter(read_lines(self.out)), collections.Counter(
            ["a%d" % i for i in range(100)] + ["b%d" % i for i in range(10)]))

    def test_older_flumen_position_file_is_migrated(self):
        path = os.path.join(self.logs, "app.log")
        self.append("app.log", ["old%d" % i for i in range(100)])
        size_old = os.path.getsize(path)
        self.append("app.log", ["new%d" % i for i in range(100)])
        with open(path, "rb") as f:
            head = f.read(1024)
        h = 1469598103934665603
        for b in head:
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        st = os.stat(path)
        os.makedirs(self.path("pos"))
        # flumen's older format: dev and fingerprint inside the Flume file; the file was renamed
        # since, which only the fingerprint can tell.
        os.rename(path, path + ".1")
        with open(self.path("pos", "taildir_position.json"), "w") as f:
            json.dump([{"inode": st.st_ino, "pos": size_old, "file": path, "dev": st.st_dev,
                        "fingerprint": "%016x" % h, "fingerprintLength": len(head)}], f)
        agent = self.start(pattern=r"app\.log.*")
        wait_until(lambda: self.delivered(agent) == 100, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(self.out), ["new%d" % i for i in range(100)])
        self.assertIn("older format", agent.log_text())
        with open(self.path("pos", "taildir_position.json")) as f:
            self.assertEqual([sorted(e) for e in json.load(f)], [["file", "inode", "pos"]])


if __name__ == "__main__":
    unittest.main()
