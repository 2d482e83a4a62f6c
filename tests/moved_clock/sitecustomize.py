"""Moves the clock of every Python process of a test run: ``make test-at WHEN=...``.

Python imports ``sitecustomize`` at start-up from its path, so with this folder on
``PYTHONPATH`` the test run and every process it starts (``python -m admin``,
``python -m kiosk``) read a clock moved by ``HAILONG_CLOCK_OFFSET_S`` seconds.
The offset, not a fixed instant, is what they share: a process started a minute
later is a minute later on the moved clock too, as kiosks and the central
service are on real clocks. Monotonic time and sleeps are left alone, so
timeouts behave as usual. No test may depend on the date or the hour; this is
how that is checked (see README, "Tests").
"""
import os

_offset = os.environ.get("HAILONG_CLOCK_OFFSET_S")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
    # The moved clock starts ticking at its first reading, not at start(): read it now, or a
    # process whose first reading came seconds later (a slow start) would lag the others.
    time.time()
