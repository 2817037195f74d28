"""Agent lifecycle: graceful stop drains the memory channel, exit codes mean something, the seq
and exec sources deliver exactly what they produce, and no child process is left behind."""
import os
import signal
import socket
import subprocess
import time
import unittest
import urllib.request

from flumen_harness import (FLUMEN, AgentTestCase, NetcatClient, free_port, read_lines,
                            wait_until)

SLOW_SINK = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.batchSize = 1000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
# One event per fsynced batch: slow on purpose, so a backlog is still queued at SIGTERM.
a1.sinks.k1.sink.batchSize = 1
"""


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def processes_with(cmdline_part):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if cmdline_part.encode() in f.read().replace(b"\0", b" "):
                        found.append(int(entry))
            except OSError:
                pass
    return found


class LifecycleTest(AgentTestCase):
    def test_sigterm_drains_the_memory_channel(self):
        port, out = free_port(), self.path("out")
        # The drain itself is under test, not its deadline: 5,000 fsyncs take longer than the
        # default 10 s on a loaded machine.
        agent = self.start_agent(SLOW_SINK.format(port=port, out=out),
                                 args=["--drain-timeout", "120"])
        sent = ["d%05d" % i for i in range(5000)]
        NetcatClient(port).send_lines(sent, chunk=1000)
        backlog = agent.counter("CHANNEL.c1", "ChannelSize")
        self.assertEqual(agent.stop(signal.SIGTERM), 0)
        self.assertEqual(read_lines(out), sent)
        self.assertIn("SIGTERM: stopping", agent.log_text())
        print("backlog at SIGTERM: %d events" % backlog)

    def test_drain_timeout_exits_4_and_says_what_was_left(self):
        port, out = free_port(), self.path("out")
        agent = self.start_agent(SLOW_SINK.format(port=port, out=out),
                                 args=["--drain-timeout", "0.05"])
        NetcatClient(port).send_lines(["t%05d" % i for i in range(20000)], chunk=1000)
        left = agent.counter("CHANNEL.c1", "ChannelSize")
        if left < 2000:
            self.skipTest("the sink kept up (backlog %d): cannot provoke a drain timeout" % left)
        self.assertEqual(agent.stop(signal.SIGINT), 4)
        self.assertIn("undelivered events", agent.log_text())

    def test_seq_delivers_every_number_once(self):
        out = self.path("out")
        agent = self.start_agent("""
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.batchSize = 100
a1.sources.r1.totalEvents = 100000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = %s
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.fsync = false
""" % out)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 100000, 60)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(out), [str(i) for i in range(100000)])

    def test_exec_source_lines_in_order_restart_and_no_orphans(self):
        out = self.path("out")
        marker = "sleep 1234.%d" % os.getpid()
        agent = self.start_agent("""
a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = exec
a1.sources.r1.shell = /bin/sh -c
a1.sources.r1.command = seq 1 5000
a1.sources.r1.restart = true
a1.sources.r1.restartThrottle = 200
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.sources.r2.type = exec
a1.sources.r2.shell = /bin/sh -c
a1.sources.r2.command = echo started; %s; echo never
a1.sources.r2.channels = c2
a1.channels.c1.type = memory
a1.channels.c1.capacity = 20000
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = %s
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
""" % (marker, out))
        # restart = true runs the command again: at least two full runs arrive.
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") >= 10000, 30)
        wait_until(lambda: processes_with(marker), 10, "the long-running command")
        self.assertEqual(agent.stop(), 0)
        lines = read_lines(out)
        runs = len(lines) // 5000
        self.assertGreaterEqual(runs, 2)
        self.assertEqual(lines[:runs * 5000], [str(i) for i in range(1, 5001)] * runs)
        self.assertEqual(processes_with(marker), [], "exec left its child running")

    def test_exec_child_dies_with_a_killed_agent(self):
        marker = "sleep 4321.%d" % os.getpid()
        agent = self.start_agent("""
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = %s
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
""" % marker)
        wait_until(lambda: processes_with(marker), 10, "the command to start")
        agent.proc.kill()  # kill -9: no chance to clean up
        agent.proc.wait()
        wait_until(lambda: not processes_with(marker), 10, "the orphaned command to die")

    def test_port_in_use_exits_3_with_a_clear_message(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        conf = self.path("busy.conf")
        with open(conf, "w") as f:
            f.write("""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = %d
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
""" % port)
        r = self.run_flumen("agent", "-f", conf, "-n", "a1")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("cannot listen on 127.0.0.1:%d: address already in use" % port, r.stderr)
        busy.close()

    def test_flume_monitoring_flags_and_prometheus(self):
        conf = self.path("m.conf")
        with open(conf, "w") as f:
            f.write("""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
""")
        port = free_port()
        proc = subprocess.Popen([FLUMEN, "agent", "--conf-file", conf, "--name", "a1", "-c", "conf",
                                 "-Dflume.monitoring.type=http",
                                 "-Dflume.monitoring.port=%d" % port],
                                stderr=subprocess.DEVNULL)
        try:
            def fetch(path, accept=None):
                req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
                if accept:
                    req.add_header("Accept", accept)
                with urllib.request.urlopen(req, timeout=5) as r:
                    return r.read().decode(), r.headers.get("Content-Type")
            body, ctype = wait_until(lambda: fetch("/metrics"), 20)
            self.assertIn("application/json", ctype)
            wait_until(lambda: '"EventDrainSuccessCount":"10"' in fetch("/metrics")[0], 20)
            text, ctype = fetch("/metrics?format=prometheus")
            self.assertIn("text/plain", ctype)
            self.assertIn('flumen_event_drain_success_count{agent="a1",type="sink",component="k1"} 10',
                          text)
            self.assertIn("# TYPE flumen_channel_size gauge", text)
            # A default Prometheus scrape names no format, only its Accept header.
            scrape = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
            text, ctype = fetch("/metrics", accept=scrape)
            self.assertIn("text/plain", ctype)
            self.assertIn("# TYPE flumen_channel_size gauge", text)
            # curl's */* and a browser's Accept still get Flume's JSON.
            for accept in ("*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"):
                self.assertIn("application/json", fetch("/metrics", accept=accept)[1], accept)
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main()
