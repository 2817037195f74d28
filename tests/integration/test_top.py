"""`flumen top` against real agents and a broker: in a tmux pane of 80x24 (send-keys,
capture-pane) it shows every component with rates that follow the data, sorts on a key, and q or
Ctrl-C give the terminal back; on a pipe it prints one snapshot."""
import os
import re
import shutil
import subprocess
import threading
import time
import unittest

from flumen_harness import FLUMEN, AgentTestCase, free_port, wait_until


def ensure_tmux():
    for step in (["apt-get", "install", "-y", "tmux"], ["apt-get", "update"],
                 ["apt-get", "install", "-y", "tmux"]):
        if shutil.which("tmux"):
            break
        subprocess.run(step, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if shutil.which("tmux") is None:
        raise AssertionError("tmux is needed for this test and could not be installed")


CONF = """
a1.sources = r1 t1
a1.channels = c1 c2
a1.sinks = k1 k2 k3
a1.sinkgroups = g1
a1.sources.r1.type = exec
a1.sources.r1.shell = /bin/sh -c
# 200 lines/s with 10 forks/s: steady even on a loaded machine.
a1.sources.r1.command = while true; do printf 'car-%s speed=42\\n' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; sleep 0.1; done
a1.sources.r1.batchSize = 20
a1.sources.r1.batchTimeout = 100
a1.sources.r1.channels = c1
a1.sources.t1.type = TAILDIR
a1.sources.t1.filegroups = f1
a1.sources.t1.filegroups.f1 = {logs}/.*\\.log
a1.sources.t1.positionFile = {dir}/taildir.json
a1.sources.t1.channels = c2
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c2.type = memory
a1.channels.c2.capacity = 10000
a1.channels.c2.transactionCapacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
a1.sinks.k3.type = null
a1.sinks.k3.channel = c2
a1.sinkgroups.g1.sinks = k2 k3
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k2 = 10
a1.sinkgroups.g1.processor.priority.k3 = 5
"""


class Writer(threading.Thread):
    """Appends lines to a log file at a rate the test changes."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.per_second = 50
        self.stopping = threading.Event()

    def run(self):
        n = 0
        with open(self.path, "a") as f:
            while not self.stopping.is_set():
                burst = max(1, self.per_second // 20)
                for _ in range(burst):
                    n += 1
                    f.write("car-%d speed=%d\n" % (n % 7, n))
                f.flush()
                time.sleep(0.05)


class Tmux:
    """A tmux server of the test's own (-L), so nothing of the user's is touched."""

    def __init__(self, workdir):
        self.socket = "flumen-top-%d-%d" % (os.getpid(), id(self))
        self.workdir = workdir

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket] + list(args), capture_output=True,
                              text=True, check=check, timeout=20)

    def start(self, command):
        env_term = "TERM=xterm-256color"
        # The exit status goes to a file: tmux's own (#{pane_dead_status}) is sometimes never
        # filled in when the pane's process is reaped under load.
        self.exit_file = os.path.join(self.workdir, "top-exit-%d" % id(self))
        if os.path.exists(self.exit_file):
            os.unlink(self.exit_file)
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "top", "-x", "80", "-y", "24",
                 "env %s %s; echo $? > %s" % (env_term, command, self.exit_file))
        # Keep the pane after the command exits, to read its screen.
        self.run("set-option", "-t", "top", "remain-on-exit", "on")

    def wait_for_exit(self, what):
        """The command's exit status, once it exited."""
        def status():
            try:
                with open(self.exit_file) as f:
                    text = f.read()
                return text.strip() if text.endswith("\n") else None
            except OSError:
                return None
        return wait_until(status, 5, what)

    def capture(self):
        return self.run("capture-pane", "-p", "-t", "top").stdout

    def display(self, fmt):
        return self.run("display-message", "-p", "-t", "top", fmt).stdout.strip()

    def keys(self, *keys):
        self.run("send-keys", "-t", "top", *keys)

    def kill(self):
        self.run("kill-server", check=False)


def row(screen, prefix):
    """The fields of the first line starting with prefix ("src  r1")."""
    for line in screen.splitlines():
        if line.startswith(prefix):
            return line.split()
    return None


def number(text):
    m = re.match(r"^([0-9.]+)([kMG]?)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]


class TopTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        ensure_tmux()
        os.makedirs(self.path("logs"))
        self.writer = Writer(self.path("logs", "app.log"))
        self.writer.start()
        self.agent = self.start_agent(CONF.format(logs=self.path("logs"), dir=self.workdir))
        self.tmux = Tmux(self.workdir)
        self.addCleanup(self.tmux.kill)
        self.addCleanup(self.writer.stopping.set)

    def top_command(self, *extra):
        return "%s top --agent 127.0.0.1:%d --interval 0.5 %s" % (
            FLUMEN, self.agent.metrics_port, " ".join(extra))

    def test_components_and_moving_rates_in_80_columns_then_q(self):
        self.tmux.start(self.top_command())
        screen = wait_until(
            lambda: (lambda s: s if row(s, "sink k1") and row(s, "src  r1") and
                     number(row(s, "src  r1")[3]) else None)(self.tmux.capture()),
            20, "top to draw the agent with a rate")
        print("\n" + screen)
        for prefix in ("src  r1 exec", "src  t1 TAILDIR", " fg   f1", "chan c1 memory",
                       "chan c2 memory", "grp  g1 failover", "sink k1 null", "sink k2 null",
                       "sink k3 null"):
            self.assertTrue(any(l.startswith(prefix) for l in screen.splitlines()),
                            "%r missing from:\n%s" % (prefix, screen))
        self.assertIn("== a1 (127.0.0.1:%d)" % self.agent.metrics_port, screen)
        self.assertTrue(all(len(l) <= 80 for l in screen.splitlines()))
        self.assertEqual(self.tmux.display("#{alternate_on}"), "1")
        # exec: ~100 lines/s at most (sleep 0.01 between lines), well above 0.
        r1_in = number(row(screen, "src  r1")[3])
        self.assertGreater(r1_in, 5)
        self.assertIn("on k2", screen)  # the failover group's active sink

        # The file group's rate follows the writer: 50 lines/s, then 400.
        def fg_rate():
            fields = row(self.tmux.capture(), " fg   f1")
            return number(fields[2]) if fields else None
        wait_until(lambda: fg_rate() and 20 <= fg_rate() <= 120, 20, "f1 at about 50 lines/s")
        low = fg_rate()
        self.writer.per_second = 400
        wait_until(lambda: fg_rate() and fg_rate() >= 200, 20, "f1 at about 400 lines/s")
        high = fg_rate()
        print("f1 lines/s shown: %.0f then %.0f" % (low, high))
        # Refreshed in place: the clock in the title moves and the screen keeps its layout.
        clock = re.search(r"(\d\d:\d\d:\d\d)$", self.tmux.capture().splitlines()[0]).group(1)
        wait_until(lambda: not self.tmux.capture().splitlines()[0].endswith(clock), 5,
                   "the clock to move")
        self.assertTrue(self.tmux.capture().splitlines()[1].startswith("KIND COMPONENT"))

        # s cycles the sort.
        self.tmux.keys("s")
        wait_until(lambda: "sort name" in self.tmux.capture(), 5, "sort name")
        self.tmux.keys("s")
        wait_until(lambda: "sort in" in self.tmux.capture(), 5, "sort in")

        self.tmux.keys("q")
        self.assertEqual(self.tmux.wait_for_exit("top to exit on q"), "0")
        self.assertEqual(self.tmux.display("#{alternate_on}"), "0")  # the screen is given back

    def test_ctrl_c_exits_cleanly(self):
        self.tmux.start(self.top_command())
        wait_until(lambda: row(self.tmux.capture(), "sink k1"), 20, "top to draw")
        self.tmux.keys("C-c")
        self.assertEqual(self.tmux.wait_for_exit("top to exit on Ctrl-C"), "0")
        self.assertEqual(self.tmux.display("#{alternate_on}"), "0")

    def test_snapshot_on_a_pipe_with_an_agent_and_a_broker(self):
        broker_port, broker_metrics = free_port(), free_port()
        log = open(self.path("broker.log"), "w")
        broker = subprocess.Popen(
            [FLUMEN, "broker", "--data-dir", self.path("broker"), "--listen",
             "127.0.0.1:%d" % broker_port, "--metrics-port", str(broker_metrics)],
            stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (broker.kill(), broker.wait(), log.close()))
        wait_until(lambda: subprocess.run(
            ["curl", "-sf", "http://127.0.0.1:%d/metrics" % broker_metrics],
            capture_output=True).returncode == 0, 20, "the broker's metrics")
        dead = free_port()
        r = subprocess.run(
            [FLUMEN, "top", "--agent", "127.0.0.1:%d" % self.agent.metrics_port, "--agent",
             "127.0.0.1:%d" % broker_metrics, "--agent", "127.0.0.1:%d" % dead,
             "--interval", "0.5"], capture_output=True, text=True, timeout=30)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\x1b", r.stdout)  # no terminal sequences on a pipe
        lines = r.stdout.splitlines()
        self.assertTrue(all(len(l) <= 80 for l in lines))
        self.assertTrue(lines[0].startswith("flumen top  3 agents"))
        self.assertIsNotNone(row(r.stdout, "sink k1 null"))
        self.assertGreater(number(row(r.stdout, "src  r1")[3]), 5)
        self.assertIn("brkr broker", r.stdout)
        self.assertIn("conns 0, topics 0", r.stdout)
        self.assertIn("== 127.0.0.1:%d  Connection refused" % dead, r.stdout)


if __name__ == "__main__":
    unittest.main()
