"""Ingest benchmark: the kiosk API under waitress on 127.0.0.1.

Starts ``python -m admin`` on a fresh database and measures, in one run,
with the same client processes:

  (a) GET /healthz, a trivial request: the ceiling of Flask + waitress here;
  (b) POST /api/v1/ratings with one rating per request;
  (c) POST /api/v1/ratings with 100 ratings per request.

Prints requests/s and ratings/s for each, and the ratio b/a. Targets on a
2-core machine, SQLite: b >= 0.5 x a, c >= 40,000 ratings/s.

    .venv/bin/python bench/ingest.py [--seconds 5] [--clients 2] [--database-url URL]

Traffic goes to 127.0.0.1 only; every phase is bounded in time and count.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_REQUESTS_PER_CLIENT = 50_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str) -> str:
    """Create the schema, one desk and one kiosk; return the kiosk's token."""
    from flask_migrate import upgrade

    from admin import MIGRATIONS_DIR, create_app
    from admin.db import db
    from admin.kiosks import register_kiosk
    from admin.models import Desk, Unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        upgrade(directory=MIGRATIONS_DIR)
        unit = Unit(name="Bench", kind="province", path="")
        db.session.add(unit)
        db.session.flush()
        unit.path = f"/{unit.id}/"
        desk = Desk(unit=unit, name="Bench desk")
        _, token = register_kiosk(desk, "bench kiosk")
        db.session.commit()
        db.engine.dispose()
    return token


def start_server(url: str, port: int, instance: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "ADMIN_DATABASE_URL": url,
        "ADMIN_PORT": str(port),
        "ADMIN_HOST": "127.0.0.1",
        "ADMIN_SECRET_KEY": "bench",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "admin"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("The central service did not start: " + proc.stderr.read().decode()[-2000:])


def rating_bodies(n_requests: int, per_request: int, seq_start: int) -> list[bytes]:
    created = (datetime.now(timezone(timedelta(hours=7))) - timedelta(minutes=1)).isoformat(timespec="seconds")
    bodies = []
    seq = seq_start
    for _ in range(n_requests):
        items = []
        for _ in range(per_request):
            items.append(
                {"id": str(uuid.uuid4()), "seq": seq, "score": 1 + seq % 3, "officer_id": None,
                 "reasons": ["slow"] if seq % 3 == 0 else [], "source": "touch", "created_at": created}
            )
            seq += 1
        bodies.append(json.dumps({"ratings": items}).encode())
    return bodies


def client(port: int, token: str, phase: str, per_request: int, seconds: float, worker: int, out: mp.Queue):
    """Send requests back to back on one keep-alive connection until time or bodies run out."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if phase == "get":
        bodies = [None] * MAX_REQUESTS_PER_CLIENT
    else:
        n = min(MAX_REQUESTS_PER_CLIENT, max(1, 400_000 // per_request))
        bodies = rating_bodies(n, per_request, seq_start=1 + worker * 10_000_000)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = errors = 0
    start = time.perf_counter()
    deadline = start + seconds
    for body in bodies:
        if time.perf_counter() >= deadline:
            break
        if body is None:
            conn.request("GET", "/healthz")
        else:
            conn.request("POST", "/api/v1/ratings", body=body, headers=headers)
        res = conn.getresponse()
        payload = res.read()
        if res.status != 200 or (body is not None and b'"rejected":[]' not in payload.replace(b" ", b"")):
            errors += 1
        done += 1
    out.put((done, errors, time.perf_counter() - start))


def run_phase(port, token, phase, per_request, seconds, clients) -> tuple[float, int]:
    out: mp.Queue = mp.Queue()
    procs = [
        mp.Process(target=client, args=(port, token, phase, per_request, seconds, w, out)) for w in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    requests = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return requests / elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        token = prepare_database(url)
        port = free_port()
        server = start_server(url, port, tmp)
        try:
            db_name = url.split(":", 1)[0]
            print(f"database: {db_name}; {args.clients} client processes; {args.seconds:.0f} s per phase; "
                  f"{os.cpu_count()} cores")
            a, a_err = run_phase(port, token, "get", 1, args.seconds, args.clients)
            b, b_err = run_phase(port, token, "post", 1, args.seconds, args.clients)
            c, c_err = run_phase(port, token, "post", 100, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"(a) GET /healthz              {a:10,.0f} requests/s   errors {a_err}")
    print(f"(b) POST ratings, 1 per req   {b:10,.0f} requests/s   {b:10,.0f} ratings/s   errors {b_err}")
    print(f"(c) POST ratings, 100 per req {c:10,.0f} requests/s   {c * 100:10,.0f} ratings/s   errors {c_err}")
    print(f"ratio b/a: {b / a:.2f}   (target >= 0.50: {'met' if b / a >= 0.5 else 'NOT met'})")
    print(f"(c) ratings/s: {c * 100:,.0f}   (target >= 40,000: {'met' if c * 100 >= 40_000 else 'NOT met'})")


if __name__ == "__main__":
    main()
