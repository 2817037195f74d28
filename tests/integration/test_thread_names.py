"""Every thread of an agent and of the broker has a name that says what it works for (so `top -H`
shows which source or sink is busy): read from /proc/<pid>/task/*/comm, before and after a
reload, with event-loop sources, a thread-per-source source, sink workers, a failover group and
a file channel; then with every network source and sink while events pass through them (kafka
into the bundled broker and back, forward, http, syslog), and the broker's threads under load."""
import json
import os
import re
import signal
import subprocess
import unittest
import urllib.request

from flumen_harness import FLUMEN, AgentTestCase, free_port, wait_until
from test_broker import Broker

CONF = """
a1.sources = r1 t1 n1 sp1
a1.channels = c1 c2 fc
a1.sinks = k1 k2 k3 k4
a1.sinkgroups = g1
a1.sources.r1.type = exec
a1.sources.r1.shell = /bin/sh -c
a1.sources.r1.command = while true; do echo x; sleep 0.2; done
a1.sources.r1.channels = c1
a1.sources.t1.type = TAILDIR
a1.sources.t1.filegroups = f1
a1.sources.t1.filegroups.f1 = {dir}/logs/.*\\.log
a1.sources.t1.positionFile = {dir}/taildir.json
a1.sources.t1.channels = c2
a1.sources.n1.type = netcat
a1.sources.n1.bind = 127.0.0.1
a1.sources.n1.port = 0
a1.sources.n1.channels = fc
a1.sources.sp1.type = spooldir
a1.sources.sp1.spoolDir = {dir}/spool
a1.sources.sp1.channels = fc
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.fc.type = file
a1.channels.fc.checkpointDir = {dir}/fc/checkpoint
a1.channels.fc.dataDirs = {dir}/fc/data
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
a1.sinks.k3.type = null
a1.sinks.k3.channel = c2
a1.sinks.k4.type = null
a1.sinks.k4.channel = fc
a1.sinks.k4.workers = 2
a1.sinkgroups.g1.sinks = k2 k3
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k2 = 10
a1.sinkgroups.g1.processor.priority.k3 = 5
"""

# Events go round: http, syslog -> c1 -> kafka sink -> broker -> kafka source -> c2 -> forward
# sink -> forward source -> c3 -> null sink.
NETWORK_CONF = """
a1.sources = ht sy su ks av
a1.channels = c1 c2 c3
a1.sinks = kk fw nl
a1.sources.ht.type = http
a1.sources.ht.bind = 127.0.0.1
a1.sources.ht.port = {http_port}
a1.sources.ht.channels = c1
a1.sources.sy.type = syslogtcp
a1.sources.sy.host = 127.0.0.1
a1.sources.sy.port = 0
a1.sources.sy.channels = c1
a1.sources.su.type = syslogudp
a1.sources.su.host = 127.0.0.1
a1.sources.su.port = 0
a1.sources.su.channels = c1
a1.sources.ks.type = kafka
a1.sources.ks.kafka.bootstrap.servers = 127.0.0.1:{broker_port}
a1.sources.ks.kafka.topics = names
a1.sources.ks.kafka.consumer.auto.offset.reset = earliest
a1.sources.ks.batchDurationMillis = 100
a1.sources.ks.batchSize = 100
a1.sources.ks.channels = c2
a1.sources.av.type = avro
a1.sources.av.bind = 127.0.0.1
a1.sources.av.port = {avro_port}
a1.sources.av.channels = c3
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.c3.type = memory
a1.sinks.kk.type = kafka
a1.sinks.kk.channel = c1
a1.sinks.kk.kafka.bootstrap.servers = 127.0.0.1:{broker_port}
a1.sinks.kk.kafka.topic = names
a1.sinks.fw.type = avro
a1.sinks.fw.channel = c2
a1.sinks.fw.hostname = 127.0.0.1
a1.sinks.fw.port = {avro_port}
a1.sinks.nl.type = null
a1.sinks.nl.channel = c3
"""

# What a thread may be called: the process itself, the metrics endpoint, a component, or a
# library's own worker (RocksDB and librdkafka name their threads).
KNOWN = re.compile(r"^(metrics|broker|(src|sink|grp|chan)-.+|rocksdb:.+|rdk:.+)$")


def check_names(test, pid, names):
    """The main thread is "flumen", every other thread says what it works for."""
    for tid, name in names.items():
        if tid == pid:
            test.assertEqual(name, "flumen")
        else:
            test.assertRegex(name, KNOWN, "thread %d" % tid)


def thread_names(pid):
    names = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                names[int(tid)] = f.read().strip()
        except FileNotFoundError:  # a thread that just ended
            pass
    return names


class ThreadNamesTest(AgentTestCase):
    def test_every_agent_thread_is_named_after_its_component(self):
        for d in ("logs", "spool"):
            os.makedirs(self.path(d))
        conf = CONF.format(dir=self.workdir)
        agent = self.start_agent(conf)
        pid = agent.proc.pid
        expected = {"flumen", "metrics", "src-r1", "src-t1", "src-n1", "src-sp1", "sink-k1",
                    "grp-g1", "sink-k4#1", "sink-k4#2"}
        names = wait_until(lambda: (lambda n: n if expected <= set(n.values()) else None)(
            thread_names(pid)), 10, "the component threads")
        print(sorted(names.values()))
        check_names(self, pid, names)
        self.assertNotIn("sink-k2", names.values())  # grouped sinks run on the group's thread
        # A thread the file channel starts is named after it (or is one of RocksDB's own).
        self.assertTrue(any(n == "chan-fc" or n.startswith("rocksdb:") for n in names.values()))

        # A reload starts new threads under new names; the main thread is still "flumen".
        with open(agent.conf_path, "w") as f:
            f.write(conf.replace("a1.sources = r1 t1 n1 sp1", "a1.sources = r1 t1 n1 sp1 n2")
                    + "a1.sources.n2.type = netcat\na1.sources.n2.bind = 127.0.0.1\n"
                      "a1.sources.n2.port = 0\na1.sources.n2.channels = c1\n")
        agent.proc.send_signal(signal.SIGHUP)
        # While a component starts, the main thread carries its name (so that the threads it
        # starts inherit it), then gets its own back.
        after = wait_until(lambda: (lambda n: n if "src-n2" in n.values() and
                                    n.get(pid) == "flumen" else None)(thread_names(pid)),
                           20, "the new source's thread")
        print(sorted(after.values()))
        check_names(self, pid, after)
        self.assertEqual(agent.stop(), 0)

    def test_network_sources_and_sinks_while_events_pass(self):
        broker_port = free_port()
        broker = Broker(self.workdir, self.path("broker"), broker_port)
        self.addCleanup(lambda: broker.proc.poll() is None and broker.stop())
        http_port, avro_port = free_port(), free_port()
        agent = self.start_agent(NETWORK_CONF.format(http_port=http_port, avro_port=avro_port,
                                                     broker_port=broker_port))
        pid = agent.proc.pid
        body = json.dumps([{"headers": {}, "body": "event %d" % i} for i in range(10)]).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/" % http_port, data=body, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        # All the way round: every component has run.
        wait_until(lambda: agent.counter("SINK.nl", "EventDrainSuccessCount") == 10, 60,
                   "the events through kafka and forward to the null sink")
        names = thread_names(pid)
        print(sorted(names.values()))
        check_names(self, pid, names)
        expected = {"flumen", "metrics", "src-ht", "src-sy", "src-su", "src-ks", "src-av",
                    "sink-kk", "sink-fw", "sink-nl"}
        self.assertLessEqual(expected, set(names.values()))
        # librdkafka's producer and consumer threads, under its own names.
        self.assertTrue(any(n.startswith("rdk:") for n in names.values()), names)
        self.assertEqual(agent.stop(), 0)

        # The broker after serving them: its loop, its workers (started from the loop) and
        # RocksDB's.
        names = thread_names(broker.proc.pid)
        print(sorted(names.values()))
        check_names(self, broker.proc.pid, names)
        self.assertIn("broker", names.values())
        self.assertEqual(broker.stop(), 0)

    def test_broker_threads(self):
        port, metrics = free_port(), free_port()
        log = open(self.path("broker.log"), "w")
        broker = subprocess.Popen(
            [FLUMEN, "broker", "--data-dir", self.path("b"), "--listen", "127.0.0.1:%d" % port,
             "--metrics-port", str(metrics)], stdout=log, stderr=subprocess.STDOUT)
        try:
            names = wait_until(lambda: (lambda n: n if "broker" in n.values() and
                                        n.get(broker.pid) == "flumen" else None)(
                thread_names(broker.pid)), 10, "the broker's loop thread")
            print(sorted(names.values()))
            check_names(self, broker.pid, names)
        finally:
            broker.kill()
            broker.wait()
            log.close()


if __name__ == "__main__":
    unittest.main()
