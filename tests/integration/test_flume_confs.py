"""The real Flume confs in /work/shared/research/flume-confs (copied under tests/integration/
flume_confs/): every agent that uses only supported types runs as written. Only the
machine-specific parts are moved into the test's directory (the book's /home/pilot-pjt paths and
its Kafka host), nothing else is edited."""
import glob
import os
import re
import subprocess
import time
import unittest

from flumen_harness import AgentTestCase, NetcatClient, free_port, wait_until
from test_broker import Broker

CONFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flume_confs")


def conf_text(name):
    with open(os.path.join(CONFS, name), encoding="utf-8") as f:
        return f.read()


STATUS_LINE = "20160101000000,A0001,81,1,1,1,1,1,1,1,A,A,0"   # 13 fields, 14 leading digits


class FlumeConfsTest(AgentTestCase):
    def localize(self, text, kafka_port=None):
        """The book's machine: /home/pilot-pjt and the HDFS root move into the test dir."""
        home = self.path("home")
        text = text.replace("/home/pilot-pjt", home)
        text = text.replace("= /pilot-pjt/", "= " + self.path("hdfs") + "/pilot-pjt/")
        if kafka_port:
            text = text.replace("server02.hadoop.com:9092", "127.0.0.1:%d" % kafka_port)
        return text

    def book_dirs(self):
        """The book's working directories: the spool directory and the driver log's."""
        spool = self.path("home", "working", "car-batch-log")
        logdir = self.path("home", "working", "driver-realtime-log")
        os.makedirs(spool)
        os.makedirs(logdir)
        open(os.path.join(logdir, "SmartCarDriverInfo.log"), "w").close()
        return spool, logdir

    def start_broker(self):
        port = free_port()
        broker = Broker(self.workdir, self.path("broker"), port)
        self.addCleanup(lambda: broker.proc.poll() is None and (broker.proc.kill(), broker.proc.wait()))
        return port

    def check(self, conf_path, agent):
        return self.run_flumen("check", "-f", conf_path, "-n", agent)

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_env_lookup_netcat_conf_runs(self):
        port = free_port()
        text = conf_text("flume-conf-with-envLookup.properties")
        a = self.start_agent(text, "a1", env={"NC_PORT": str(port)})
        # a1.channels is set twice (Java keeps the last): a warning, not an error.
        self.assertIn("duplicate key 'a1.channels'", a.log_text())
        client = NetcatClient(port)
        client.send_lines(["hello from the env-lookup conf"])
        client.close()
        wait_until(lambda: a.counter("SINK.k1", "EventDrainSuccessCount") >= 1, 30, "the logger sink")
        # The logger sink prints the first 16 bytes of a body, as Flume's does.
        wait_until(lambda: "hello from the e" in a.log_text(), 10, "the logged event")

    def test_flume_test_conf_host1_runs_and_the_broken_hosts_name_their_types(self):
        text = conf_text("flume-conf.properties")
        path = self.write("flume-conf.properties", text)
        r = self.check(path, "host1")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = self.start_agent(text, "host1")
        wait_until(lambda: a.counter("SINK.sink1", "EventDrainSuccessCount") >= 100, 30,
                   "the null sink draining the seq source")
        # The other agents of that file use Flume test types flumen cannot build.
        r = self.check(path, "host5")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown channel type 'abc'", r.stderr)
        self.assertIn("unknown source type 'def'", r.stderr)

    def test_book_3_3_runs_without_the_components_it_lists_but_never_configures(self):
        text = self.localize(conf_text("SmartCar_Agent-CH03-3.3.conf"))
        path = self.write("3.3.conf", text)
        r = self.check(path, "SmartCar_Agent")
        self.assertEqual(r.returncode, 0, r.stderr)
        for what in ("source 'DriverCarInfo_TailSource'", "channel 'DriverCarInfo_Channel'",
                     "sink 'DriverCarInfo_KafkaSink'"):
            self.assertRegex(r.stderr, r"3\.3\.conf:\d+: warning: %s is listed in "
                                       r"SmartCar_Agent\.\w+ but not configured" % re.escape(what))
            self.assertIn(what, r.stdout)  # the "dropped, as Flume drops them" line
        self.assertIn("1 sources, 1 channels, 1 sinks", r.stdout)
        # The book's spoolDir has a stray space ("working /car-batch-log"): Flume uses it as
        # written, so does flumen.
        spool = self.path("home", "working ", "car-batch-log")
        os.makedirs(spool)
        a = self.start_agent(text, "SmartCar_Agent")
        with open(os.path.join(spool, "status.txt"), "w") as f:
            f.write(STATUS_LINE + "\nnot a status line\n")
        wait_until(lambda: a.counter("SINK.SmartCarInfo_LoggerSink", "EventDrainSuccessCount") >= 1,
                   30, "the spooled status line at the logger sink")
        # regex_filter keeps only the line with 14 leading digits (the source counts both, as
        # Flume's spooldir counts the batch it hands to the channel processor).
        wait_until(lambda: a.counter("SOURCE.SmartCarInfo_SpoolSource", "EventAcceptedCount") >= 2,
                   30, "both lines read")
        self.assertEqual(a.counter("SINK.SmartCarInfo_LoggerSink", "EventDrainSuccessCount"), 1)
        self.assertIn("20160101000000,A", a.log_text())
        self.assertNotIn("not a status", a.log_text())
        self.assertNotIn("SOURCE.DriverCarInfo_TailSource", a.metrics())

    def test_book_3_4_spool_to_logger_and_tail_to_kafka(self):
        kafka = self.start_broker()
        text = self.localize(conf_text("SmartCar_Agent-CH03-3.4.conf"), kafka)
        _, logdir = self.book_dirs()
        r = self.check(self.write("3.4.conf", text), "SmartCar_Agent")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = self.start_agent(text, "SmartCar_Agent")
        with open(os.path.join(logdir, "SmartCarDriverInfo.log"), "a") as f:
            f.write("20160101000000,A0001,0,0,0,F,1,0\nnoise\n")
        wait_until(lambda: a.counter("SINK.DriverCarInfo_KafkaSink", "EventDrainSuccessCount") >= 1,
                   60, "the driving line acknowledged by the broker")

    def test_book_4_2_collect_day_interceptor_and_hdfs_path(self):
        kafka = self.start_broker()
        text = self.localize(conf_text("SmartCar_Agent-CH04-4.2.conf"), kafka)
        spool, _ = self.book_dirs()
        r = self.check(self.write("4.2.conf", text), "SmartCar_Agent")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = self.start_agent(text, "SmartCar_Agent")
        with open(os.path.join(spool, "SmartCarStatusInfo_20160101.txt"), "w") as f:
            f.write(STATUS_LINE + "\n")
        wait_until(lambda: a.counter("SINK.SmartCarInfo_HdfsSink", "EventDrainSuccessCount") >= 1,
                   30, "the status line at the hdfs sink")
        day = time.strftime("%Y%m%d")
        self.assertEqual(a.stop(), 0)
        files = [p for p in glob.glob(self.path("hdfs", "pilot-pjt", "collect", "car-batch-log",
                                               "wrk_date=*", "*")) if os.path.isfile(p)]
        self.assertTrue(files, "no file under the hdfs path")
        body = "".join(open(p).read() for p in files)
        # CollectDayInterceptor appended the collection day: the line has 14 fields.
        self.assertEqual(body.strip(), STATUS_LINE + "," + day)


if __name__ == "__main__":
    unittest.main()
