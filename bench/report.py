"""Report benchmark: the six-month reports, overview and league tables at N ratings.

Loads ratings spread over 2,000 officers, 100 communes and six months (raw
ratings, then the daily counts rebuilt from them as ingestion would have
kept them), and times ``officer_table.officer_report`` over the six months,
``scorecard.scorecard`` of one officer, and, as a signed-in administrator
sees them through HTTP (the test client: no network, the whole request with
its template), the six-month overview ``/`` and the league tables
``/ranking`` (100 units, 2,000 officers). It measures at N/10 first, in the
same run, so the growth with N is printed beside the figures.

    .venv/bin/python bench/report.py --ratings 1000000                # SQLite
    .venv/bin/python bench/report.py --ratings 10000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Targets: at most 0.5 s each at N = 10,000,000 on PostgreSQL and at
N = 1,000,000 on SQLite, growing less than linearly with N. On PostgreSQL the
benchmark works in a schema of its own and drops it afterwards.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OFFICERS = 2_000
DESKS = 1_000
DAYS = 182
END = date(2026, 11, 26)
START = END - timedelta(days=DAYS - 1)
REPEAT = 5
LABELS = {"report": "officer report", "scorecard": "one scorecard", "overview": "overview page",
          "league": "league tables page"}


def build_province(db, Unit, Desk, Officer, Kiosk) -> None:
    """Units, desks, officers and kiosks for the ratings to point at, inserted in bulk."""
    db.session.execute(Unit.__table__.insert(), [{"id": 1, "name": "Province", "kind": "province", "path": "/1/", "active": True}])
    communes = [
        {"id": 2 + i, "name": f"Commune {i}", "kind": "commune", "parent_id": 1, "path": f"/1/{2 + i}/", "active": True}
        for i in range(100)
    ]
    db.session.execute(Unit.__table__.insert(), communes)
    db.session.execute(
        Desk.__table__.insert(), [{"id": d + 1, "unit_id": 2 + d % 100, "name": f"Desk {d}", "active": True} for d in range(DESKS)]
    )
    db.session.execute(
        Officer.__table__.insert(),
        [
            {"id": o + 1, "code": f"O-{o:05d}", "name": f"Officer {o:05d}", "title": "", "unit_id": 2 + (o // 2) % 100, "active": True}
            for o in range(OFFICERS)
        ],
    )
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.execute(
        Kiosk.__table__.insert(),
        [{"id": d + 1, "desk_id": d + 1, "name": f"K{d}", "token_hash": f"{d:064x}", "enabled": True, "created_at": now} for d in range(DESKS)],
    )
    db.session.commit()


def rating_rows(first: int, count: int, rng: random.Random, pg: bool):
    """Plain tuples for the ratings table: officer o sits at desk o // 2 + 1."""
    base = datetime(START.year, START.month, START.day, 1, 0)
    for n in range(first, first + count):
        officer = rng.randrange(OFFICERS)
        desk = officer // 2 + 1
        day = rng.randrange(DAYS)
        created = base + timedelta(days=day, seconds=rng.randrange(9 * 3600))
        score = rng.choices((1, 2, 3), (1, 3, 6))[0]
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield (
            n, key if pg else key.hex, desk, desk, 2 + (desk - 1) % 100, officer + 1, score, "touch", n,
            created, created + timedelta(seconds=3), False, (START + timedelta(days=day)),
        )


COLUMNS = "id, uuid, kiosk_id, desk_id, unit_id, officer_id, score, source, seq, created_at, received_at, clock_flag, day"


def load_ratings(engine, total: int, already: int, rng: random.Random) -> None:
    """Add ratings up to ``total`` with the driver's fastest bulk path (COPY on PostgreSQL)."""
    pg = engine.dialect.name == "postgresql"
    chunk = 200_000
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        for first in range(already + 1, total + 1, chunk):
            rows = rating_rows(first, min(chunk, total - first + 1), rng, pg)
            if pg:
                with cur.copy(f"COPY ratings ({COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(
                    f"INSERT INTO ratings ({COLUMNS}) VALUES ({', '.join('?' * 13)})",
                    ((*r[:9], r[9].isoformat(sep=" "), r[10].isoformat(sep=" "), int(r[11]), r[12].isoformat()) for r in rows),
                )
        cur.close()


def timed(fn) -> float:
    """The median of a few runs, in seconds (the first run warms the caches)."""
    fn()
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def signed_in_client(app, db):
    """A test client signed in as an administrator (made here, once)."""
    from admin.models import User
    from admin.users import create_user

    with app.app_context():
        if db.session.query(User).count() == 0:
            create_user("bench.admin", "bench passphrase 2026", "admin", None)
            db.session.commit()
    client = app.test_client()
    answer = client.post("/login", data={"username": "bench.admin", "password": "bench passphrase 2026"})
    assert answer.status_code == 302, answer.status_code
    return client


def page_time(client, path: str) -> float:
    def get():
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    return timed(get)


def measure(app, db) -> dict[str, float]:
    from admin.reports import officer_table, scorecard

    with app.app_context():
        figures = {
            "report": timed(lambda: officer_table.officer_report(START, END)),
            "scorecard": timed(lambda: scorecard.scorecard(1, START, END, include_integrity=True)),
        }
        db.session.remove()
    client = signed_in_client(app, db)
    span = f"start={START.isoformat()}&end={END.isoformat()}"
    figures["overview"] = page_time(client, f"/?{span}")
    figures["league"] = page_time(client, f"/ranking?{span}")
    return figures


@contextlib.contextmanager
def bench_app(database_url: str, name: str, **config):
    """An app on a new SQLite file, or on PostgreSQL in a schema of its own dropped afterwards: (app, schema or None)."""
    from admin import create_app
    from admin.db import db

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/{name}.db"
        schema = admin_engine = None
        if url.startswith("postgresql"):
            schema = f"hl_bench_{uuid.uuid4().hex[:8]}"
            admin_engine = create_engine(url)
            with admin_engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", **config})
        try:
            yield app, schema
        finally:
            with app.app_context():
                db.engine.dispose()
            if admin_engine is not None:
                with admin_engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    args = parser.parse_args()

    from admin.db import db
    from admin.models import Desk, Kiosk, Officer, Unit
    from admin.reports.daily_counts import rebuild_daily_counts

    with bench_app(args.database_url, "report", WTF_CSRF_ENABLED=False) as (app, schema):
        with app.app_context():
            db.create_all()
            build_province(db, Unit, Desk, Officer, Kiosk)
            engine = db.engine
        rng = random.Random(20261127)
        results = []
        loaded = 0
        for n in (args.ratings // 10, args.ratings):
            t = time.perf_counter()
            load_ratings(engine, n, loaded, rng)
            loaded = n
            with app.app_context():
                rebuild_daily_counts()
                if schema:
                    db.session.execute(text("ANALYZE ratings, daily_counts, officers, desks, units"))
                    db.session.commit()
            load_s = time.perf_counter() - t
            figures = measure(app, db)
            results.append((n, figures))
            print(f"N = {n:>11,}  loaded in {load_s:6.1f} s   six months, {OFFICERS:,} officers: "
                  + "   ".join(f"{LABELS[k]} {v * 1000:7.1f} ms" for k, v in figures.items()), flush=True)
    (n1, small), (n2, large) = results
    print(f"database: {engine.dialect.name}; growth for {n2 // n1}x the ratings: "
          + ", ".join(f"{LABELS[k]} {large[k] / small[k]:.2f}x" for k in large) + f" (linear would be {n2 / n1:.0f}x)")
    print(f"target <= 500 ms each at N = {n2:,}: "
          + ", ".join(f"{LABELS[k]} {'met' if large[k] <= 0.5 else 'NOT met'}" for k in large))


if __name__ == "__main__":
    main()
