"""A disk that fills under a file channel and a file-writing sink on the same filesystem, then
frees again: the agent recovers by itself, and no event is lost or written twice."""
import collections
import os
import subprocess
import threading
import time
import unittest

from flumen_harness import AgentTestCase, read_lines, wait_until

EVENTS = 200000
BODY = 200  # bytes per line before the newline

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.batchSize = 100
a1.sources.r1.totalEvents = {events}
a1.sources.r1.bodySize = {body}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {mnt}/db
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.channels.c1.rocksdb.writeBufferSizeMB = 1
a1.sinks.k1.channel = c1
{sink}
"""

FILE_ROLL = """
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {mnt}/out
a1.sinks.k1.sink.rollInterval = 0
"""

HDFS = """
a1.sinks.k1.type = hdfs
a1.sinks.k1.hdfs.path = {mnt}/out/%{{bucket}}
a1.sinks.k1.hdfs.rollCount = 0
a1.sinks.k1.hdfs.rollSize = 0
a1.sinks.k1.hdfs.rollInterval = 0
a1.sinks.k1.hdfs.useLocalTimeStamp = true
a1.sources.r1.interceptors = i1
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = bucket
a1.sources.r1.interceptors.i1.value = b1
"""


def all_lines(directory):
    """Every line of every file below a directory (the hdfs sink writes bucket directories)."""
    lines = []
    for root, _, files in os.walk(directory):
        lines.extend(read_lines(root) if files else [])
    return lines


class DiskFullTest(AgentTestCase):
    def mount_small_disk(self, size_mb):
        if os.geteuid() != 0:
            self.skipTest("mounting a small tmpfs needs root (CAP_SYS_ADMIN); the unit tests "
                          "inject ENOSPC without it")
        mnt = self.path("small")
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % size_mb, "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % r.stderr.strip())
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        return mnt

    def fill(self, path):
        """Another writer takes every free byte, as a runaway log would."""
        with open(path, "wb", buffering=0) as f:
            for chunk in (1 << 20, 4096, 512):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError:
                    pass

    def run_disk_full(self, sink):
        mnt = self.mount_small_disk(96)
        conf = CONF.format(events=EVENTS, body=BODY, mnt=mnt, sink=sink.format(mnt=mnt))
        agent = self.start_agent(conf)
        out = os.path.join(mnt, "out")
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= 2000, 60,
                   "the sink to deliver")
        filler = os.path.join(mnt, "filler")
        self.fill(filler)
        # Full for a while: the sink and the channel meet ENOSPC again and again.
        time.sleep(3)
        self.assertEqual(agent.proc.poll(), None, "the agent died on a full disk")
        full_lines = len(all_lines(out))
        os.unlink(filler)
        freed = time.time()
        try:
            wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= EVENTS, 60,
                       "every event delivered after space returned")
        except AssertionError:
            # Where every thread is, for the report (gdb is optional).
            subprocess.run(["gdb", "-batch", "-p", str(agent.proc.pid), "-ex",
                            "thread apply all bt 25"], timeout=60)
            raise
        recovery = time.time() - freed
        self.assertEqual(agent.stop(), 0)
        lines = all_lines(out)
        counts = collections.Counter(l.rstrip(".") for l in lines)
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = [i for i in range(EVENTS) if str(i) not in counts]
        print("\n%s: lines when full %d, total %d, duplicates %d, missing %d, recovery %.2f s" % (
            sink.split()[2], full_lines, len(lines), duplicates, len(missing), recovery))
        self.assertEqual(missing, [])
        self.assertEqual(duplicates, 0)
        self.assertEqual(len(lines), EVENTS)

    def test_file_roll_on_a_full_disk(self):
        self.run_disk_full(FILE_ROLL)

    def test_hdfs_sink_on_a_full_disk(self):
        self.run_disk_full(HDFS)

    def test_taildir_into_a_file_channel_on_a_full_disk(self):
        # TAILDIR keeps several commits in flight: those that fail (the disk filled under the
        # channel) are read again from the committed position, nothing lost or read twice.
        log = self.path("app.log")

        def write(total, stop):
            with open(log, "w") as f:
                for i in range(0, total, 100):
                    if stop.is_set():
                        return
                    f.write("".join(line(j) for j in range(i, i + 100)))
                    f.flush()
                    time.sleep(0.004)

        self.source_into_full_disk("taildir", [
            "a1.sources.r1.type = TAILDIR", "a1.sources.r1.filegroups = g",
            "a1.sources.r1.filegroups.g = %s" % log,
            "a1.sources.r1.positionFile = %s" % self.path("pos.json")], write)

    def test_spooldir_into_a_file_channel_on_a_full_disk(self):
        # spooldir keeps several commits in flight too, and completes a file only when every
        # batch of it committed.
        spool = self.path("spool")
        os.mkdir(spool)

        def write(total, stop):
            per_file = 5000
            for n, first in enumerate(range(0, total, per_file)):
                if stop.is_set():
                    return
                tmp = self.path("day-%02d.tmp" % n)
                with open(tmp, "w") as f:
                    f.write("".join(line(j) for j in range(first, first + per_file)))
                os.rename(tmp, os.path.join(spool, "day-%02d.log" % n))
                time.sleep(0.2)

        self.source_into_full_disk("spooldir", [
            "a1.sources.r1.type = spooldir", "a1.sources.r1.spoolDir = %s" % spool], write)

    def source_into_full_disk(self, what, source_lines, write):
        """`source_lines` (batches of Flume's default 100) into a file channel whose disk fills
        while `write(total, stop)` feeds them, then frees: every line once at the sink."""
        mnt = self.mount_small_disk(64)
        out = self.path("out")
        os.mkdir(out)
        total = 60000
        stop = threading.Event()
        writer = threading.Thread(target=write, args=(total, stop))
        writer.start()
        self.addCleanup(writer.join)
        self.addCleanup(stop.set)
        conf = "\n".join([
            "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1"] + source_lines + [
            "a1.sources.r1.channels = c1",
            "a1.channels.c1.type = file", "a1.channels.c1.dataDirs = %s/db" % mnt,
            "a1.channels.c1.minimumRequiredSpace = 1048576",
            "a1.channels.c1.rocksdb.writeBufferSizeMB = 1",
            "a1.sinks.k1.type = file_roll", "a1.sinks.k1.channel = c1",
            "a1.sinks.k1.sink.directory = %s" % out, "a1.sinks.k1.sink.rollInterval = 0", ""])
        agent = self.start_agent(conf)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= 2000, 60,
                   "the sink to deliver")
        filler = os.path.join(mnt, "filler")
        self.fill(filler)
        time.sleep(2)
        self.assertEqual(agent.proc.poll(), None, "the agent died on a full disk")
        os.unlink(filler)
        writer.join()
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= total, 60,
                   "every line delivered after space returned")
        put_errors = agent.counter("CHANNEL.c1", "EventPutErrorCount")
        refused = agent.counter("SOURCE.r1", "ChannelWriteFail")
        self.assertEqual(agent.stop(), 0)
        counts = collections.Counter(l.split(" ")[0] for l in all_lines(out))
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = [i for i in range(total) if "L%06d" % i not in counts]
        print("\n%s on a full disk: %d lines, duplicates %d, missing %d, failed puts %d, "
              "refused batches %d" % (what, sum(counts.values()), duplicates, len(missing),
                                      put_errors, refused))
        self.assertEqual(missing, [])
        self.assertEqual(duplicates, 0)


def line(i):
    return "L%06d %s\n" % (i, "x" * 120)

if __name__ == "__main__":
    unittest.main()
