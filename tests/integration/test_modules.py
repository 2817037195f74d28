"""Loadable modules: an agent maps librdkafka and RocksDB only when its conf uses a kafka or
file plugin, and a missing module is a clear configuration error, not a crash."""
import os
import shutil
import subprocess
import unittest

from flumen_harness import FLUMEN, AgentTestCase, NetcatClient, free_port, wait_until

NETCAT_TO_NULL = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = {channel}
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
"""

KAFKA_AND_FILE = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {data}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:1
a1.sinks.k1.kafka.topic = t
"""


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if len(line.split()) >= 6}


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class ModulesTest(AgentTestCase):
    def test_a_memory_pipeline_maps_neither_librdkafka_nor_rocksdb(self):
        port = free_port()
        agent = self.start_agent(NETCAT_TO_NULL.format(port=port, channel="memory"))
        NetcatClient(port).send_lines(["x%d" % i for i in range(100)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 100, 20)
        maps = " ".join(mapped_files(agent.proc.pid))
        # OpenSSL is the core's since listeners and the forward sink speak TLS (mapped, its
        # pages touched only when TLS is used); what only the modules use stays out.
        for library in ("librdkafka", "librocksdb", "flumen-kafka.so",
                        "flumen-file-channel.so", "flumen-broker.so"):
            self.assertNotIn(library, maps)
        rss = rss_kb(agent.proc.pid)
        print("idle memory agent RSS: %d kB" % rss)
        # 10.8 MB measured, 1.7 MB of it OpenSSL's relocated pages (linked into the core for
        # TLS; a module loaded only when TLS is configured would take them off): the bound
        # catches a real regression, not that.
        self.assertLess(rss, 12 * 1024, "an edge agent with memory channels stays under 12 MB")

    def test_a_file_channel_loads_its_module_and_only_that(self):
        port = free_port()
        conf = NETCAT_TO_NULL.format(port=port, channel="file") + \
            "a1.channels.c1.dataDirs = %s\n" % self.path("data")
        agent = self.start_agent(conf)
        NetcatClient(port).send_lines(["x%d" % i for i in range(100)])
        wait_until(lambda: agent.counter("SINK.k1", "EventDrainSuccessCount") == 100, 20)
        maps = " ".join(mapped_files(agent.proc.pid))
        self.assertIn("flumen-file-channel.so", maps)
        self.assertIn("librocksdb", maps)
        self.assertNotIn("librdkafka", maps)

    def test_a_missing_module_is_a_configuration_error_with_its_line(self):
        # A copy of the binary alone in a directory finds no modules beside it.
        lonely = self.path("bin")
        os.makedirs(lonely)
        shutil.copy(FLUMEN, lonely)
        conf = self.path("k.conf")
        with open(conf, "w") as f:
            f.write(KAFKA_AND_FILE.format(data=self.path("data")))
        env = dict(os.environ)
        env.pop("FLUMEN_MODULE_DIR", None)
        lonely_flumen = os.path.join(lonely, "flumen")
        r = subprocess.run([lonely_flumen, "check", "-f", conf, "-n", "a1"], capture_output=True,
                           text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("k.conf:7: error: channel type 'file' is unavailable: module "
                      "flumen-file-channel.so not found", r.stderr)
        self.assertIn("k.conf:9: error: sink type 'org.apache.flume.sink.kafka.KafkaSink' is "
                      "unavailable: module flumen-kafka.so not found", r.stderr)
        r = subprocess.run([lonely_flumen, "broker", "--data-dir", self.path("b")],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 3)
        self.assertIn("module flumen-broker.so not found", r.stderr)

        # A shared object that is not a flumen module (or is one from another build) under a
        # module's name is refused by its ABI mark, before any of it is used.
        impostor = self.path("impostor")
        os.makedirs(impostor)
        shutil.copy("/lib/x86_64-linux-gnu/libz.so.1", os.path.join(impostor, "flumen-kafka.so"))
        env["FLUMEN_MODULE_DIR"] = impostor
        r = subprocess.run([lonely_flumen, "check", "-f", conf, "-n", "a1"], capture_output=True,
                           text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("flumen-kafka.so was built from other sources (module ABI -1", r.stderr)

        # FLUMEN_MODULE_DIR points the copy at the modules.
        env["FLUMEN_MODULE_DIR"] = os.path.dirname(os.path.abspath(FLUMEN))
        r = subprocess.run([lonely_flumen, "check", "-f", conf, "-n", "a1"], capture_output=True,
                           text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
