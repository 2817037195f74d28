"""A real Apache Flume 1.11.0 agent beside flumen in the integration tests.

Flume is a test-only dependency: its jars come from Maven Central through Maven (the pom in
flume_peer/), into ~/.m2 and a classpath file in the cache directory ($FLUMEN_TEST_CACHE, else
~/.cache/flumen-test), never into the repo. The first call resolves them (about 150 jars with
Hadoop's client, ~80 MB with Maven's plugins, a minute) and says on stderr what it is
downloading; later calls read the cached classpath.

API
    flume_classpath() -> str
        The agent's classpath; resolves it through Maven on first use (raises FlumeUnavailable
        with Maven's output if that fails: no java, no mvn, no network).
    free_port(kind=socket.SOCK_STREAM) -> int
        A port free on 127.0.0.1 right now.
    FlumeAgent(workdir, conf_text, agent_name, monitoring_port=None, jvm_opts=None,
               reload_conf=False, env=None, extra_classpath=())
        A Flume agent: the conf is written to workdir/<name>.conf, a log4j2 config sending
        Flume's log to workdir/<name>-flume.log (level INFO; a new agent of the same name in the
        same workdir starts both afresh). monitoring_port=P starts Flume's
        HTTP monitoring (-Dflume.monitoring.type=http -Dflume.monitoring.port=P); pass
        monitoring_port=True to have a free port picked. jvm_opts replaces the test JVM options
        (DEFAULT_JVM_OPTS: a small heap and quick start-up); the bench passes its own.
        extra_classpath: directories or jars put before Flume's (a test's own Java classes).
        Flume's HTTP monitoring has no bind option: it listens on every address, on the free
        port picked here.
        .start()                  java -cp <cp> org.apache.flume.node.Application -f conf -n name
        .wait_started(timeout=60) until Flume has started the configuration it built (and its
                                  monitoring answers, if on); raises with the log if the JVM
                                  exits or the time passes. Returns self.built().
        .built() -> dict          the components Flume started, read from its log:
                                  {"channels": set, "sinks": set, "sources": set,
                                   "sinkgroups": set}  ("sinks" holds sinks Flume runs alone
                                  or in a group; "sinkgroups" the groups' names).
        .counters() -> dict       the monitoring JSON: {"SOURCE.r1": {"EventAcceptedCount": ..}}
        .stop(timeout=60) -> rc   SIGTERM, then wait (Flume's shutdown hook stops components;
                                  the JVM then exits 143, 128 + SIGTERM).
        .exited() -> bool         the JVM has exited (Flume exits on a fatal configuration
                                  error, e.g. a channel class it cannot load).
        .kill()                   SIGKILL, then wait.
        .log_text() -> str        Flume's log so far (plus the JVM's stdout/stderr).
        .pid, .proc, .log_path, .conf_path, .monitoring_port
    Usable as a context manager: `with FlumeAgent(...) as a:` starts it and kills it on exit.
"""
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import json

FLUME_VERSION = "1.11.0"
POM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flume_peer")
CACHE_DIR = os.environ.get("FLUMEN_TEST_CACHE",
                           os.path.join(os.path.expanduser("~"), ".cache", "flumen-test"))

# Test JVMs: a heap well above what a test's memory channel holds, and the client compiler only,
# which starts Flume in about a second less on a 2-core machine. The bench uses its own options.
DEFAULT_JVM_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]


class FlumeUnavailable(RuntimeError):
    """Flume's jars could not be resolved (Maven's output says why)."""


def free_port(kind=socket.SOCK_STREAM):
    # The harness's: drawn below the kernel's ephemeral range, so parallel tests do not collide.
    from flumen_harness import free_port as harness_free_port
    return harness_free_port(kind)


def _say(msg):
    sys.stderr.write("flume_peer: %s\n" % msg)
    sys.stderr.flush()


def _classpath_file():
    with open(os.path.join(POM_DIR, "pom.xml"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return os.path.join(CACHE_DIR, "flume-%s" % FLUME_VERSION, "classpath-%s.txt" % digest)


def _cached(path):
    try:
        with open(path) as f:
            cp = f.read().strip()
    except OSError:
        return None
    jars = cp.split(os.pathsep)
    if cp and all(os.path.isfile(j) for j in jars):
        return cp
    return None


def _resolve(path):
    mvn = shutil.which("mvn")
    if mvn is None or shutil.which("java") is None:
        raise FlumeUnavailable("Apache Flume needs java and mvn on PATH (scripts/setup.sh "
                               "installs them)")
    _say("resolving Apache Flume %s through Maven (first run: ~150 jars, ~80 MB into ~/.m2, "
         "about a minute)..." % FLUME_VERSION)
    tmp = path + ".tmp"
    cmd = [mvn, "-B", "-f", os.path.join(POM_DIR, "pom.xml"), "dependency:build-classpath",
           "-Dmdep.outputFile=" + tmp, "-Dmdep.includeScope=runtime"]
    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    downloaded = 0
    last_report = started
    for line in proc.stdout:
        output.append(line)
        if "Downloaded from" in line:
            downloaded += 1
            now = time.time()
            if now - last_report >= 2.0:  # a line every 2 s, not one per jar
                m = re.search(r"/([^/\s]+\.(?:jar|pom))", line)
                _say("  %d files downloaded (%.0fs), latest %s"
                     % (downloaded, now - started, m.group(1) if m else "?"))
                last_report = now
    rc = proc.wait()
    if rc != 0 or not os.path.isfile(tmp):
        raise FlumeUnavailable("mvn %s failed (rc %s):\n%s"
                               % (" ".join(cmd[1:]), rc, "".join(output[-60:])))
    os.replace(tmp, path)
    _say("Apache Flume %s ready: %d files downloaded in %.0fs; classpath cached in %s"
         % (FLUME_VERSION, downloaded, time.time() - started, path))


def flume_classpath():
    path = _classpath_file()
    cp = _cached(path)
    if cp:
        return cp
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # One resolver at a time: parallel test modules wait for the first instead of racing Maven.
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cp = _cached(path)
        if cp is None:
            _resolve(path)
            cp = _cached(path)
        if cp is None:
            raise FlumeUnavailable("Maven wrote no usable classpath to %s" % path)
        return cp


LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="%s" immediateFlush="true" append="false">
      <PatternLayout pattern="%%d{HH:mm:ss.SSS} %%-5level [%%t] (%%logger{1}) %%msg%%n%%throwable"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
"""

_STARTING = re.compile(r"\(Application\) Starting (Channel|Sink|Source) (\S+)\s*$", re.M)


class FlumeAgent:
    def __init__(self, workdir, conf_text, agent_name, monitoring_port=None, jvm_opts=None,
                 reload_conf=False, env=None, extra_classpath=()):
        self.workdir = workdir
        self.name = agent_name
        self.conf_path = os.path.join(workdir, "%s.conf" % agent_name)
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write(conf_text)
        self.log_path = os.path.join(workdir, "%s-flume.log" % agent_name)
        self.out_path = os.path.join(workdir, "%s-flume.out" % agent_name)
        self.log4j_path = os.path.join(workdir, "%s-log4j2.xml" % agent_name)
        with open(self.log4j_path, "w") as f:
            f.write(LOG4J2_XML % self.log_path)
        if monitoring_port is True:
            monitoring_port = free_port()
        self.monitoring_port = monitoring_port
        self.jvm_opts = list(DEFAULT_JVM_OPTS if jvm_opts is None else jvm_opts)
        self.reload_conf = reload_conf
        self.env = env
        self.extra_classpath = list(extra_classpath)
        self.proc = None
        self.pid = None
        self._out = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()

    def command(self):
        cmd = ["java"] + self.jvm_opts + ["-Dlog4j.configurationFile=" + self.log4j_path]
        if self.monitoring_port:
            cmd += ["-Dflume.monitoring.type=http",
                    "-Dflume.monitoring.port=%d" % self.monitoring_port]
        classpath = os.pathsep.join(self.extra_classpath + [flume_classpath()])
        cmd += ["-cp", classpath, "org.apache.flume.node.Application",
                "-f", self.conf_path, "-n", self.name]
        if not self.reload_conf:
            cmd.append("--no-reload-conf")
        return cmd

    def start(self):
        cmd = self.command()
        full_env = dict(os.environ)
        full_env.update(self.env or {})
        self._out = open(self.out_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT,
                                     cwd=self.workdir, env=full_env)
        self.pid = self.proc.pid
        return self

    def log_text(self):
        parts = []
        for p in (self.log_path, self.out_path):
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    parts.append(f.read())
            except OSError:
                pass
        return "\n".join(x for x in parts if x)

    def _flume_log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def built(self):
        """The components of the last configuration Flume started (from its Application log)."""
        log = self._flume_log()
        at = log.rfind("Starting new configuration:")
        if at < 0:
            return None
        found = {"channels": set(), "sinks": set(), "sources": set(), "sinkgroups": set()}
        runners = set()
        for kind, name in _STARTING.findall(log[at:]):
            if kind == "Channel":
                found["channels"].add(name)
            elif kind == "Source":
                found["sources"].add(name)
            else:
                runners.add(name)
        # A sink runner is named after its sink, or after its group when the sink is in one.
        # Flume logs neither a group's members nor which runners are groups; it does log every
        # sink it creates and, per channel, the sources and sinks connected to it.
        begin = log.rfind("Creating channels", 0, at)
        part = log[max(begin, 0):at]
        created = set(re.findall(r"Creating instance of sink: (\S+?), type", part))
        connected = set()
        for names in re.findall(r"Channel \S+ connected to \[([^\]]*)\]", part):
            connected |= {n.strip() for n in names.split(",") if n.strip()}
        connected_sinks = created & connected
        for r in runners:
            if r in connected_sinks:
                found["sinks"].add(r)
            else:
                found["sinkgroups"].add(r)
        if found["sinkgroups"]:
            # Sinks of a group that Flume removed are connected but run nowhere; the tests that
            # use groups check this against the conf.
            found["sinks"] |= connected_sinks
        return found

    def wait_started(self, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("Flume agent %s exited with %s:\n%s"
                                     % (self.name, self.proc.returncode, self.log_text()[-6000:]))
            log = self._flume_log()
            at = log.rfind("Starting new configuration:")
            if at >= 0 and self._components_up(log[at:]):
                return self.built()
            time.sleep(0.1)
        raise AssertionError("Flume agent %s did not start within %.0fs:\n%s"
                             % (self.name, timeout, self.log_text()[-6000:]))

    def _components_up(self, log):
        started = _STARTING.findall(log)
        if not started:
            # An agent with nothing to run still logs its (empty) configuration.
            return "sourceRunners:{}" in log and "sinkRunners:{}" in log
        # Sources start last; monitoring starts after them.
        if self.monitoring_port:
            try:
                counters = self.counters()
            except (OSError, ValueError):
                return False
            return all(v.get("StartTime", "0") != "0" for v in counters.values())
        return True

    def exited(self):
        return self.proc is not None and self.proc.poll() is not None

    def counters(self):
        url = "http://127.0.0.1:%d/metrics" % self.monitoring_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)

    def counter(self, component, name):
        return int(self.counters()[component][name])

    def stop(self, timeout=60):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._close()

    def kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        if self._out is not None and not self._out.closed:
            self._out.close()
