"""Builds a Go test client against Debian's packaged Go library sources (GOPATH mode, no module
proxy), as test_sarama.py and test_legacy_kafka_clients.py need: Sarama and kafka-go come from
Debian's golang-*-dev packages, which scripts/setup.sh installs."""
import os
import subprocess
import tempfile

GOPATH = "/usr/share/gocode"  # where Debian's Go library packages put their sources


def build_go_client(source, name):
    """(directory to remove afterwards, path of the binary built from `source`)."""
    bin_dir = tempfile.mkdtemp(prefix="flumen-%s-" % name)
    binary = os.path.join(bin_dir, name)
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="", GOPROXY="off",
               CGO_CFLAGS="-Wno-deprecated-declarations")
    r = subprocess.run(["go", "build", "-o", binary, source], env=env, capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("cannot build the %s client: %s" % (name, r.stderr[-3000:]))
    return bin_dir, binary
