"""Official report benchmark: the province's XLSX (2,000 officers) and a district's PDF (200 officers).

The province of ``bench/report.py`` (its ``build_province``: 2,000 officers,
1,000 desks, 100 communes), with the communes put under 10 districts of 200
officers each, and the daily counts that N ratings over two halves make
(2025-H2 and 2026-H1, so every figure has its previous period). The report
reads only the daily counts, never the single ratings, so the benchmark
writes those counts directly, as ingestion would have kept them: at
10,000,000 ratings nearly every (day, officer, score) has a row, about
2.2 million rows, plus one reason row per officer and day. It times
``official_report`` + ``report_xlsx`` for the province and + ``report_pdf``
for one district, and prints each file's size.

    .venv/bin/python bench/official_reports.py --ratings 1000000                # SQLite
    .venv/bin/python bench/official_reports.py --ratings 10000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Targets: the province's XLSX in at most 3 s, the district's PDF in at most
5 s. On PostgreSQL the benchmark works in a schema of its own and drops it
afterwards.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import text

from report import bench_app, build_province  # bench/report.py: the same province (it puts the project on sys.path)


OFFICERS, COMMUNES, DISTRICTS = 2_000, 100, 10
FIRST, LAST = date(2025, 7, 1), date(2026, 6, 30)
REASONS = ("slow", "attitude", "unclear", "extra_papers", "harassment", "bribe", "other")
REPEAT = 3


def districts(db, Unit) -> None:
    """Ten districts under the province, ten communes under each (ids 2..101 are the communes)."""
    db.session.execute(Unit.__table__.insert(), [
        {"id": 200 + d, "name": f"Huyện số {d + 1}", "kind": "district", "parent_id": 1, "path": f"/1/{200 + d}/", "active": True}
        for d in range(DISTRICTS)
    ])
    for commune in range(2, 2 + COMMUNES):
        district = 200 + (commune - 2) // 10
        db.session.execute(
            text("UPDATE units SET parent_id = :p, path = :path, name = :name WHERE id = :id"),
            {"p": district, "path": f"/1/{district}/{commune}/", "id": commune,
             "name": f"Ủy ban nhân dân xã Phước Long Thạnh Đông số {commune - 1}"},
        )
    db.session.execute(text("UPDATE officers SET name = 'Nguyễn Thị Ngọc Huyền ' || code"))
    db.session.commit()


def count_rows(ratings: int, rng: random.Random):
    """(day, officer, desk, score, count) rows and reason rows for ``ratings`` ratings over the two halves."""
    days = (LAST - FIRST).days + 1
    per_cell = ratings / (OFFICERS * days)
    counts, reasons = [], []
    for o in range(OFFICERS):
        desk = o // 2 + 1
        for d in range(days):
            day = FIRST + timedelta(days=d)
            total = int(per_cell * 2 * rng.random() + 0.5)
            if not total:
                continue
            low = total // 10 + (rng.random() < (total % 10) / 10)
            mid = (total - low) * 3 // 10
            for score, n in ((1, low), (2, mid), (3, total - low - mid)):
                if n:
                    counts.append((day, o + 1, desk, score, n))
            if low:
                reasons.append((day, o + 1, desk, REASONS[rng.randrange(len(REASONS))], low))
    return counts, reasons


def load(engine, counts, reasons) -> None:
    with engine.begin() as conn:
        cur = conn.connection.dbapi_connection.cursor()
        for table, last, rows in (("daily_counts", "score", counts), ("daily_reason_counts", "reason_code", reasons)):
            if engine.dialect.name == "postgresql":
                with cur.copy(f"COPY {table} (day, officer_id, desk_id, {last}, count) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {table} (day, officer_id, desk_id, {last}, count) VALUES (?, ?, ?, ?, ?)",
                                ((r[0].isoformat(), *r[1:]) for r in rows))
        cur.close()


def timed(fn) -> tuple[float, bytes]:
    body = fn()
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        body = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    args = parser.parse_args()

    from admin.db import db
    from admin.models import Desk, Kiosk, Officer, Unit
    from admin.periods import parse_period
    from admin.reports.daily_counts import rebuild_monthly_counts
    from admin.reports.official import official_report
    from admin.reports.official_pdf import report_pdf
    from admin.reports.official_xlsx import report_xlsx
    from admin.scale import ensure_default_reasons

    with bench_app(args.database_url, "official") as (app, schema):
        with app.app_context():
            db.create_all()
            ensure_default_reasons()
            build_province(db, Unit, Desk, Officer, Kiosk)
            districts(db, Unit)
            t = time.perf_counter()
            counts, reasons = count_rows(args.ratings, random.Random(20261203))
            load(db.engine, counts, reasons)
            # The monthly counts ingestion would have kept beside the daily ones.
            rebuild_monthly_counts()
            if schema:
                # Only this schema's tables: a bare ANALYZE waits on every other schema's locks.
                db.session.execute(text("ANALYZE units, desks, officers, daily_counts, monthly_counts, daily_reason_counts"))
                db.session.commit()
            ratings = sum(row[4] for row in counts)
            print(f"database: {db.engine.dialect.name}; {ratings:,} ratings as {len(counts):,} daily counts "
                  f"and {len(reasons):,} reason counts, loaded in {time.perf_counter() - t:.1f} s")
            period = parse_period("2026-H1")

            def province_xlsx() -> bytes:
                return report_xlsx(official_report(1, period, date(2026, 7, 15), include_integrity=True))

            def district_pdf() -> bytes:
                return report_pdf(official_report(200, period, date(2026, 7, 15), include_integrity=True))

            for name, fn, target, officers in (("province XLSX", province_xlsx, 3.0, OFFICERS),
                                               ("district PDF", district_pdf, 5.0, OFFICERS // DISTRICTS)):
                seconds, body = timed(fn)
                pages = body.count(b"/Type /Page\n") if body.startswith(b"%PDF") else None
                size = f"{len(body) / 1024:,.0f} KiB" + (f", {pages} pages" if pages else "")
                print(f"{name} ({officers:,} officers, {size}): {seconds:.2f} s  "
                      f"(target <= {target:.0f} s: {'met' if seconds <= target else 'NOT met'})")
            db.session.remove()

if __name__ == "__main__":
    main()
