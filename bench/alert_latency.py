"""Alert latency: from a rating that names a misconduct reason to the inspector's e-mail.

Starts ``python -m admin`` on a fresh SQLite database, with an SMTP server
(aiosmtpd) on 127.0.0.1 as the province's mail server and an inspector with
an address, and measures, one complaint at a time, the time from the moment
the rating is stored to the moment the e-mail is in the mailbox:

  (a) default settings, the rating sent to the service's API: the process that
      stores it files it and mails at once;
  (b) default settings, the rating stored by another process (another copy of
      the service behind the load balancer): found by the poll, every 30 s;
  (c) the shortest settings (``poll_s=1``), stored by another process.

Targets: p95 <= 60 s with the default settings, <= 2 s with the shortest.

    .venv/bin/python bench/alert_latency.py [--api 20] [--polled 6] [--shortest 20]

Traffic goes to 127.0.0.1 only; every phase is bounded in count and time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import free_port, prepare_database, start_server  # noqa: E402  (after the path is set)
from tests.admin.alerts.receivers_support import Mailbox  # noqa: E402

INSPECTOR = "thanhtra@bench.example.gov.vn"
# The longest wait for one e-mail: twice the default poll and then some.
WAIT_S = 90.0


def add_inspector(url: str) -> None:
    from admin import create_app
    from admin.db import db
    from admin.models import Unit
    from admin.users import create_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        unit = db.session.scalars(db.select(Unit)).first()
        create_user("thanhtra", "mat-khau-thanh-tra", "inspector", unit.id, actor="bench", email=INSPECTOR)
        db.session.commit()
        db.engine.dispose()


def set_alerts(url: str, **values: int) -> None:
    from admin import create_app
    from admin.alerts import ALERT_SETTINGS
    from admin.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        ALERT_SETTINGS.store(values)
        db.session.commit()
        db.engine.dispose()


def complaint(seq: int, officer_id: int) -> dict:
    created = datetime.now(timezone(timedelta(hours=7))).isoformat(timespec="seconds")
    return {"id": str(uuid.uuid4()), "seq": seq, "score": 1, "officer_id": officer_id, "reasons": ["bribe"],
            "source": "button", "created_at": created}


def post_api(port: int, token: str, item: dict) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/ratings", data=json.dumps({"ratings": [item]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.load(answer)["accepted"], "the complaint was not accepted"


class OtherProcess:
    """Stores ratings in the database directly, as another copy of the service would."""

    def __init__(self, url: str):
        from admin import create_app

        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url})

    def store(self, item: dict) -> None:
        from admin.api.auth import KioskRef
        from admin.api.rating_store import store_ratings
        from admin.db import db, write_transaction
        from admin.models import Kiosk

        with self.app.app_context():
            # The write lock first: the service writes meanwhile (SQLite).
            write_transaction()
            kiosk = db.session.scalars(db.select(Kiosk)).first()
            result = store_ratings(KioskRef.of(kiosk), [item])
            db.session.commit()
            assert not result.rejected, result.rejected


def measure(mailbox: Mailbox, count: int, send) -> list[float]:
    """Seconds from each complaint stored (``send(n)`` returned) to its e-mail, one at a time."""
    latencies = []
    for n in range(count):
        before = len(mailbox.messages)
        send(n)
        stored = time.monotonic()
        if not mailbox.wait_for(before + 1, WAIT_S):
            raise SystemExit(f"no e-mail within {WAIT_S:.0f} s of complaint {n + 1}")
        latencies.append(time.monotonic() - stored)
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(name: str, latencies: list[float], target: float) -> None:
    print(f"{name:<52} n={len(latencies):>3}  p50 {statistics.median(latencies):6.2f} s  "
          f"p95 {p95(latencies):6.2f} s  max {max(latencies):6.2f} s  "
          f"(target p95 <= {target:g} s: {'met' if p95(latencies) <= target else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", type=int, default=20, help="complaints sent to the API, default settings")
    parser.add_argument("--polled", type=int, default=6, help="complaints stored by another process, default settings")
    parser.add_argument("--shortest", type=int, default=20, help="complaints stored by another process, poll_s=1")
    args = parser.parse_args()

    mailbox = Mailbox()
    mailbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token, officer_id = prepare_database(url)
        add_inspector(url)
        port = free_port()
        os.environ.update(ADMIN_SMTP_HOST="127.0.0.1", ADMIN_SMTP_PORT=str(mailbox.port),
                          ADMIN_SMTP_SECURITY="none", ADMIN_SMTP_FROM="canhbao@bench.example.gov.vn")
        seq = iter(range(1, 10_000))
        other = OtherProcess(url)
        with open(Path(tmp) / "server.log", "w+b") as log:
            server = start_server(url, port, log)
            try:
                print(f"database: sqlite; SMTP on 127.0.0.1:{mailbox.port}; one complaint at a time, each waited for")
                api = measure(mailbox, args.api, lambda n: post_api(port, token, complaint(next(seq), officer_id)))
                polled = measure(mailbox, args.polled, lambda n: other.store(complaint(next(seq), officer_id)))
            finally:
                server.terminate()
                server.wait(30)
            # The shortest settings are read when a process starts its pass: a new process.
            set_alerts(url, poll_s=1, retry_s=1)
            server = start_server(url, free_port(), log)
            try:
                # Off the moment the process started: its first passes are not what is measured.
                time.sleep(2)
                shortest = measure(mailbox, args.shortest, lambda n: other.store(complaint(next(seq), officer_id)))
            finally:
                server.terminate()
                server.wait(30)
    mailbox.stop()
    report("(a) default settings, stored by this process's API", api, 60)
    report("(b) default settings, stored by another process", polled, 60)
    report("(c) shortest settings (poll_s=1), another process", shortest, 2)


if __name__ == "__main__":
    main()
