"""``make test-at``: the clock the tests and the processes they start read is moved, and only that.

The file system stamps a new file with the real time, which the moved clock
does not touch, so the difference between the two is the offset asked for.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

OFFSET_S = float(os.environ.get("HAILONG_CLOCK_OFFSET_S") or 0)
# The first reading of the clock comes late, as in a process slow to start: it must not lag.
NOW_AND_REAL = """
import os, tempfile, time
time.sleep(1.5)
with tempfile.NamedTemporaryFile() as f:
    print(time.time() - os.stat(f.name).st_mtime)
"""
# Processes of one run must agree to well under the second: a kiosk's "a second ago" has to
# be in the past for the central service too.
AGREE_S = 0.5


def test_moved_clock_moves_this_process_by_the_offset(tmp_path):
    stamp = tmp_path / "now"
    stamp.write_text("")
    assert abs(time.time() - stamp.stat().st_mtime - OFFSET_S) < AGREE_S


def test_moved_clock_moves_the_processes_the_tests_start():
    moved = float(subprocess.run([sys.executable, "-c", NOW_AND_REAL], capture_output=True, text=True,
                                 check=True).stdout)
    assert abs(moved - OFFSET_S) < AGREE_S
