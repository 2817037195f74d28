"""File channel durability with real processes: kill -9 in a loop while a source puts and a sink
takes, then a disk that fills up and frees again."""
import collections
import os
import random
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

from flumen_harness import AgentTestCase, free_port, read_lines, wait_until

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.batchSize = 50
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {data}
a1.channels.c1.checkpointDir = {data}/checkpoint-unused
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.minimumRequiredSpace = {min_space}
a1.channels.c1.rocksdb.writeBufferSizeMB = 1
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = {sink_batch}
"""


class LineReader:
    """Reads lines from a socket with a per-call timeout that leaves the socket usable."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self, timeout):
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no line within %.0fs" % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data = self.sock.recv(65536)
                if not data:
                    raise OSError("connection closed")
                self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"


class AckingSender:
    """Sends numbered lines, one connection per agent life; remembers which were acknowledged.
    Lines sent but not acknowledged when the agent dies are sent again to the next agent."""

    def __init__(self):
        self.acked = set()
        self.next = 0
        self.pending = []

    def run_until_dead(self, port, stop_event):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            return
        f = s.makefile("rb")
        try:
            while not stop_event.is_set():
                if not self.pending:
                    self.pending = ["line-%07d" % (self.next + i) for i in range(50)]
                    self.next += 50
                s.sendall("".join(l + "\n" for l in self.pending).encode())
                for line in list(self.pending):
                    if f.readline() != b"OK\n":
                        return
                    self.acked.add(line)
                    self.pending.remove(line)
        except OSError:
            pass
        finally:
            s.close()


class FileChannelDurabilityTest(AgentTestCase):
    def conf(self, port, min_space=1048576, sink_batch=100, data=None, out=None):
        return CONF.format(port=port, data=data or self.path("data"), out=out or self.path("out"),
                           min_space=min_space, sink_batch=sink_batch)

    def test_repair_channel_refuses_what_is_not_a_channel_and_repairs_one(self):
        # A directory of other files, an empty one, a missing one: refused, left as they were.
        other = self.path("not-a-channel")
        os.makedirs(other)
        with open(os.path.join(other, "notes.txt"), "w") as f:
            f.write("mine\n")
        empty = self.path("empty")
        os.makedirs(empty)
        for d, why in ((other, "notes.txt"), (empty, "no file channel database"),
                       (self.path("missing"), "does not exist")):
            r = self.run_flumen("repair-channel", d)
            self.assertNotEqual(r.returncode, 0, d)
            self.assertIn(why, r.stderr)
            if os.path.isdir(d):
                self.assertNotIn("CURRENT", os.listdir(d), "nothing written into " + d)
        # A real channel (an agent ran on it, put 300 events and stopped without a sink) is
        # repaired, and the agent then delivers every event it held.
        data, out = self.path("data"), self.path("out")
        port = free_port()
        conf = CONF.format(port=port, data=data, out=out, min_space=1048576, sink_batch=100)
        no_sink = "\n".join(l for l in conf.splitlines() if not l.startswith("a1.sinks")) + "\n"
        agent = self.start_agent(no_sink)
        s = socket.create_connection(("127.0.0.1", port))
        reader = LineReader(s)
        for i in range(300):
            s.sendall(b"held-%03d\n" % i)
            reader.readline(10)
        s.close()
        wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 300, 20)
        self.assertEqual(agent.stop(), 0)
        r = self.run_flumen("repair-channel", data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("repaired", r.stdout)
        os.makedirs(out, exist_ok=True)
        agent = self.start_agent(conf)
        wait_until(lambda: len(read_lines(out)) == 300, 20, "the events the channel held")
        self.assertEqual(agent.stop(), 0)
        self.assertEqual(sorted(read_lines(out)), ["held-%03d" % i for i in range(300)])

    def test_kill_9_in_a_loop_loses_nothing(self):
        rng = random.Random(20261124)
        sender = AckingSender()
        kills = 20
        for round_ in range(kills + 1):
            port = free_port()
            agent = self.start_agent(self.conf(port))
            stop = threading.Event()
            t = threading.Thread(target=sender.run_until_dead, args=(port, stop))
            t.start()
            if round_ < kills:
                time.sleep(rng.uniform(0.05, 0.4))
                agent.proc.kill()  # SIGKILL: no chance to flush or clean up
                agent.proc.wait()
                stop.set()
                t.join(10)
            else:
                # Last life: stop sending, let the sink drain everything acknowledged.
                time.sleep(0.3)
                stop.set()
                t.join(10)
                wait_until(lambda: agent.counter("CHANNEL.c1", "ChannelSize") == 0, 60,
                           "the channel to drain")
                self.assertEqual(agent.stop(), 0)
        lines = read_lines(self.path("out"))
        counts = collections.Counter(lines)
        missing = sender.acked - set(counts)
        self.assertEqual(missing, set(), "acknowledged lines lost: %d" % len(missing))
        self.assertGreater(len(sender.acked), 1000)
        # Duplicates only from transactions in flight at a kill: per kill, one sink batch
        # (written, not yet take-committed) and one source batch (committed, not yet acked).
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        self.assertLessEqual(duplicates, kills * (100 + 50))
        # file_roll is not transactional: a kill mid-write can leave one torn line per kill.
        foreign = [l for l in counts if l not in sender.acked and not l.startswith("line-")]
        self.assertLessEqual(len(foreign), kills)
        print("acked %d, delivered lines %d, duplicates %d, torn %d" % (
            len(sender.acked), len(lines), duplicates, len(foreign)))

    def test_full_disk_is_backpressure_then_recovery(self):
        mnt = self.path("small")
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "cannot mount a tmpfs for the test: %s" % r.stderr)
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        port = free_port()
        out = self.path("out")
        # First life: no sink at all, so the channel only fills; minimumRequiredSpace is 4 MB of
        # a 12 MB disk.
        full_conf = self.conf(port, min_space=4 << 20, data=os.path.join(mnt, "db"))
        full_conf = "\n".join(l for l in full_conf.splitlines()
                              if not l.startswith("a1.sinks")) + "\n"
        agent = self.start_agent(full_conf)
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = LineReader(s)
        body = "x" * 400
        acked = 0
        try:
            while True:
                s.sendall("".join("%07d %s\n" % (acked + i, body) for i in range(50)).encode())
                for _ in range(50):
                    if f.readline(timeout=4) != b"OK\n":
                        raise OSError("no OK")
                    acked += 1
        except (OSError, TimeoutError):
            pass  # acks stopped: the channel refuses puts (backpressure), nothing was dropped
        m = agent.metrics()["CHANNEL.c1"]
        self.assertGreater(acked, 1000)
        self.assertEqual(int(m["ChannelSize"]), acked)
        self.assertGreater(int(m["EventPutErrorCount"]), 0)
        self.assertEqual(m["Unhealthy"], "1")
        self.assertIn("puts paused", agent.log_text())
        print("acked before the disk filled: %d" % acked)
        # Space returns: the same agent accepts puts again, by itself.
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        s.settimeout(30)
        pending = 50 - (acked % 50)  # the rest of the refused batch is answered first
        for _ in range(pending):
            self.assertEqual(f.readline(timeout=30), b"OK\n")
            acked += 1
        s.sendall("".join("%07d %s\n" % (acked + i, body) for i in range(100)).encode())
        for _ in range(100):
            self.assertEqual(f.readline(timeout=30), b"OK\n")
        acked += 100
        self.assertEqual(agent.metrics()["CHANNEL.c1"]["Unhealthy"], "0")
        agent.kill()
        s.close()
        # Everything acknowledged is on disk: a restarted agent with a sink delivers all of it.
        agent2 = self.start_agent(self.conf(port, min_space=4 << 20, data=os.path.join(mnt, "db"),
                                            out=out))
        wait_until(lambda: agent2.counter("SINK.k1", "EventDrainSuccessCount") == acked, 60)
        self.assertEqual(agent2.stop(), 0)
        lines = read_lines(out)
        self.assertEqual([l.split()[0] for l in lines], ["%07d" % i for i in range(acked)])


if __name__ == "__main__":
    unittest.main()
