#!/usr/bin/env python3
"""Produce and fetch throughput of the bundled broker on a compacted topic with the log cleaner
running (log.cleaner.enable=true, cleaning continuously: backoff 0, ratio 0.01) vs not, measured in
the same run with kcat. Prints medians of --runs and the ratios cleaner/no-cleaner (1.0 = no cost).

  bench/compaction_throughput.py --build build [--records 200000] [--keys 1000] [--runs 3]
"""
import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kcat(port, *args, data=None):
    r = subprocess.run(["kcat", "-b", "127.0.0.1:%d" % port] + list(args), input=data,
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode(errors="replace"))
    return r.stdout


def run_once(flumen, cleaner, records, keys):
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "broker.properties")
        with open(conf, "w") as f:
            f.write("log.cleanup.policy=compact\nlog.segment.bytes=1048576\n"
                    "log.cleaner.backoff.ms=0\nlog.cleaner.min.cleanable.ratio=0.01\n"
                    "log.cleaner.enable=%s\n" % ("true" if cleaner else "false"))
        port = free_port()
        proc = subprocess.Popen([flumen, "broker", "--data-dir", os.path.join(d, "data"),
                                 "--listen", "127.0.0.1:%d" % port, "--conf", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while True:
                try:
                    kcat(port, "-L")
                    break
                except RuntimeError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            lines = b"".join(b"car-%05d:status-%08d-%s\n" % (i % keys, i, b"x" * 60)
                             for i in range(records))
            # A first half gives the cleaner work while the second half is produced and read.
            kcat(port, "-P", "-t", "cars", "-K", ":", data=lines[: len(lines) // 2])
            t0 = time.perf_counter()
            kcat(port, "-P", "-t", "cars", "-K", ":", data=lines[len(lines) // 2:])
            produce_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = kcat(port, "-C", "-t", "cars", "-o", "beginning", "-e", "-q", "-f", "%o\\n")
            fetch_s = time.perf_counter() - t0
            return (records // 2) / produce_s, len(out.splitlines()) / fetch_s
        finally:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--records", type=int, default=200000)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    flumen = os.path.join(a.build, "flumen")
    res = {True: [], False: []}
    for _ in range(a.runs):
        for cleaner in (False, True):
            res[cleaner].append(run_once(flumen, cleaner, a.records, a.keys))
    for cleaner in (False, True):
        p = statistics.median(r[0] for r in res[cleaner])
        f = statistics.median(r[1] for r in res[cleaner])
        print("cleaner %-3s  produce %9.0f rec/s  fetch %9.0f rec/s (records left to read vary)"
              % ("on" if cleaner else "off", p, f))
    print("ratio produce on/off %.2f" % (statistics.median(r[0] for r in res[True]) /
                                          statistics.median(r[0] for r in res[False])))
    print("ratio fetch   on/off %.2f" % (statistics.median(r[1] for r in res[True]) /
                                          statistics.median(r[1] for r in res[False])))


if __name__ == "__main__":
    main()
