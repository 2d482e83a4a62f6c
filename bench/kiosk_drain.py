"""Kiosk outbox drain: 10,000 queued ratings sent to a live central service.

Starts the real central service (``python -m admin``) on a fresh SQLite
database, queues the ratings in a kiosk outbox through ``KioskService.press``
(each one committed with fsync, as a citizen's press is) while the central
service is not asked, then times one uploader round that empties the
outbox: batches of 500, oldest first, each deleted only once acknowledged.

Prints the press rate and the drain rate. Target: >= 2,000 ratings/s drained.

    .venv/bin/python bench/kiosk_drain.py [--ratings 10000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.central import Central  # noqa: E402
from kiosk.service import KioskService  # noqa: E402
from kiosk.uploader import Uploader  # noqa: E402
from tests.kiosk.kiosk_support import CentralProcess  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-drain-") as tmp:
        central = CentralProcess(Path(tmp) / "central")
        # Reasons only after a 1: with them after every score, the next button press would answer them.
        central.setup(cooldown_s=0, thanks_s=0, accept_without_officer=True, reasons_after_every_score=False)
        central.start()
        try:
            service = KioskService.open(Path(tmp) / "kiosk")
            client = Central(central.url, central.token)
            uploader = Uploader(service, client)
            config, etag = client.get_config(None)
            service.apply_config(config, etag)

            started = time.perf_counter()
            for i in range(args.ratings):
                # Scores 2 and 3: a 1 would wait for its reasons.
                if not service.press(2 + i % 2, "button").recorded:
                    raise SystemExit("a press was not recorded; is the cool-down 0?")
            pressed = time.perf_counter() - started
            print(f"queued:  {args.ratings} ratings in {pressed:.2f} s "
                  f"({args.ratings / pressed:,.0f} presses/s, each committed with fsync)")

            started = time.perf_counter()
            uploader.round()
            drained = time.perf_counter() - started
            left = service.pending_count()
            arrived = central.rating_counts()
            print(f"drained: {args.ratings - left} ratings in {drained:.2f} s "
                  f"({(args.ratings - left) / drained:,.0f} ratings/s; target >= 2,000)")
            print(f"central: {arrived[0]} rows, {arrived[1]} distinct ids; outbox left: {left}")
            client.close()
            service.close()
        finally:
            central.stop()


if __name__ == "__main__":
    main()
