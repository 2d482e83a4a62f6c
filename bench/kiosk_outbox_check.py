"""What the watchdog's outbox check costs: the write probe alone, and with ``PRAGMA quick_check``.

The kiosk pings systemd's watchdog every half ``WatchdogSec`` (15 s) only
while the outbox is usable (``notify.outbox_usable``): a write lock taken and
rolled back (``outbox_writable``, the whole check before issue 12: the
baseline here) and ``PRAGMA quick_check`` (``outbox_pages_sound``), which
reads every page so that a damaged one is found before a press reaches it.
Measured on outboxes of growing size (ratings waiting, as after days without
network), in the same run: the median of ``--rounds`` checks each, its ratio
to the baseline, and how often ``notify.Watchdog`` then reads the pages (it
spaces them so that they take at most ``CHECK_SHARE``, 1 %, of its time).
Target: the page check is never more than 1 % of the watchdog's time, and
never more than ``MAX_SPACING_S`` apart (a damaged page found within it).

    .venv/bin/python bench/kiosk_outbox_check.py [--rounds 20] [--sizes 0,1000,10000,100000]
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.notify import CHECK_SHARE, outbox_pages_sound, outbox_writable  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402

PING_INTERVAL_S = 15.0
# The longest the watchdog may go without reading the pages: then systemd's restart follows within
# WatchdogSec (30 s) and a damaged page is set aside within two minutes.
MAX_SPACING_S = 90.0


def fill(outbox: Outbox, n: int) -> None:
    """``n`` waiting ratings with reasons, in one transaction (the bench is about reading them)."""
    rows = [(f"00000000-0000-7000-8000-{i:012d}", i + 1, 1 + i % 3, 12, '["slow", "bribe"]', "touch",
             "2026-11-27T09:15:02.000+07:00", 0.0) for i in range(n)]

    def work(conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT INTO ratings (uuid, seq, score, officer_id, reasons, source, created_at,"
                         " sendable_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    outbox._write(work)


def median_ms(check, path: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        if not check(path, 5):
            raise SystemExit(f"the check failed on {path}")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sizes", default="0,1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    widest = 0.0
    with tempfile.TemporaryDirectory(prefix="kiosk-check-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"outbox-{n}.db"
            outbox = Outbox(path)
            fill(outbox, n)
            size_kib = sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*")) // 1024
            base = median_ms(outbox_writable, path, args.rounds)
            pages = median_ms(outbox_pages_sound, path, args.rounds)
            # As notify.Watchdog spaces them: at every ping, or the page check's time / CHECK_SHARE apart.
            spacing = max(PING_INTERVAL_S, pages / 1000 / CHECK_SHARE)
            widest = max(widest, spacing)
            print(f"{n:>7} ratings ({size_kib:>6} KiB): write probe {base:6.2f} ms, page check {pages:7.2f} ms"
                  f" ({pages / base:6.1f}x the probe); pages read every {spacing:5.1f} s,"
                  f" {100 * pages / 1000 / spacing:.2f} % of the time")
            outbox.close()
    met = widest <= MAX_SPACING_S
    print(f"widest spacing of the page check: {widest:.0f} s (target <= {MAX_SPACING_S:.0f} s: {'met' if met else 'missed'})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
