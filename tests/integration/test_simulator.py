"""The smart-car simulator feeding real agents: TAILDIR follows the driving log through the
simulator's own rename and copytruncate rotations, and spooldir ingests its status day files."""
import collections
import glob
import os
import subprocess
import unittest

from flumen_harness import FLUMEN, AgentTestCase, read_lines, wait_until

TAIL = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = drive
a1.sources.r1.filegroups.drive = {logs}/SmartCarDriverInfo\\\\.log.*
a1.sources.r1.positionFile = {work}/pos.json
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = f
a1.sources.r1.interceptors.f.type = regex_filter
a1.sources.r1.interceptors.f.regex = ^\\\\d{{14}}
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {work}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
"""


def lines_of(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out += f.read().decode().splitlines()
    return out


class SimulatorTest(AgentTestCase):
    def run_sim(self, *args):
        r = subprocess.run([FLUMEN, "sim"] + list(args), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_taildir_follows_the_simulators_rotations(self):
        for mode in ("rename", "copytruncate"):
            with self.subTest(mode=mode):
                logs = self.path("logs-" + mode)
                os.mkdir(logs)
                work = self.path("work-" + mode)
                os.mkdir(work)
                agent = self.start_agent(TAIL.format(logs=logs, work=work))
                out = self.run_sim("drive", "--drivers", "50", "--seed", "5", "--out",
                                   os.path.join(logs, "SmartCarDriverInfo.log"), "--duration",
                                   "3s", "--speedup", "20", "--rotate", mode,
                                   "--rotate-size", "150000", "--header")
                self.assertIn("files", out)
                written = [l for l in lines_of(glob.glob(os.path.join(logs, "*")))
                           if not l.startswith("Driver Status")]
                if mode == "copytruncate":
                    # The rotated copies hold what the live file had: count each line once.
                    written = list(collections.Counter(written))
                # Wait for every distinct line, not for a count: copies read again would make a
                # count reach its target before the last lines arrived.
                wanted = set(written)
                wait_until(lambda: wanted <= set(read_lines(os.path.join(work, "out"))), 30,
                           "every driving line")
                self.assertEqual(agent.stop(), 0)
                got = collections.Counter(read_lines(os.path.join(work, "out")))
                missing = set(written) - set(got)
                self.assertEqual(missing, set(), "%s: %d lines lost" % (mode, len(missing)))
                if mode == "rename":
                    self.assertEqual(sum(got.values()), len(written), "duplicates after rename")

    def test_spooldir_ingests_status_days(self):
        spool = self.path("spool")
        os.mkdir(spool)
        agent = self.start_agent("""
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = %s
a1.sources.r1.pollDelay = 50
a1.sources.r1.batchSize = 1000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
""" % spool)
        for day in ("20261124", "20261125"):
            self.run_sim("status", "--cars", "5", "--seed", "1", "--date", day, "--out", spool)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 2 * 5 * 21601,
                   60, "two status days")
        wait_until(lambda: len(glob.glob(os.path.join(spool, "*.COMPLETED"))) == 2, 20)
        self.assertEqual(agent.stop(), 0)


if __name__ == "__main__":
    unittest.main()
