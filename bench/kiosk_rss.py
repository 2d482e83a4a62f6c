"""Kiosk memory: resident set size of ``python -m kiosk`` after 1,000 ratings.

Starts the real central service and one kiosk process (mock GPIO pins, the
touch screen under waitress, the uploader), makes 1,000 ratings through the
screen's ``POST /press``, waits until the central service has them all, and
reads the kiosk's VmRSS and VmHWM from /proc. Target: <= 80 MB.

    .venv/bin/python bench/kiosk_rss.py [--ratings 1000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kiosk.kiosk_support import CentralProcess, KioskProcess, wait_for  # noqa: E402


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of process ``pid`` in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-rss-") as tmp:
        central = CentralProcess(Path(tmp) / "central")
        central.setup(cooldown_s=0, thanks_s=0, accept_without_officer=True)
        central.start()
        kiosk = KioskProcess(Path(tmp) / "kiosk", central.url, central.token)
        try:
            kiosk.start()
            pid = kiosk.proc.pid
            print(f"started:  {memory_mb(pid)['VmRSS']:.1f} MB")
            for i in range(args.ratings):
                result = kiosk.press(2 + i % 2)
                if not result.get("recorded"):
                    raise SystemExit(f"press {i} not recorded: {result}")
            wait_for(lambda: central.rating_counts()[0] >= args.ratings, 120, "the ratings on the central service")
            mem = memory_mb(pid)
            print(f"after {args.ratings} ratings (all on the central service): "
                  f"RSS {mem['VmRSS']:.1f} MB, peak {mem['VmHWM']:.1f} MB (target <= 80 MB)")
        finally:
            kiosk.kill()
            central.stop()


if __name__ == "__main__":
    main()
