"""Hot reload: a changed conf is applied component by component (unchanged ones keep running,
a channel keeps its events), and a broken conf is refused while the old pipeline runs on."""
import os
import signal
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, read_lines, wait_until

V1 = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {d1}
a1.sinks.k1.sink.rollInterval = 0
"""

V2 = V1.replace("a1.channels = c1", "a1.channels = c1 c2").replace(
    "a1.sinks = k1", "a1.sinks = k1 k2").replace(
    "a1.sources.r1.channels = c1", "a1.sources.r1.channels = c1 c2") + """
a1.channels.c2.type = memory
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = {d2}
a1.sinks.k2.sink.rollInterval = 0
"""


class ReloadTest(AgentTestCase):
    def write_conf(self, agent, text):
        with open(agent.conf_path, "w") as f:
            f.write(text)

    def test_adding_a_sink_keeps_the_rest_and_a_broken_conf_is_refused(self):
        port = free_port()
        d1, d2 = self.path("d1"), self.path("d2")
        agent = self.start_agent(V1.format(port=port, d1=d1, d2=d2), args=["-i", "1"])
        NetcatClient(port).send_lines(["before%d" % i for i in range(100)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 100, 20)
        k1_started = agent.metrics()["SINK.k1"]["StartTime"]

        # Add a channel and a sink; the source changes (new channel list): it restarts, while
        # c1 and k1 are untouched. Picked up by the mtime poll (-i 1).
        self.write_conf(agent, V2.format(port=port, d1=d1, d2=d2))
        wait_until(lambda: "SINK.k2" in agent.metrics(), 20, "the reload")
        # c2, k2 and the changed r1 start; the old r1 stops; c1 and k1 keep running.
        # The summary is logged once the reload is done, a moment after k2's metrics appear.
        wait_until(lambda: "(3 started, 1 stopped, 2 kept running)" in agent.log_text(), 20,
                   "the reload summary")
        self.assertEqual(agent.metrics()["SINK.k1"]["StartTime"], k1_started, "k1 was restarted")
        wait_until(lambda: agent.metrics()["SOURCE.r1"]["StartTime"] != "0", 20)
        NetcatClient(port).send_lines(["after%d" % i for i in range(100)])
        wait_until(lambda: agent.counter("SINK.k2", "EventDrainSuccessCount") == 100, 20)
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 200, 20)

        # A broken conf: refused with its diagnostics, the running pipeline goes on. (An
        # unknown key would only be a warning, as Flume ignores it.)
        self.write_conf(agent, V2.format(port=port, d1=d1, d2=d2) + "a1.sinks.k2.sink.batchSize = many\n")
        agent.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload refused" in agent.log_text(), 20)
        self.assertIn("a1.sinks.k2.sink.batchSize: expected an integer, got 'many'", agent.log_text())
        NetcatClient(port).send_lines(["still%d" % i for i in range(50)])
        wait_until(lambda: agent.counter("SINK.k2", "EventDrainSuccessCount") == 150, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(d1), ["before%d" % i for i in range(100)] +
                         ["after%d" % i for i in range(100)] + ["still%d" % i for i in range(50)])
        self.assertEqual(read_lines(d2), ["after%d" % i for i in range(100)] +
                         ["still%d" % i for i in range(50)])

    def test_an_unchanged_channel_keeps_its_events_across_a_reload(self):
        port = free_port()
        d1 = self.path("d1")
        # No sink at first: events wait in c1.
        no_sink = "\n".join(l for l in V1.format(port=port, d1=d1, d2="").splitlines()
                            if not l.startswith("a1.sinks")) + "\n"
        agent = self.start_agent(no_sink)
        NetcatClient(port).send_lines(["queued%d" % i for i in range(500)])
        self.assertEqual(agent.counter("CHANNEL.c1", "ChannelSize"), 500)
        self.write_conf(agent, V1.format(port=port, d1=d1, d2=""))
        agent.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "SINK.k1" in agent.metrics() and
                   agent.counter("SINK.k1", "EventDrainSuccessCount") == 500, 20)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(d1), ["queued%d" % i for i in range(500)])

    def test_a_changed_channel_keeps_its_events_across_a_reload(self):
        # Flume keeps the channel object across a reload and reconfigures it; replacing it
        # threw away what it held (TAILDIR or the sender had already moved past those events).
        port = free_port()
        d1 = self.path("d1")
        v1 = V1.replace("capacity = 100000", "capacity = 20000")
        no_sink = "\n".join(l for l in v1.format(port=port, d1=d1, d2="").splitlines()
                            if not l.startswith("a1.sinks")) + "\n"
        agent = self.start_agent(no_sink)
        sent = ["queued%d" % i for i in range(4050)]
        NetcatClient(port).send_lines(sent)
        self.assertEqual(agent.counter("CHANNEL.c1", "ChannelSize"), 4050)
        changed = no_sink.replace("capacity = 20000", "capacity = 30000")
        self.write_conf(agent, changed)
        agent.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelCapacity") == 30000, 20)
        self.assertEqual(agent.counter("CHANNEL.c1", "ChannelSize"), 4050)
        # Now a different channel type: the events move into the replacement.
        as_file = changed.replace("a1.channels.c1.type = memory",
                                  "a1.channels.c1.type = file\n"
                                  "a1.channels.c1.dataDirs = %s" % self.path("fc"))
        with_sink = "".join(l + "\n" for l in v1.format(port=port, d1=d1, d2="").splitlines()
                            if l.startswith("a1.sinks"))
        self.write_conf(agent, as_file + with_sink)
        agent.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "SINK.k1" in agent.metrics() and
                   agent.counter("SINK.k1", "EventDrainSuccessCount") == 4050, 30)
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(read_lines(d1), sent)
        self.assertNotIn("they are lost", agent.log_text())


if __name__ == "__main__":
    unittest.main()
