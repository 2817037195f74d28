"""The hdfs (time-bucketed local files) sink: buckets from the event time and headers, rolling,
in-use names, compression, rejected events, and in-use files left by a crash."""
import gzip
import os
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ex
a1.sources.r1.interceptors.ex.type = regex_extractor
a1.sources.r1.interceptors.ex.regex = ^(\\\\d+),(\\\\w+),
a1.sources.r1.interceptors.ex.serializers = t k
a1.sources.r1.interceptors.ex.serializers.t.name = timestamp
a1.sources.r1.interceptors.ex.serializers.k.name = kind
a1.channels.c1.type = memory
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.path = {out}/%Y%m%d/%{{kind}}
a1.sinks.k1.hdfs.filePrefix = cars-%[localhost]
a1.sinks.k1.hdfs.fileSuffix = .log
a1.sinks.k1.hdfs.timeZone = UTC
a1.sinks.k1.hdfs.rollCount = {roll_count}
a1.sinks.k1.hdfs.rollSize = 0
a1.sinks.k1.hdfs.rollInterval = {roll_interval}
{extra}
"""


def all_files(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files]
    return sorted(out)


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().decode().splitlines()


class HdfsSinkTest(AgentTestCase):
    def start(self, roll_count=0, roll_interval=0, extra=""):
        self.port = free_port()
        self.out = self.path("out")
        return self.start_agent(CONF.format(port=self.port, out=self.out, roll_count=roll_count,
                                            roll_interval=roll_interval, extra=extra))

    def test_buckets_by_day_and_header_and_rolls_by_count(self):
        agent = self.start(roll_count=100)
        day1, day2 = 1795478400000, 1795564800000  # 2026-11-24 and 25, 00:00 UTC
        lines = ["%d,status,car%d" % (day1 + i, i) for i in range(250)]
        lines += ["%d,drive,car%d" % (day2 + i, i) for i in range(150)]
        c = NetcatClient(self.port)
        c.send_lines(lines)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 400, 20)
        self.assertEqual(agent.stop(), 0)
        files = all_files(self.out)
        status = [f for f in files if "/20261124/status/" in f]
        drive = [f for f in files if "/20261125/drive/" in f]
        self.assertEqual(len(status), 3, files)  # 100 + 100 + 50
        self.assertEqual(len(drive), 2, files)
        self.assertTrue(all(os.path.basename(f).startswith("cars-") and f.endswith(".log")
                            for f in files), files)
        self.assertFalse([f for f in files if f.endswith(".tmp")], "in-use files left open")
        got = sorted(l for f in files for l in read(f))
        self.assertEqual(got, sorted(lines))

    def test_events_that_cannot_be_placed_are_rejected_not_retried(self):
        agent = self.start()
        c = NetcatClient(self.port)
        c.send_lines(["no-timestamp-here", "1795478400000,status,ok", "notanumber,status,x"])
        # Rejected events are counted as rejected, not as drained (the runner counts both).
        wait_until(lambda: agent.counter("SINK.k1", "EventRejectedCount") == 2, 20)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 1, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertIn("has no timestamp header", agent.log_text())
        files = all_files(self.out)
        self.assertEqual([l for f in files for l in read(f)], ["1795478400000,status,ok"])

    def test_open_files_are_in_use_then_renamed_and_gzip_is_readable(self):
        agent = self.start(extra="a1.sinks.k1.hdfs.fileType = CompressedStream\n"
                                 "a1.sinks.k1.hdfs.codeC = gzip\n"
                                 "a1.sinks.k1.hdfs.fileSuffix =\n")
        c = NetcatClient(self.port)
        c.send_lines(["1795478400000,status,a%d" % i for i in range(50)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 50, 20)
        open_now = all_files(self.out)
        self.assertEqual(len(open_now), 1)
        self.assertTrue(open_now[0].endswith(".gz.tmp"), open_now)
        # A crash leaves the in-use file; the next start closes it (and it decompresses).
        agent.proc.kill()
        agent.proc.wait()
        agent = self.start(extra="a1.sinks.k1.hdfs.fileType = CompressedStream\n"
                                 "a1.sinks.k1.hdfs.codeC = gzip\n")
        files = all_files(self.out)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(".gz"), files)
        self.assertEqual(read(files[0]), ["1795478400000,status,a%d" % i for i in range(50)])
        self.assertEqual(agent.stop(), 0)

    def test_hdfs_uri_and_sequencefile_are_clear_errors(self):
        conf = self.path("bad.conf")
        with open(conf, "w") as f:
            f.write("a1.channels = c1\na1.sinks = k1\na1.channels.c1.type = memory\n"
                    "a1.sinks.k1.type = org.apache.flume.sink.hdfs.HDFSEventSink\n"
                    "a1.sinks.k1.channel = c1\n"
                    "a1.sinks.k1.hdfs.path = hdfs://namenode/flume/%Y\n"
                    "a1.sinks.k1.hdfs.fileType = SequenceFile\n")
        r = self.run_flumen("check", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.conf:6: error: a1.sinks.k1.hdfs.path: 'hdfs://namenode/flume/%Y' is a "
                      "remote URI", r.stderr)
        self.assertIn("bad.conf:7: error: a1.sinks.k1.hdfs.fileType: SequenceFile is a Hadoop "
                      "format", r.stderr)


if __name__ == "__main__":
    unittest.main()
