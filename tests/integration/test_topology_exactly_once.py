"""Reproductions of what bench/topology_kill_loop.py found in the smart-car topology.

An aggregator routes by header (multiplexing) into two file channels. The forward source keeps
the last committed batch of each sender stream as a marker in the channels the batch was put
into, and after a restart takes the smallest over its channels. A channel that got no events of
a stream's recent batches (status lines are rare, driving lines constant) holds an old number,
so after a kill -9 of the aggregator the receiver tells the sender an older committed batch than
it has, and a take resent after the kill with its numbers is accepted a second time (seen in the
loop: 'committed 3411' at one connection, 'committed 3398' after the next restart; 120 driving
lines twice in the topic, in runs of one take)."""
import os
import re
import time

from flumen_harness import AgentTestCase, free_port, wait_until

EDGE = """
e1.sources = r1
e1.channels = c1
e1.sinks = k1
e1.sources.r1.type = TAILDIR
e1.sources.r1.filegroups = status drive
e1.sources.r1.filegroups.status = {logs}/status\\\\.log
e1.sources.r1.filegroups.drive = {logs}/drive\\\\.log
e1.sources.r1.headers.status.logtype = status
e1.sources.r1.headers.drive.logtype = drive
e1.sources.r1.positionFile = {work}/pos.json
e1.sources.r1.batchSize = 10
e1.sources.r1.channels = c1
e1.channels.c1.type = file
e1.channels.c1.dataDirs = {work}/edge-channel
e1.channels.c1.minimumRequiredSpace = 1048576
e1.sinks.k1.type = forward
e1.sinks.k1.channel = c1
e1.sinks.k1.hostname = 127.0.0.1
e1.sinks.k1.port = {port}
e1.sinks.k1.batch-size = 10
"""

AGG = """
agg.sources = edges
agg.channels = status drive
agg.sources.edges.type = forward
agg.sources.edges.bind = 127.0.0.1
agg.sources.edges.port = {port}
agg.sources.edges.channels = status drive
agg.sources.edges.selector.type = multiplexing
agg.sources.edges.selector.header = logtype
agg.sources.edges.selector.mapping.status = status
agg.sources.edges.selector.mapping.drive = drive
agg.channels.status.type = file
agg.channels.status.dataDirs = {work}/status-channel
agg.channels.status.minimumRequiredSpace = 1048576
agg.channels.drive.type = file
agg.channels.drive.dataDirs = {work}/drive-channel
agg.channels.drive.minimumRequiredSpace = 1048576
"""


class MultiplexedLedgerTest(AgentTestCase):
    def test_receiver_remembers_the_last_committed_batch_after_kill(self):
        logs = self.path("logs")
        os.makedirs(logs)
        port = free_port()
        agg_conf = AGG.format(port=port, work=self.workdir)
        agg = self.start_agent(agg_conf, name="agg")
        edge = self.start_agent(EDGE.format(logs=logs, work=self.workdir, port=port), name="e1")
        with open(os.path.join(logs, "status.log"), "w") as f:
            f.write("status line\n")
        wait_until(lambda: agg.counter("CHANNEL.status", "ChannelSize") == 1, 30, "status line")
        # Many batches with driving lines only: the status channel hears nothing of them.
        with open(os.path.join(logs, "drive.log"), "w") as f:
            for i in range(50):
                f.write("drive %d\n" % i)
                f.flush()
                time.sleep(0.01)
        wait_until(lambda: agg.counter("CHANNEL.drive", "ChannelSize") == 50, 30, "drive lines")
        self.assertEqual(edge.stop(), 0)
        agg.kill()
        agg = self.start_agent(agg_conf, name="agg")
        edge = self.start_agent(EDGE.format(logs=logs, work=self.workdir, port=port), name="e1")
        with open(os.path.join(logs, "drive.log"), "a") as f:
            f.write("drive after the restart\n")  # the sink connects when it has a take
        pattern = re.compile(r"goes on at batch (\d+)[\s\S]*connected to .*committed (\d+)\)")
        m = wait_until(lambda: pattern.search(edge.log_text()), 30, "the edge to connect")
        next_batch, committed = int(m.group(1)), int(m.group(2))
        self.assertEqual(edge.stop(), 0)
        self.assertEqual(agg.stop(), 0)
        # Every batch before next_batch was committed in the aggregator's channels.
        self.assertEqual(committed, next_batch - 1, "the receiver's committed batch went back")
