"""Packaging: `cmake --install` into a DESTDIR gives a stripped binary, its modules and the
systemd units; an agent runs from there (its file channel module found in ../lib/flumen); and
the Debian package CPack builds holds the same files (when dpkg-deb is there)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from flumen_harness import FLUMEN, AgentTestCase, NetcatClient, free_port, read_lines, wait_until

BUILD_DIR = os.path.dirname(os.path.abspath(FLUMEN))

CONF = """
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = {dir}/checkpoint
a1.channels.c1.dataDirs = {dir}/data
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {dir}/out
a1.sinks.k1.sink.rollInterval = 0
"""


def sections(path):
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True,
                         check=True).stdout
    return {line.split("]", 1)[1].split()[0] for line in out.splitlines()
            if line.strip().startswith("[") and "]" in line and line.split("]", 1)[1].split()}


class PackagingTest(AgentTestCase):
    def test_install_into_a_destdir_and_run_an_agent_from_it(self):
        dest = self.path("dest")
        r = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", "/usr"],
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, DESTDIR=dest))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        binary = os.path.join(dest, "usr/bin/flumen")
        modules = [os.path.join(dest, "usr/lib/flumen", m) for m in
                   ("flumen-kafka.so", "flumen-file-channel.so", "flumen-broker.so")]
        for path in [binary] + modules:
            self.assertTrue(os.path.isfile(path), path)
            s = sections(path)
            self.assertNotIn(".symtab", s, path)  # stripped
            self.assertNotIn(".debug_info", s, path)
            self.assertIn(".dynsym", s, path)  # what the modules link against stays
        size = os.path.getsize(binary)
        print("installed binary: %.1f MB (build tree: %.1f MB)"
              % (size / 1e6, os.path.getsize(FLUMEN) / 1e6))
        self.assertLess(size, os.path.getsize(FLUMEN) / 4)

        units = os.path.join(dest, "usr/lib/systemd/system")
        with open(os.path.join(units, "flumen@.service")) as f:
            agent_unit = f.read()
        self.assertIn("ExecStart=/usr/bin/flumen agent -f /etc/flumen/%i.conf -n %i", agent_unit)
        self.assertIn("StateDirectory=flumen/%i", agent_unit)
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", agent_unit)
        with open(os.path.join(units, "flumen-broker.service")) as f:
            self.assertIn("ExecStart=/usr/bin/flumen broker --data-dir /var/lib/flumen/broker",
                          f.read())
        if shutil.which("systemd-analyze"):  # Debian's systemd package; no running systemd needed
            for unit in ("flumen@.service", "flumen-broker.service"):
                v = subprocess.run(["systemd-analyze", "verify", os.path.join(units, unit)],
                                   capture_output=True, text=True, timeout=60)
                # The only complaint allowed: the binary is in DESTDIR, not at /usr/bin/flumen
                # (an unknown key, a bad value or a missing section would be another line).
                complaints = [l for l in v.stderr.splitlines()
                              if l.strip() and "Command /usr/bin/flumen is not executable" not in l]
                self.assertEqual(complaints, [], v.stderr)

        # An agent from the installed tree, with no module directory but its own.
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "FLUMEN_MODULE_DIR"}
        with open(self.path("a1.conf"), "w") as f:
            f.write(CONF.format(port=port, dir=self.workdir))
        log = open(self.path("installed.log"), "w")
        proc = subprocess.Popen([binary, "agent", "-f", self.path("a1.conf"), "-n", "a1"],
                                stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=self.workdir)
        try:
            client = wait_until(lambda: NetcatClient(port), 20, "the installed agent to listen")
            lines = ["installed %d" % i for i in range(200)]
            client.send_lines(lines)
            client.close()
            wait_until(lambda: read_lines(self.path("out")) == lines, 20,
                       "the lines to pass the file channel")
        finally:
            proc.terminate()
            rc = proc.wait(timeout=30)
            log.close()
        self.assertEqual(rc, 0, open(self.path("installed.log")).read())

    @unittest.skipUnless(shutil.which("dpkg-deb") and shutil.which("cpack"),
                         "dpkg-deb and cpack build and read the Debian package")
    def test_debian_package(self):
        out = tempfile.mkdtemp(prefix="flumen-deb-")
        self.addCleanup(shutil.rmtree, out, True)
        r = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD_DIR,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, os.listdir(out))
        deb = os.path.join(out, debs[0])
        files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                               check=True).stdout
        for path in ("./usr/bin/flumen", "./usr/lib/flumen/flumen-kafka.so",
                     "./usr/lib/flumen/flumen-file-channel.so",
                     "./usr/lib/flumen/flumen-broker.so",
                     "./usr/lib/systemd/system/flumen@.service",
                     "./usr/lib/systemd/system/flumen-broker.service",
                     "./usr/lib/sysusers.d/flumen.conf"):
            self.assertIn(path, files)
        info = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("Package: flumen", info)
        self.assertIn("postinst", info)
        self.assertIn("Depends:", info)
        self.assertIn("adduser", info)
        print("%s: %.1f MB\n%s\n%s" % (debs[0], os.path.getsize(deb) / 1e6, info, files))
        # The binary in the package is the stripped one.
        extract = os.path.join(out, "x")
        subprocess.run(["dpkg-deb", "-x", deb, extract], check=True)
        self.assertNotIn(".symtab", sections(os.path.join(extract, "usr/bin/flumen")))
        with open(os.path.join(extract, "usr/lib/systemd/system/flumen@.service")) as f:
            self.assertIn("ExecStart=/usr/bin/flumen agent", f.read())


if __name__ == "__main__":
    unittest.main()
