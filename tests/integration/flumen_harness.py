"""Shared helpers for flumen's integration tests: real agents on 127.0.0.1, ports chosen free at
run time, a temporary directory per test, and processes that are always cleaned up."""
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

SOURCE_DIR = os.environ.get(
    "FLUMEN_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FLUMEN = os.environ.get("FLUMEN_BIN", os.path.join(SOURCE_DIR, "build", "flumen"))


def free_port(kind=socket.SOCK_STREAM):
    """A port free on 127.0.0.1 now, drawn at random below the kernel's ephemeral range: a port
    the kernel hands out itself (bind to 0, an outgoing connection's local port) can be handed
    to another process of a parallel test before the agent binds it; these are not."""
    low, high = 20000, 32767
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
        high = min(high, ephemeral_low - 1)
        low = min(low, high - 1000)
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200):
        port = random.randint(low, high)
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(predicate, timeout=20.0, what="condition"):
    """Polls predicate until it is truthy or the deadline passes (then fails loudly)."""
    deadline = time.time() + timeout
    last_error = None
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(0.02)
    raise AssertionError("timed out after %.0fs waiting for %s (last error: %r)"
                         % (timeout, what, last_error))


def read_lines(directory):
    """Every line of every file in a directory (file_roll output), in file-name order."""
    lines = []
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                lines.extend(f.read().decode("utf-8", "replace").splitlines())
    return lines


class Agent:
    """A flumen agent process started from a conf text."""

    def __init__(self, workdir, conf, name="a1", args=(), env=None, wait_ready=True):
        self.workdir = workdir
        self.name = name
        self.conf_path = os.path.join(workdir, "%s-%d.conf" % (name, id(self)))
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.metrics_port = free_port()
        self.log_path = os.path.join(workdir, "%s-%d.log" % (name, id(self)))
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [FLUMEN, "agent", "-f", self.conf_path, "-n", name, "--metrics-port",
             str(self.metrics_port)] + list(args),
            stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        if wait_ready:
            wait_until(self._ready, 20, "agent %s to start (log: %s)" % (name, self.log_text()))

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("agent exited with %s:\n%s" % (self.proc.returncode, self.log_text()))
        # The metrics endpoint answers before the pipeline starts: ready means every source
        # and sink reports a start time.
        m = self.metrics()
        parts = [v for k, v in m.items() if k.startswith(("SOURCE.", "SINK."))]
        return bool(parts) and all(v.get("StartTime", "0") != "0" for v in parts)

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)

    def counter(self, component, name):
        return int(self.metrics()[component][name])

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.log.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()


class NetcatClient:
    """A line client for the netcat source: sends lines, reads the "OK" answers."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = self.sock.makefile("rb")

    def send_lines(self, lines, expect_ok=True, chunk=500):
        for i in range(0, len(lines), chunk):
            part = lines[i:i + chunk]
            self.sock.sendall("".join(l + "\n" for l in part).encode())
            if expect_ok:
                for _ in part:
                    answer = self.reader.readline()
                    if answer != b"OK\n":
                        raise AssertionError("expected OK, got %r" % answer)

    def readline(self):
        return self.reader.readline()

    def close(self):
        self.reader.close()
        self.sock.close()


class AgentTestCase(unittest.TestCase):
    """Gives each test a temp dir and stops every agent it started, whatever happens."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="flumen-it-")
        self.agents = []

    def tearDown(self):
        # An agent that ended before the test stopped it (a crash leaves no line in its log)
        # is named with its exit status when the test failed.
        ended = {id(a): a.proc.poll() for a in self.agents}
        for a in self.agents:
            a.kill()
        if self._outcome_ok():
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            for a in self.agents:
                with open(a.log_path) as f:
                    text = f.read()[-4000:]
                rc = ended[id(a)]
                status = "still running" if rc is None else "had exited with status %d%s" % (
                    rc, " (signal %d)" % -rc if rc < 0 else "")
                print("---- agent log %s (%s) ----\n%s" % (a.log_path, status, text))
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _outcome_ok(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return True
        errors = getattr(outcome, "errors", None)
        if errors is None:  # Python >= 3.11
            result = getattr(outcome, "result", None)
            return not (result and (result.failures or result.errors))
        return all(e[1] is None for e in errors)

    def start_agent(self, conf, name="a1", **kw):
        agent = Agent(self.workdir, conf, name, **kw)
        self.agents.append(agent)
        return agent

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def run_flumen(self, *args, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run([FLUMEN] + list(args), capture_output=True, text=True, timeout=60,
                              env=full_env)
