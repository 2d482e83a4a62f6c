"""Public board benchmark: requests per second of GET /cong-khai beside GET /healthz, in one run.

Builds a province of 121 units (a province, 10 districts, 110 communes) with
330 desks and about 1,000,000 ratings over the current half year and the one
before, stored as the daily counts ingestion keeps, and 40 published cases;
serves it with waitress on 127.0.0.1 and asks with a few keep-alive clients:
the trivial /healthz, the board (the page kept in the process, so most
requests cost no query), the board with its ETag (304), and the first,
uncached build. The per-address limit is raised for the run: every request
comes from 127.0.0.1.

    .venv/bin/python bench/public_board.py                      # SQLite, ~1 M ratings
    .venv/bin/python bench/public_board.py --ratings 200000 --seconds 3

Target: the board at 0.8 × /healthz or better.
"""
from __future__ import annotations

import argparse
import http.client
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTRICTS, COMMUNES_PER_DISTRICT, DESKS_PER_COMMUNE = 10, 11, 3
CASES = 40
CLIENTS = 4
MAX_REQUESTS = 20_000


def build(app, ratings: int) -> str:
    """The province and its daily counts, relative to today; returns the board's default period key."""
    from admin.console.period_form import today
    from admin.db import db
    from admin.models import Case, CaseRating, DailyCount, Desk, Kiosk, Officer, Rating, RatingReason, Unit
    from admin.reports.daily_counts import rebuild_monthly_counts
    from admin.periods import period_of

    with app.test_request_context():
        db.create_all()
        from admin.scale import ensure_default_reasons
        ensure_default_reasons()
        db.session.flush()
        units = [{"id": 1, "name": "Tỉnh Bắc Giang", "kind": "province", "parent_id": None, "path": "/1/", "active": True}]
        communes = []
        for d in range(DISTRICTS):
            did = 2 + d
            units.append({"id": did, "name": f"Huyện {d + 1}", "kind": "district", "parent_id": 1,
                          "path": f"/1/{did}/", "active": True})
            for c in range(COMMUNES_PER_DISTRICT):
                cid = 100 + d * COMMUNES_PER_DISTRICT + c
                units.append({"id": cid, "name": f"UBND xã {d + 1}.{c + 1}", "kind": "commune", "parent_id": did,
                              "path": f"/1/{did}/{cid}/", "active": True})
                communes.append(cid)
        db.session.execute(Unit.__table__.insert(), units)
        desks = [{"id": n + 1, "unit_id": communes[n // DESKS_PER_COMMUNE], "name": f"Quầy {n + 1}", "active": True}
                 for n in range(len(communes) * DESKS_PER_COMMUNE)]
        db.session.execute(Desk.__table__.insert(), desks)
        db.session.execute(Officer.__table__.insert(), [
            {"id": d["id"], "code": f"CB-{d['id']}", "name": f"Cán bộ {d['id']}", "title": "", "unit_id": d["unit_id"],
             "active": True} for d in desks])
        db.session.execute(Kiosk.__table__.insert(), [
            {"id": 1, "desk_id": 1, "name": "K1", "token_hash": uuid.uuid4().hex, "enabled": True,
             "created_at": datetime.now(timezone.utc)}])
        now = period_of("half", today())
        first, last = now.previous().start, today()
        days = (last - first).days + 1
        per_day_desk = ratings / (days * len(desks))
        rng = random.Random(7)
        rows, total = [], 0
        for offset in range(days):
            day = first + timedelta(days=offset)
            for desk in desks:
                n = rng.randint(0, int(2 * per_day_desk))
                split = (n // 10, n // 5, n - n // 10 - n // 5)
                for score, count in zip((1, 2, 3), split):
                    if count:
                        rows.append({"day": day, "officer_id": desk["id"], "desk_id": desk["id"], "score": score,
                                     "count": count})
                        total += count
            if len(rows) > 50_000:
                db.session.execute(DailyCount.__table__.insert(), rows)
                rows = []
        db.session.execute(DailyCount.__table__.insert(), rows)
        concluded = datetime.combine(first, datetime.min.time(), timezone.utc) + timedelta(days=10)
        for n in range(1, CASES + 1):
            at = datetime.now(timezone.utc) - timedelta(days=n)
            db.session.execute(Rating.__table__.insert(), [{
                "id": n, "uuid": uuid.uuid4(), "kiosk_id": 1, "desk_id": 1, "unit_id": communes[0], "officer_id": 1,
                "score": 1, "source": "touch", "seq": n, "created_at": at,
                "received_at": at, "clock_flag": False, "day": at.date()}])
            db.session.execute(RatingReason.__table__.insert(), [{"rating_id": n, "reason_code": "bribe"}])
            case = Case(unit_id=communes[n % len(communes)], desk_id=1, officer_id=1, status="concluded",
                        opened_at=at, first_complaint_at=at, last_complaint_at=at, complaints=1,
                        conclusion="substantiated", findings="—", action="reminder",
                        concluded_at=concluded + timedelta(days=n), published_at=at, show_officer=n % 2 == 0,
                        public_ref=f"BENCH{n:03d}")
            db.session.add(case)
            db.session.flush()
            db.session.add(CaseRating(rating_id=n, case_id=case.id, tracking_code=f"{n:010d}"))
        db.session.commit()
        # The monthly counts ingestion would have kept beside the daily ones.
        rebuild_monthly_counts()
        print(f"province: {len(units)} units, {len(desks)} desks, {total:,} ratings as daily counts over {days} days, "
              f"{CASES} published cases")
        return now.key


def hammer(port: int, path: str, seconds: float, headers: dict | None = None) -> tuple[float, int, set[int]]:
    """Requests per second of ``path`` from CLIENTS keep-alive clients for ``seconds`` (or MAX_REQUESTS)."""
    counts, statuses = [0] * CLIENTS, set()
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop and sum(counts) < MAX_REQUESTS:
            conn.request("GET", path, headers=headers or {})
            answer = conn.getresponse()
            answer.read()
            statuses.add(answer.status)
            counts[k] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started), sum(counts), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    args = parser.parse_args()

    import logging

    from waitress.server import create_server

    # Four clients on four threads keep a request queued at times; waitress would log each.

    from admin import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "PUBLIC_BOARD_LIMIT": (10**9, 1), "PUBLIC_LOOKUP_LIMIT": (10**9, 1)})
        build(app, args.ratings)
        server = create_server(app, host="127.0.0.1", port=0, threads=CLIENTS)
        port = server.effective_port
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/cong-khai")
            first = conn.getresponse()
            body = first.read()
            etag = first.getheader("ETag")
            print(f"first GET /cong-khai (builds the page): {1000 * (time.perf_counter() - started):.0f} ms, "
                  f"{len(body):,} bytes, status {first.status}")
            conn.close()
            results = {}
            for label, path, headers in (("GET /healthz", "/healthz", None), ("GET /cong-khai", "/cong-khai", None),
                                         ("GET /cong-khai, If-None-Match", "/cong-khai", {"If-None-Match": etag}),
                                         ("GET /healthz (again)", "/healthz", None)):
                rate, n, statuses = hammer(port, path, args.seconds, headers)
                results[label] = rate
                print(f"{label:32} {rate:8.0f} requests/s ({n:,} requests, status {sorted(statuses)})")
            trivial = (results["GET /healthz"] + results["GET /healthz (again)"]) / 2
            print(f"board / healthz: {results['GET /cong-khai'] / trivial:.2f} (target ≥ 0.80); "
                  f"304 / healthz: {results['GET /cong-khai, If-None-Match'] / trivial:.2f}")
        finally:
            server.close()


if __name__ == "__main__":
    main()
