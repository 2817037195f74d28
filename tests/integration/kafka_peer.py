"""Apache Kafka as a real peer in the tests: a KRaft cluster of N nodes (each broker and
controller at once) on 127.0.0.1, on ports chosen free at run time.

Kafka is a test-only dependency: the pom in kafka_peer/ names it, Maven fetches it with its
runtime dependencies into ~/.m2 on first use, and the resolved classpath is kept in the test
cache ($FLUMEN_TEST_CACHE, default ~/.cache/flumen-test). Nothing is vendored into the repo.

Starting JVMs is slow on a 2-core machine (about 10 s per node), so a test module starts one
cluster in setUpModule / setUpClass and shares it between its tests.

    cluster = KafkaCluster(3).start()     # format storage, start, wait until every node is in
    cluster.bootstrap                     # "127.0.0.1:p1,127.0.0.1:p2,..."
    cluster.kill(node_id); cluster.restart(node_id)   # kill -9, then the same node again
    cluster.metadata(["topic"])           # brokers, and per partition leader / replicas / isr
    cluster.stop()                        # kills every node and removes the data
"""
import base64
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from kafka_wire import Reader, kstr

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("FLUMEN_TEST_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "flumen-test")
KAFKA_POM_DIR = os.path.join(HERE, "kafka_peer")


def say(message):
    """Progress on the terminal (stderr, unbuffered) so a long first fetch is not silent."""
    sys.stderr.write("[kafka_peer] %s\n" % message)
    sys.stderr.flush()


# "Downloaded from central: https://.../kafka_2.13-4.1.1.jar (6.3 MB at 2.1 MB/s)"
DOWNLOADED = re.compile(r"Downloaded from [^:]+: (\S+) \(([^)]*?)(?: at [^)]*)?\)")


def maven_classpath(pom_dir, label, extra_goals=(), extra_args=()):
    """The runtime classpath of the Maven project in pom_dir, resolved once and cached by the
    pom's content. The first run downloads from Maven Central and prints each artifact it
    fetches; later runs read the cached file (and refetch if a jar has gone from ~/.m2)."""
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(pom_dir, "pom.xml"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    cp_file = os.path.join(CACHE, "%s-%s.classpath" % (label, digest))
    if os.path.exists(cp_file):
        with open(cp_file) as f:
            cp = f.read().strip()
        if cp and all(os.path.exists(p) for p in cp.split(os.pathsep)):
            return cp
    say("resolving %s through Maven (pom %s); the first run downloads from Maven Central "
        "into ~/.m2 and can take a minute or two" % (label, os.path.join(pom_dir, "pom.xml")))
    started = time.time()
    argv = ["mvn", "-B", "-f", os.path.join(pom_dir, "pom.xml")] + list(extra_args) + \
        list(extra_goals) + ["dependency:build-classpath",
                             "-Dmdep.outputFile=" + cp_file + ".tmp", "-Dmdep.includeScope=runtime"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = []
    fetched = 0
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-60:]
        m = DOWNLOADED.search(line)
        if m:
            # Every jar by name and size; poms and plugin metadata only as a running count.
            fetched += 1
            name = m.group(1).rsplit("/", 1)[-1]
            if name.endswith(".jar"):
                say("  fetched %s (%s; %d files so far)" % (name, m.group(2), fetched))
        elif "[ERROR]" in line:
            say("  " + line.rstrip())
    proc.stdout.close()
    if proc.wait() != 0:
        raise RuntimeError("mvn failed for %s (rc %d):\n%s" % (label, proc.returncode,
                                                             "\n".join(tail)))
    os.replace(cp_file + ".tmp", cp_file)
    say("%s resolved in %.0f s (%d files fetched)" % (label, time.time() - started, fetched))
    with open(cp_file) as f:
        return f.read().strip()


class _CacheLock:
    """An exclusive lock on the test cache, so that test modules run in parallel (ctest -j)
    do not run Maven into the same files at once; the second waits and finds them built."""

    def __enter__(self):
        os.makedirs(CACHE, exist_ok=True)
        self.f = open(os.path.join(CACHE, ".lock"), "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def kafka_classpath():
    with _CacheLock():
        return maven_classpath(KAFKA_POM_DIR, "kafka-peer")


JAVA_CLIENT_DIR = os.path.join(HERE, "java_client")


def java_client_command():
    """The argv prefix that runs the Java check program (java_client/, on kafka-clients),
    built with Maven into the test cache on first use and again whenever its sources change."""
    with _CacheLock():
        return _java_client_command()


def _java_client_command():
    digest = hashlib.sha256()
    for root, _dirs, files in sorted(os.walk(JAVA_CLIENT_DIR)):
        for name in sorted(files):
            if name == "pom.xml" or name.endswith(".java"):
                with open(os.path.join(root, name), "rb") as f:
                    digest.update(name.encode() + b"\0" + f.read())
    build_dir = os.path.join(CACHE, "java-client-" + digest.hexdigest()[:12])
    classes = os.path.join(build_dir, "classes")
    label = "java-client-" + digest.hexdigest()[:12]
    if not os.path.exists(os.path.join(classes, "flumen", "test", "Client.class")):
        shutil.rmtree(build_dir, ignore_errors=True)
        # Forget a cached classpath too, so compile runs in the same Maven call.
        for name in os.listdir(CACHE) if os.path.isdir(CACHE) else []:
            if name.startswith(label):
                os.remove(os.path.join(CACHE, name))
    cp = maven_classpath(JAVA_CLIENT_DIR, label, extra_goals=["compile"],
                         extra_args=["-Dflumen.build.dir=" + build_dir])
    if not os.path.exists(os.path.join(classes, "flumen", "test", "Client.class")):
        raise RuntimeError("the Java client did not build into " + classes)
    return ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.logFile=System.err",
            "-cp", classes + os.pathsep + cp, "flumen.test.Client"]


def _free_ports(n):
    # The harness's ports (below the kernel's ephemeral range: a JVM that takes seconds to bind
    # them does not meet another test's port-0 sockets there), n distinct ones.
    from flumen_harness import free_port
    ports = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


def random_cluster_id():
    """What `kafka-storage random-uuid` prints (a URL-safe base64 of 16 random bytes), made
    here to save a JVM start."""
    while True:
        # Not starting with "-": the tools' argument parser would take it for an option (Kafka's
        # Uuid.randomUuid() rejects those too).
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


# Test-friendly timings: a killed node is fenced, and leaves the ISR, within ~3 s instead of the
# defaults' 9-30 s; group joins do not wait 3 s for more members; internal topics are small.
BASE_CONFIG = {
    "group.initial.rebalance.delay.ms": "0",
    "offsets.topic.num.partitions": "5",
    "transaction.state.log.num.partitions": "5",
    "broker.session.timeout.ms": "3000",
    "broker.heartbeat.interval.ms": "500",
    "replica.lag.time.max.ms": "5000",
    "controller.quorum.fetch.timeout.ms": "2000",
    "controller.quorum.election.timeout.ms": "1000",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.replica.fetchers": "1",
    "background.threads": "2",
    "log.cleaner.enable": "false",
    "auto.create.topics.enable": "true",
}

# The JVM options for tests: a small heap, the serial collector and C1 only start fastest and
# spend least CPU on a 2-core machine. The benchmark passes Kafka's own options instead.
TEST_JVM_OPTS = ["-Xms256m", "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-Xss512k", "-Djava.awt.headless=true"]
KAFKA_JVM_OPTS = ["-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                  "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
                  "-Djava.awt.headless=true"]

LOG4J2 = """Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Logger:
      - name: kafka
        level: INFO
      - name: org.apache.kafka
        level: INFO
      - name: state.change.logger
        level: WARN
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
"""


class KafkaNode:
    def __init__(self, cluster, node_id, port, controller_port):
        self.cluster = cluster
        self.node_id = node_id
        self.port = port
        self.controller_port = controller_port
        self.dir = os.path.join(cluster.workdir, "node-%d" % node_id)
        self.data = os.path.join(self.dir, "data")
        self.conf = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        self.starts = 0

    def write_config(self, voters, overrides):
        os.makedirs(self.dir, exist_ok=True)
        rf = str(min(3, self.cluster.size))
        config = dict(BASE_CONFIG)
        config.update({
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": voters,
            "listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d"
                         % (self.port, self.controller_port),
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % self.port,
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": self.data,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": str(min(2, self.cluster.size)),
            "default.replication.factor": "1",
        })
        config.update(overrides or {})
        with open(self.conf, "w") as f:
            for k, v in sorted(config.items()):
                f.write("%s=%s\n" % (k, v))

    def format_command(self, cluster_id):
        return self.cluster.java("kafka.tools.StorageTool", "format", "--cluster-id=" + cluster_id,
                                 "--config=" + self.conf, "--ignore-formatted")

    def start(self):
        self.starts += 1
        log = open(self.log_path, "a")
        log.write("==== start %d ====\n" % self.starts)
        log.flush()
        self.proc = subprocess.Popen(self.cluster.java("kafka.Kafka", self.conf),
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        with open(self.cluster.pid_file, "a") as f:
            f.write("%d\n" % self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


class KafkaCluster:
    def __init__(self, size=1, workdir=None, config=None, jvm_opts=None):
        self.size = size
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="flumen-kafka-")
        self.overrides = config or {}
        self.jvm_opts = list(jvm_opts or TEST_JVM_OPTS)
        self.classpath = None
        ports = _free_ports(2 * size)
        self.nodes = [KafkaNode(self, i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(size)]
        self.log4j = os.path.join(self.workdir, "log4j2.yaml")
        self.pid_file = os.path.join(self.workdir, "pids")
        self.watchdog = None

    # -- lifecycle --------------------------------------------------------------------------
    def java(self, main, *args):
        return ["java"] + self.jvm_opts + ["-Dlog4j2.configurationFile=" + self.log4j,
                                           "-cp", self.classpath, main] + list(args)

    def start(self, timeout=120):
        self.classpath = kafka_classpath()
        self._start_watchdog()
        with open(self.log4j, "w") as f:
            f.write(LOG4J2)
        voters = ",".join("%d@127.0.0.1:%d" % (n.node_id, n.controller_port) for n in self.nodes)
        for n in self.nodes:
            n.write_config(voters, self.overrides)
        started = time.time()
        cluster_id = random_cluster_id()
        say("formatting %d KRaft node(s) in %s" % (self.size, self.workdir))
        try:
            # One JVM per node for the format step, all at once.
            fmts = [subprocess.Popen(n.format_command(cluster_id), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True) for n in self.nodes]
            for n, p in zip(self.nodes, fmts):
                out = p.communicate(timeout=timeout)[0]
                if p.returncode != 0:
                    raise RuntimeError("kafka-storage format failed for node %d:\n%s"
                                       % (n.node_id, out))
            say("starting %d Kafka node(s) on ports %s" % (
                self.size, ", ".join(str(n.port) for n in self.nodes)))
            for n in self.nodes:
                n.start()
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        say("Kafka cluster ready in %.0f s: %s" % (time.time() - started, self.bootstrap))
        return self

    def stop(self):
        # The data is thrown away, so there is nothing for a controlled shutdown to protect.
        for n in self.nodes:
            n.kill()
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.kill()
            self.watchdog.wait()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _start_watchdog(self):
        """A small process that kills the nodes (by the pids in pid_file) and removes the data
        if this process dies without stop(), e.g. killed by ctest's timeout: the JVMs run in
        sessions of their own and would otherwise outlive it, holding ports, disk and CPU."""
        if self.watchdog is not None:
            return
        script = (
            "import os, shutil, signal, sys, time\n"
            "parent, pid_file, workdir, own = int(sys.argv[1]), sys.argv[2], sys.argv[3], "
            "sys.argv[4] == '1'\n"
            "while os.getppid() == parent:\n"
            "    time.sleep(1)\n"
            "try:\n"
            "    pids = [int(p) for p in open(pid_file).read().split()]\n"
            "except OSError:\n"
            "    pids = []\n"
            "for p in pids:\n"
            "    try:\n"
            "        os.kill(p, signal.SIGKILL)\n"
            "    except OSError:\n"
            "        pass\n"
            "if own:\n"
            "    shutil.rmtree(workdir, ignore_errors=True)\n")
        self.watchdog = subprocess.Popen(
            [sys.executable, "-c", script, str(os.getpid()), self.pid_file, self.workdir,
             "1" if self.own_workdir else "0"], start_new_session=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % n.port for n in self.nodes)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def kill(self, node_id):
        """kill -9 of one node (its broker and its controller)."""
        self.node(node_id).kill()

    def restart(self, node_id, timeout=90):
        n = self.node(node_id)
        n.kill()
        n.start()
        self.wait_ready([n], timeout=timeout)

    def wait_ready(self, nodes=None, timeout=90):
        """Until every given node answers Metadata listing the whole cluster: each broker is
        registered and unfenced, and the node answering has caught up with that."""
        nodes = nodes or self.nodes
        deadline = time.time() + timeout
        want = {n.node_id for n in self.nodes if n.alive()}
        pending = list(nodes)
        last = None
        while pending and time.time() < deadline:
            for n in list(pending):
                if not n.alive():
                    raise RuntimeError("Kafka node %d exited with %s:\n%s"
                                       % (n.node_id, n.proc.returncode, n.log_tail()))
                try:
                    meta = metadata(("127.0.0.1", n.port), [], timeout=2)
                    last = meta
                    if set(meta["brokers"]) >= want:
                        pending.remove(n)
                except (OSError, struct.error, ValueError) as e:
                    last = e
            if pending:
                time.sleep(0.2)
        if pending:
            raise RuntimeError("Kafka node(s) %s not ready after %.0f s (last: %r):\n%s" % (
                [n.node_id for n in pending], timeout, last, pending[0].log_tail()))

    # -- metadata ---------------------------------------------------------------------------
    def metadata(self, topics=None):
        """Metadata from the first live node that answers."""
        last = None
        for n in self.nodes:
            if not n.alive():
                continue
            try:
                return metadata(("127.0.0.1", n.port), topics)
            except (OSError, struct.error, ValueError) as e:
                last = e
        raise RuntimeError("no Kafka node answers Metadata: %r" % last)

    def partition(self, topic, partition=0):
        return self.metadata([topic])["topics"][topic]["partitions"][partition]

    def wait_isr(self, topic, size, timeout=60):
        """Until every partition of the topic has a leader and `size` replicas in sync."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                t = self.metadata([topic])["topics"].get(topic)
                last = t
                if t and t["error"] == 0 and t["partitions"] and all(
                        p["leader"] >= 0 and len(p["isr"]) >= size
                        for p in t["partitions"].values()):
                    return t
            except RuntimeError as e:
                last = e
            time.sleep(0.2)
        raise RuntimeError("topic %s has no %d in-sync replicas after %.0f s: %r"
                           % (topic, size, timeout, last))


# -- a minimal Metadata v4 client ---------------------------------------------------------
# Kafka 4 serves Metadata v4 and later only; v4 is the last version before the flexible
# encoding, small enough to write here, and flumen's broker serves it too. Request:
# header (api_key, api_version, correlation_id, client_id) + topics (nullable array of string)
# + allow_auto_topic_creation. Response: throttle_time_ms, brokers [node_id, host, port, rack],
# cluster_id, controller_id, topics [error, name, is_internal,
# partitions [error, index, leader, replicas [int32], isr [int32]]].

def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


def metadata(addr, topics=None, timeout=5):
    """Metadata v4 from one broker. topics=None asks for every topic, [] for none."""
    body = struct.pack(">hhi", 3, 4, 1) + kstr("flumen-test")
    if topics is None:
        body += struct.pack(">i", -1)
    else:
        body += struct.pack(">i", len(topics)) + b"".join(kstr(t) for t in topics)
    body += b"\x00"  # allow_auto_topic_creation = false
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        r = Reader(_recv_exact(s, size))
    r.take(">i")  # correlation id
    r.take(">i")  # throttle
    brokers = {}
    for _ in range(r.take(">i")):
        node, host, port, _rack = r.take(">i"), r.string(), r.take(">i"), r.string()
        brokers[node] = (host, port)
    cluster_id = r.string()
    controller = r.take(">i")
    out_topics = {}
    for _ in range(r.take(">i")):
        error, name, _internal = r.take(">h"), r.string(), r.take(">?")
        parts = {}
        for _ in range(r.take(">i")):
            perr, index, leader = r.take(">h"), r.take(">i"), r.take(">i")
            replicas, isr = r.ints(), r.ints()
            parts[index] = {"error": perr, "leader": leader, "replicas": replicas, "isr": isr}
        out_topics[name] = {"error": error, "partitions": parts}
    return {"brokers": brokers, "cluster_id": cluster_id, "controller": controller,
            "topics": out_topics}


_shared = {}
_shared_lock = threading.Lock()


def shared_cluster(size):
    """One cluster of the given size per process (a test module runs in its own process under
    ctest), stopped at exit. Tests that change the cluster (kill, restart) leave it whole."""
    import atexit
    with _shared_lock:
        c = _shared.get(size)
        if c is None:
            c = KafkaCluster(size).start()
            _shared[size] = c
            atexit.register(c.stop)
        return c


if __name__ == "__main__":
    # `python3 kafka_peer.py [N]`: start a cluster, print its bootstrap, wait for Ctrl-C.
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with KafkaCluster(size) as cluster:
        print(cluster.bootstrap, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
