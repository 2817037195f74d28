"""Apache Flume 1.11.0 as the oracle for flumen's configuration rules.

For every agent of the real confs in flume_confs/ (copies of ../shared/research/flume-confs/),
real Flume is started on the conf (machine-specific paths and hosts moved into the test's
directory, ports made free, nothing else edited) and the sources, channels, sinks and sink groups
it actually starts are read from its log and its monitoring JSON. `flumen check` on the same text
must report the same built set, and drop (its "dropped, as Flume drops them" line) what Flume
drops. Where Flume runs nothing (it removes the whole agent, or exits on a class it cannot load),
or fails a component while building it (its log: "X has been removed due to an error during
configuration"), flumen refuses the agent with an error naming it: that is flumen's documented
rule (docs/guide.md, "How flumen reads a conf's structure"), not a difference.

Flume's test conf (flume-conf.properties) uses made-up types (foo, bar, abc...), which Flume
cannot load either. Its agents run a second time with those types replaced by real ones
(seq / memory / null), so that Flume's structural rules alone decide what it builds, and flumen
must decide the same.

The book's CH04 conf names the book's own interceptor class (CollectDayInterceptor, in a jar the
book ships). The test compiles a stand-in of that class (written here from the book's description:
append ",yyyyMMdd") so Flume builds the source as the book's readers ran it; flumen has it built in.

FlumeRuleProbeTest runs small confs written for this test, one per row of the guide's rule
table, through the same comparison; two deliberate differences are asserted as such.

One Flume JVM at a time (about 2-3 s each on 2 cores; ~20 of them).
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from flume_peer import FlumeAgent, flume_classpath, free_port
from flumen_harness import FLUMEN

CONFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flume_confs")
KINDS = ("sources", "channels", "sinks", "sinkgroups")

# The book's custom interceptor, as a stand-in: its documented behaviour, not its code.
COLLECT_DAY_JAVA = """
package com.wikibook.bigdata.smartcar.flume;

import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.List;
import org.apache.flume.Context;
import org.apache.flume.Event;
import org.apache.flume.interceptor.Interceptor;

public class CollectDayInterceptor implements Interceptor {
  public void initialize() {}
  public void close() {}

  public Event intercept(Event event) {
    String day = new SimpleDateFormat("yyyyMMdd").format(new Date());
    String body = new String(event.getBody(), StandardCharsets.UTF_8);
    event.setBody((body + "," + day).getBytes(StandardCharsets.UTF_8));
    return event;
  }

  public List<Event> intercept(List<Event> events) {
    for (Event e : events) intercept(e);
    return events;
  }

  public static class Builder implements Interceptor.Builder {
    public void configure(Context context) {}
    public Interceptor build() { return new CollectDayInterceptor(); }
  }
}
"""

# Types Flume's test conf makes up, per kind, and the real type each becomes in the typed run.
REAL_TYPE = {"sources": "seq", "channels": "memory", "sinks": "null"}
MADE_UP = {"foo", "bar", "abc", "def"}


def read_conf(name):
    with open(os.path.join(CONFS, name), encoding="utf-8") as f:
        return f.read()


def typed(text):
    """Flume's test conf with its made-up component types replaced by real ones."""
    def repl(m):
        agent, kind, comp, value = m.group(1), m.group(2), m.group(3), m.group(4).strip()
        if value in MADE_UP:
            value = REAL_TYPE[kind]
        return "%s.%s.%s.type = %s" % (agent, kind, comp, value)
    return re.sub(r"^(\w+)\.(sources|channels|sinks)\.(\w+)\.type\s*=(.*)$", repl, text,
                  flags=re.M)


def listed(text, agent):
    """The names each of the agent's lists names (the last value of a key wins, as in Java)."""
    out = {k: set() for k in KINDS}
    for kind in KINDS:
        for m in re.finditer(r"^%s\.%s\s*=(.*)$" % (re.escape(agent), kind), text, re.M):
            out[kind] = set(m.group(1).split())
    return out


def flumen_check(conf_path, agent, env):
    r = subprocess.run([FLUMEN, "check", "-f", conf_path, "-n", agent, "--graph", "dot"],
                       capture_output=True, text=True, timeout=60, env=env)
    built = {k: set() for k in KINDS}
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", agent) + "_"
    for node_id, name in re.findall(r'^\s+(\S+) \[label="((?:[^"\\]|\\.)*?)\\n', r.stdout, re.M):
        for kind in ("sinkgroup", "source", "channel", "sink"):
            if node_id.startswith(prefix + kind + "_"):
                built[kind + "s"].add(name)
                break
    dropped = {k: set() for k in KINDS}
    m = re.search(r"^dropped, as Flume drops them: (.*)$", r.stderr + "\n" + r.stdout, re.M)
    if m:
        for kind, name in re.findall(r"(source|channel|sink group|sink) '([^']+)'", m.group(1)):
            dropped[kind.replace(" ", "") + "s"].add(name)
    return r, built, dropped


class OracleTestCase(unittest.TestCase):
    """Starts Flume and flumen check on one agent's conf text and compares them."""

    @classmethod
    def setUpClass(cls):
        flume_classpath()  # resolves Flume through Maven once, before any timeout starts
        cls.tmp = tempfile.mkdtemp(prefix="flume-oracle-")
        cls.book_classes = os.path.join(cls.tmp, "book-classes")
        src = os.path.join(cls.tmp, "src", "com", "wikibook", "bigdata", "smartcar", "flume")
        os.makedirs(src)
        with open(os.path.join(src, "CollectDayInterceptor.java"), "w") as f:
            f.write(COLLECT_DAY_JAVA)
        subprocess.run(["javac", "-nowarn", "-d", cls.book_classes, "-cp", flume_classpath(),
                        os.path.join(src, "CollectDayInterceptor.java")], check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="flume-oracle-", dir=self.tmp)

    def localize(self, text):
        """The book's machine (/home/pilot-pjt, its HDFS root, its Kafka host) and the netcat
        address move into the test: paths into the test dir, hosts onto 127.0.0.1."""
        home = os.path.join(self.workdir, "home")
        text = text.replace("/home/pilot-pjt", home)
        hdfs_root = os.path.join(self.workdir, "hdfs")
        text = text.replace("= /pilot-pjt/", "= " + hdfs_root + "/pilot-pjt/")
        text = text.replace("server02.hadoop.com:9092", "127.0.0.1:%d" % free_port())
        text = re.sub(r"^(\S+\.bind\s*=\s*)0\.0\.0\.0\s*$", r"\g<1>127.0.0.1", text, flags=re.M)
        for d in ("working/car-batch-log", "working /car-batch-log", "working/driver-realtime-log"):
            os.makedirs(os.path.join(home, d), exist_ok=True)
        open(os.path.join(home, "working/driver-realtime-log/SmartCarDriverInfo.log"), "w").close()
        return text

    def run_flume(self, text, agent, env):
        """What Flume does with the agent: ("runs", built components), ("fails components",
        ["Sink k1", ...] it removed with an ERROR) or ("runs nothing", why)."""
        run_dir = tempfile.mkdtemp(prefix="flume-", dir=self.workdir)
        a = FlumeAgent(run_dir, text, agent, monitoring_port=True, env=env,
                       extra_classpath=[self.book_classes])
        self.addCleanup(a.kill)
        a.start()
        try:
            built = a.wait_started(60)
        except AssertionError:
            if not a.exited():
                raise
            m = re.search(r"A fatal error occurred while running.*\n(.*)", a.log_text())
            return "runs nothing", "Flume exited: %s" % (m.group(1) if m else a.log_text()[-2000:])
        log = a.log_text()
        failed = re.findall(r"\(AbstractConfigurationProvider\) (Source|Sink|SinkGroup|Channel) "
                            r"(\S+) has been removed due to an error", log)
        if failed:
            return "fails components", ["%s %s" % f for f in failed]
        if not any(built.values()):
            return "runs nothing", "Flume starts an empty configuration:\n" + "\n".join(
                l for l in log.splitlines() if "WARN" in l and agent in l)
        # The monitoring JSON is the second witness: every component with counters is built.
        for key in a.counters():
            kind, name = key.split(".", 1)
            self.assertIn(name, built[{"SOURCE": "sources", "CHANNEL": "channels",
                                       "SINK": "sinks"}[kind]], "%s counted but not started" % key)
        a.kill()  # nothing to keep: SIGKILL saves the shutdown hook's second
        return "runs", built

    def check_agent(self, conf_name, agent, transform=None, text=None):
        if text is None:
            text = read_conf(conf_name)
        if transform:
            text = transform(text)
        text = self.localize(text)
        env = dict(os.environ, NC_PORT=str(free_port()))
        conf_path = os.path.join(self.workdir, "flumen-%s.conf" % agent)
        with open(conf_path, "w", encoding="utf-8") as f:
            f.write(text)
        outcome, flume = self.run_flume(text, agent, env)
        r, built, dropped = flumen_check(conf_path, agent, env)
        report = "\nFlume: %s %s\nflumen check (rc %d):\n%s" % (outcome, flume, r.returncode,
                                                                r.stderr)
        if outcome == "fails components":
            # Flume runs the rest; flumen refuses the agent, naming each such component.
            self.assertEqual(r.returncode, 1, "Flume fails %s; flumen must refuse" % flume + report)
            for f in flume:
                kind, name = f.split(" ", 1)
                word = {"SinkGroup": "sink group"}.get(kind, kind.lower())
                key = "%s.%s.%s." % (agent, {"SinkGroup": "sinkgroups"}.get(kind, word + "s"),
                                     name)
                # The error names the component, or one of its keys (an interceptor's type).
                self.assertRegex(r.stderr, r"error: .*(%s '%s'|%s)" % (
                    word, re.escape(name), re.escape(key)), report)
            return outcome, flume, r
        if outcome == "runs nothing":
            self.assertEqual(r.returncode, 1, "Flume runs nothing; flumen must refuse" + report)
            self.assertIn("error:", r.stderr, report)
            return outcome, flume, r
        self.assertEqual(r.returncode, 0, "Flume runs this agent; flumen must accept it" + report)
        self.assertEqual(built, flume, "flumen builds other components than Flume" + report)
        expected_drops = {k: listed(text, agent)[k] - flume[k] for k in KINDS}
        self.assertEqual(dropped, expected_drops, "flumen drops other components" + report)
        return outcome, flume, r


class FlumeOracleTest(OracleTestCase):
    # --- the confs as written -------------------------------------------------------------

    def test_flume_test_conf_host1(self):
        _, built, _ = self.check_agent("flume-conf.properties", "host1")
        self.assertEqual(built["sources"], {"source1"})

    def test_flume_test_conf_host2_to_host5_run_nothing_in_flume_and_are_refused(self):
        for agent, why in (("host2", "does not contain any channels"),
                           ("host3", "does not contain any valid channels"),
                           ("host4", "has no sources or sinks"),
                           ("host5", "Unable to load channel type: abc")):
            with self.subTest(agent=agent):
                outcome, flume, r = self.check_agent("flume-conf.properties", agent)
                self.assertEqual(outcome, "runs nothing")
                self.assertIn(why, flume)

    def test_env_lookup_conf(self):
        _, built, r = self.check_agent("flume-conf-with-envLookup.properties", "a1")
        self.assertEqual(built["sinks"], {"k1"})

    def test_book_3_3_drops_the_components_it_lists_but_never_configures(self):
        _, built, _ = self.check_agent("SmartCar_Agent-CH03-3.3.conf", "SmartCar_Agent")
        self.assertEqual(built["channels"], {"SmartCarInfo_Channel"})

    def test_book_3_4(self):
        _, built, _ = self.check_agent("SmartCar_Agent-CH03-3.4.conf", "SmartCar_Agent")
        self.assertEqual(len(built["sinks"]), 2)

    def test_book_4_2_with_the_books_interceptor_class(self):
        _, built, _ = self.check_agent("SmartCar_Agent-CH04-4.2.conf", "SmartCar_Agent")
        self.assertIn("SmartCarInfo_SpoolSource", built["sources"])
        self.assertIn("SmartCarInfo_HdfsSink", built["sinks"])

    # --- Flume's test conf with real types: its structural rules alone decide -------------

    def test_flume_test_conf_with_real_types(self):
        for agent in ("host2", "host3", "host4"):
            with self.subTest(agent=agent):
                self.check_agent("flume-conf.properties", agent, transform=typed)

    def test_flume_test_conf_host5_with_real_types_fails_its_sink_group(self):
        # sg1 names policy.type, not processor.type: Flume builds no processor, removes sg1
        # and its sinks (sink1, sink2; sink3 is not configured) and runs src1 into ch1 alone.
        outcome, failed, r = self.check_agent("flume-conf.properties", "host5", transform=typed)
        self.assertEqual((outcome, failed), ("fails components", ["SinkGroup sg1"]))
        self.assertIn("has no processor.type", r.stderr)


# Probes of the rule table in docs/guide.md ("How flumen reads a conf's structure"), written for
# this test: one agent with every deviation Flume tolerates, then one agent per rule that makes
# Flume fail a component while building it.
TOLERATED = """
t.sources = r1 r2 r3 r4 r1
t.channels = c1 c2 c3 c4
t.sinks = k1 k2 k3 k4 k5 k6 g1 k7
t.sinkgroups = g1 g2 g3 g4
t.sourcez = x
t.sources.r1.type = seq
t.sources.r1.channels = c1 c9
t.sources.r2.type = seq
t.sources.r3.type = seq
t.sources.r3.channels = c3
t.sources.r4.channels = c1
t.sources.r5.type = seq
t.sources.r5.channels = c1
t.channels.c1.type = memory
t.channels.c2.type = memory
t.channels.c4.capacity = 10
t.sinks.k1.type = null
t.sinks.k1.channel = c1
t.sinks.k2.type = null
t.sinks.k2.channel = c1
t.sinks.k3.type = null
t.sinks.k3.channels = c1
t.sinks.k4.channel = c1
t.sinks.k5.type = null
t.sinks.k5.channel = c9
t.sinks.k6.type = null
t.sinks.k6.channel = c1
t.sinks.k6.batchSize =
t.sinks.k7.type = null
t.sinks.k7.channel = c1
t.sinks.k7.type = logger
t.sinks.k8.type = null
t.sinks.k8.channel = c1
t.sinkgroups.g1.sinks = k1 k2 k3
t.sinkgroups.g1.processor.type = failover
t.sinkgroups.g2.sinks = k2
t.sinkgroups.g2.processor.type = failover
t.sinkgroups.g3.sinks = k9
t.sinkgroups.g3.processor.type = failover
t.sinkgroups.g4.sinks = k6 k7
t.sinkgroups.g4.processor.type = load_balance
"""

BASE = """
f.sources = r1
f.channels = c1
f.sinks = k1
f.sources.r1.type = seq
f.sources.r1.channels = c1
f.channels.c1.type = memory
f.sinks.k1.type = null
f.sinks.k1.channel = c1
"""
FAILING = {
    "a value that does not parse": BASE + "f.sources.r1.batchSize = lots\n",
    "a batch above transactionCapacity": (
        BASE + "f.channels.c1.transactionCapacity = 10\nf.sinks.k1.batchSize = 50\n"),
    "an interceptor without a type": (
        BASE + "f.sources.r1.interceptors = i1\nf.sources.r1.interceptors.i1.preserveExisting = "
               "true\n"),
    "a one-sink group without processor.type": (
        BASE + "f.sinkgroups = g1\nf.sinkgroups.g1.sinks = k1\n"),
    "a load_balance group left with one sink": (
        BASE + "f.sinks = k1 k2\nf.sinks.k2.channel = c1\nf.sinkgroups = g1\n"
               "f.sinkgroups.g1.sinks = k1 k2\nf.sinkgroups.g1.processor.type = load_balance\n"),
    "a multiplexing selector mapping to a channel the source does not have": (
        BASE + "f.channels = c1 c2\nf.channels.c2.type = memory\n"
               "f.sources.r1.selector.type = multiplexing\nf.sources.r1.selector.header = h\n"
               "f.sources.r1.selector.mapping.x = c2\nf.sources.r1.selector.default = c1\n"),
    "an unknown selector type": BASE + "f.sources.r1.selector.type = nosuch\n",
    "an unknown processor type": (
        BASE + "f.sinkgroups = g1\nf.sinkgroups.g1.sinks = k1\n"
               "f.sinkgroups.g1.processor.type = nosuch\n"),
    "a source batch above transactionCapacity": (
        BASE + "f.channels.c1.transactionCapacity = 10\nf.sources.r1.batchSize = 50\n"),
    "a sink group without a sinks key (Flume exits)": (
        BASE + "f.sinkgroups = g1\nf.sinkgroups.g1.processor.type = failover\n"),
}


class FlumeRuleProbeTest(OracleTestCase):
    def test_every_tolerated_deviation_in_one_agent(self):
        _, built, r = self.check_agent(None, "t", text=TOLERATED)
        self.assertEqual(built["sinkgroups"], {"g1", "g4"})
        self.assertEqual(built["sinks"], {"k1", "k2", "k6", "k7"})

    def test_each_rule_that_fails_a_component_in_flume_is_an_error(self):
        for rule, text in FAILING.items():
            with self.subTest(rule=rule):
                # check_agent asserts flumen's error names each component Flume failed.
                outcome, flume, r = self.check_agent(None, "f", text=text)
                self.assertIn(outcome, ("fails components", "runs nothing"), flume)

    def run_both(self, text, agent):
        text = self.localize(text)
        outcome, flume = self.run_flume(text, agent, dict(os.environ))
        conf_path = os.path.join(self.workdir, "probe.conf")
        with open(conf_path, "w") as f:
            f.write(text)
        r, _, _ = flumen_check(conf_path, agent, dict(os.environ))
        return outcome, flume, r

    def test_a_capacity_that_does_not_parse_flume_defaults_flumen_refuses(self):
        # A deliberate difference (docs/guide.md): MemoryChannel catches the
        # NumberFormatException and runs with capacity 100 after a WARN; flumen refuses the
        # typo rather than run a channel of another size than the one written.
        outcome, flume, r = self.run_both(BASE + "f.channels.c1.capacity = lots\n", "f")
        self.assertEqual(outcome, "runs")
        self.assertEqual(flume["channels"], {"c1"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("f.channels.c1.capacity: expected an integer, got 'lots'", r.stderr)

    def test_another_agents_group_without_sinks_stops_flume_and_flumen_warns(self):
        # FlumeConfiguration validates every agent of the file; agent g's group stops Flume
        # when it is asked to run f. flumen runs f and warns (an error with --strict).
        text = BASE + ("g.channels = c1\ng.channels.c1.type = memory\ng.sinkgroups = g1\n"
                       "g.sinkgroups.g1.processor.type = failover\n")
        outcome, flume, r = self.run_both(text, "f")
        self.assertEqual(outcome, "runs nothing")
        self.assertIn("NullPointerException", flume)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: agent 'g' has sink group 'g1' without sinks: Flume 1.11 exits",
                      r.stderr)

    def test_two_failover_sinks_with_one_priority_flume_ignores_one_flumen_refuses(self):
        # A deliberate difference (docs/guide.md): Flume's FailoverSinkProcessor keeps one of
        # the two sinks and never uses the other, silently.
        text = BASE + ("f.sinks = k1 k2\nf.sinks.k2.type = null\nf.sinks.k2.channel = c1\n"
                       "f.sinkgroups = g1\nf.sinkgroups.g1.sinks = k1 k2\n"
                       "f.sinkgroups.g1.processor.type = failover\n"
                       "f.sinkgroups.g1.processor.priority.k1 = 5\n"
                       "f.sinkgroups.g1.processor.priority.k2 = 5\n")
        outcome, flume, r = self.run_both(text, "f")
        self.assertEqual(outcome, "runs")
        self.assertEqual(flume["sinkgroups"], {"g1"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("have the same priority 5", r.stderr)


if __name__ == "__main__":
    unittest.main()
