#!/usr/bin/env python3
"""Lines lost and duplicated by TAILDIR across copytruncate rotations, per case.

Each case runs a real agent (TAILDIR -> memory -> file_roll), writes lines, rotates the way the
case says, writes again, waits until the output is quiet, and counts by content what is missing
from the output and what is there more than once. The writer pauses during a rotation (as a
logger that loses nothing would), so every loss or duplicate is the source's.

  same-size      cp f f.old; : > f; the same number of bytes again (copy not tailed)
  larger         as same-size, regrown to 1.5x
  shorter        as same-size, regrown to 20 lines
  copy-tailed    the copy f.1 matches the file group's pattern
  slow-copy      as copy-tailed, the copy written in 4 KB pieces 20 ms apart
  short-file     as copy-tailed with a 12-line file (shorter than fingerprintBytes)
  under-load     a writer appends all along; 6 rotations f.N -> f.N+1, cp f f.1, : > f

Usage: bench/taildir_rotations.py [--flumen build/flumen] [--cases same-size,larger,...]
"""
import argparse
import collections
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import flumen_harness  # noqa: E402

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = {logs}/{pattern}
a1.sources.r1.positionFile = {work}/pos.json
a1.sources.r1.rotatedFileGrace = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {work}/out
a1.sinks.k1.sink.rollInterval = 0
"""


def copytruncate(path, copy, chunk=None):
    with open(path, "rb") as f:
        data = f.read()
    with open(copy, "wb") as c:
        for i in range(0, len(data), chunk or max(len(data), 1)):
            c.write(data[i:i + (chunk or len(data))])
            c.flush()
            if chunk:
                time.sleep(0.02)
    with open(path, "r+b") as f:
        f.truncate(0)


def append(path, lines):
    with open(path, "a") as f:
        f.write("".join(l + "\n" for l in lines))


def quiet(out, sent):
    """Waits until the output stops changing (or has everything), returns its lines."""
    last, since = -1, time.time()
    deadline = time.time() + 20
    while time.time() < deadline:
        n = len(flumen_harness.read_lines(out))
        if n != last:
            last, since = n, time.time()
        elif time.time() - since > (1.0 if n >= len(sent) else 3.0):
            break
        time.sleep(0.05)
    return flumen_harness.read_lines(out)


def run_case(case, work):
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    path = os.path.join(logs, "app.log")
    tailed_copy = case in ("copy-tailed", "slow-copy", "short-file", "under-load")
    pattern = r"app\\.log.*" if tailed_copy else r"app\\.log"
    agent = flumen_harness.Agent(work, CONF.format(logs=logs, pattern=pattern, work=work))
    sent = []
    try:
        if case == "under-load":
            lock, stop = threading.Lock(), threading.Event()

            def writer():
                n = 0
                while not stop.is_set():
                    with lock:
                        batch = ["w%07d" % (n + i) for i in range(50)]
                        append(path, batch)
                        sent.extend(batch)
                        n += 50
                    time.sleep(0.002)
            t = threading.Thread(target=writer)
            t.start()
            for r in range(6):
                time.sleep(0.3)
                with lock:
                    for k in range(r, 0, -1):
                        if os.path.exists(path + ".%d" % k):
                            os.rename(path + ".%d" % k, path + ".%d" % (k + 1))
                    copytruncate(path, path + ".1")
            stop.set()
            t.join()
        else:
            n = 12 if case == "short-file" else 1000
            first = ["a%05d" % i for i in range(n)]
            append(path, first)
            sent += first
            flumen_harness.wait_until(
                lambda: len(flumen_harness.read_lines(os.path.join(work, "out"))) >= n, 20)
            copy = path + ".1" if tailed_copy else path + ".old"
            copytruncate(path, copy, 4096 if case == "slow-copy" else None)
            m = {"larger": 1500, "shorter": 20}.get(case, n)
            second = ["b%05d" % i for i in range(m)]
            append(path, second)
            sent += second
        got = collections.Counter(quiet(os.path.join(work, "out"), sent))
    finally:
        agent.stop()
    lost = sum(1 for l in set(sent) if l not in got)
    dups = sum(c - 1 for c in got.values() if c > 1)
    return len(sent), lost, dups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flumen", default=None)
    ap.add_argument("--cases", default="same-size,larger,shorter,copy-tailed,slow-copy,"
                                        "short-file,under-load")
    args = ap.parse_args()
    if args.flumen:
        flumen_harness.FLUMEN = os.path.abspath(args.flumen)
    print("%-12s %8s %8s %10s" % ("case", "lines", "lost", "duplicated"))
    for case in args.cases.split(","):
        work = flumen_harness.tempfile.mkdtemp(prefix="taildir-rot-")
        try:
            n, lost, dups = run_case(case, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("%-12s %8d %8d %10d" % (case, n, lost, dups), flush=True)


if __name__ == "__main__":
    main()
