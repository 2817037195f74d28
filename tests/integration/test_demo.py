"""The README's smart-car demo at a small scale: broker, two aggregators, three edges and the
simulator, ending with its own count of every line at its destination."""
import os
import subprocess
import sys
import unittest

from flumen_harness import FLUMEN, SOURCE_DIR


class DemoTest(unittest.TestCase):
    def test_demo_delivers_every_line(self):
        r = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "scripts", "smartcar_demo.py"),
                            "--flumen", FLUMEN, "--seconds", "4", "--drivers", "5", "--cars", "2",
                            "--clean", "--rotate-size", "16384"], capture_output=True, text=True,
                           timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        self.assertIn("every line arrived", r.stdout)
        self.assertRegex(r.stdout, r"records in topic .driving.: 0 lost")
        self.assertRegex(r.stdout, r"demo: [1-9]\d* driving lines written \([1-9]\d* rotated files\) -> [1-9]\d* records")


if __name__ == "__main__":
    unittest.main()
