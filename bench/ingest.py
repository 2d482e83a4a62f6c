"""Ingest benchmark: the kiosk API under waitress on 127.0.0.1.

Starts ``python -m admin`` on a fresh database and measures, in one run,
with the same client processes:

  (a) GET /healthz, a trivial request: the ceiling of Flask + waitress here;
  (b) POST /api/v1/ratings with one rating per request;
  (c) POST /api/v1/ratings with 100 ratings per request;
  (d) as (c), with random (version 4) UUIDs instead of the kiosk's version 7.

The ratings are what a kiosk sends: ids made as the kiosk makes them
(``kiosk.ids``: UUID version 7, in time order), for the officer on duty at
its desk, a third of them low with a reason. (d) shows what a client sending
random UUIDs costs: each of its ratings dirties another page of the UUID index.

Prints requests/s and ratings/s for each, and the ratio b/a. Targets on a
2-core machine, SQLite: b >= 0.5 x a, c >= 40,000 ratings/s.

    .venv/bin/python bench/ingest.py [--seconds 5] [--clients 2] [--connections 4] [--database-url URL]

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
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.ids import new_id  # noqa: E402  (after the path is set)

MAX_REQUESTS_PER_CLIENT = 50_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str) -> tuple[str, int]:
    """Create the schema, a desk with an officer on duty and its kiosk; return the kiosk's token and the officer."""
    from flask_migrate import upgrade

    from admin import MIGRATIONS_DIR, create_app
    from admin.db import db, utcnow
    from admin.duty import sign_in
    from admin.kiosks import register_kiosk
    from admin.models import Desk, Officer, Unit

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
        officer = Officer(code="BENCH-1", name="Bench officer", unit=unit)
        db.session.add(officer)
        _, token = register_kiosk(desk, "bench kiosk")
        db.session.flush()
        # As at a real desk: a kiosk takes ratings for the officer on duty.
        sign_in(desk.id, officer.id, utcnow() - timedelta(hours=1))
        db.session.commit()
        officer_id = officer.id
        db.engine.dispose()
    return token, officer_id


def start_server(url: str, port: int, log) -> subprocess.Popen:
    """``python -m admin`` on ``port``, its standard error into the open file ``log``."""
    env = {
        **os.environ,
        "ADMIN_DATABASE_URL": url,
        "ADMIN_PORT": str(port),
        "ADMIN_HOST": "127.0.0.1",
        "ADMIN_SECRET_KEY": "bench",
    }
    proc = subprocess.Popen(
        # Into a file, not a pipe: a pipe nobody reads fills up with waitress's
        # "task queue depth" warnings and then stops the server mid-run.
        [sys.executable, "-m", "admin"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
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
    log.seek(0)
    raise SystemExit("The central service did not start: " + log.read().decode()[-2000:])


def rating_bodies(n_requests: int, per_request: int, seq_start: int, officer_id: int, make_id=new_id) -> list[bytes]:
    created = (datetime.now(timezone(timedelta(hours=7))) - timedelta(minutes=1)).isoformat(timespec="seconds")
    bodies = []
    seq = seq_start
    for _ in range(n_requests):
        items = []
        for _ in range(per_request):
            items.append(
                {"id": make_id(), "seq": seq, "score": 1 + seq % 3, "officer_id": officer_id,
                 "reasons": ["slow"] if seq % 3 == 0 else [], "source": "touch", "created_at": created}
            )
            seq += 1
        bodies.append(json.dumps({"ratings": items}).encode())
    return bodies


def client(port: int, kiosk: tuple[str, int], phase: str, per_request: int, seconds: float, worker: int, connections: int,
           out: mp.Queue):
    """Send requests on ``connections`` keep-alive connections, each back to back, until time or bodies run out.

    Several connections per process stand for many kiosks sending at once,
    as a province's do; each waits for its answer before sending again.
    """
    token, officer_id = kiosk
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if phase == "get":
        bodies = [None] * MAX_REQUESTS_PER_CLIENT
    else:
        n = min(MAX_REQUESTS_PER_CLIENT, max(1, 400_000 // per_request))
        make_id = (lambda: str(uuid.uuid4())) if phase == "post-v4" else new_id
        bodies = rating_bodies(n, per_request, 1 + worker * 10_000_000, officer_id, make_id)
    shares = [bodies[i::connections] for i in range(connections)]
    tallies = [[0, 0] for _ in range(connections)]
    start = time.perf_counter()
    deadline = start + seconds

    def send(share: list, tally: list) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in share:
            if time.perf_counter() >= deadline:
                break
            if body is None:
                conn.request("GET", "/healthz")
            else:
                conn.request("POST", "/api/v1/ratings", body=body, headers=headers)
            res = conn.getresponse()
            payload = res.read()
            if res.status != 200 or (body is not None and b'"rejected":[]' not in payload.replace(b" ", b"")):
                tally[1] += 1
            tally[0] += 1
        conn.close()

    threads = [threading.Thread(target=send, args=(share, tally)) for share, tally in zip(shares, tallies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(t[0] for t in tallies), sum(t[1] for t in tallies), time.perf_counter() - start))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(port, kiosk, phase, per_request, seconds, clients, connections, server_pid) -> tuple[float, int, float]:
    """Requests/s, errors, and the server's CPU milliseconds per request (robust to other load)."""
    out: mp.Queue = mp.Queue()
    procs = [
        mp.Process(target=client, args=(port, kiosk, phase, per_request, seconds, w, connections, out))
        for w in range(clients)
    ]
    for p in procs:
        p.start()
    cpu_before = cpu_seconds(server_pid)
    results = [out.get(timeout=seconds + 300) for _ in procs]
    cpu_used = cpu_seconds(server_pid) - cpu_before
    for p in procs:
        p.join()
    requests = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return requests / elapsed, errors, cpu_used * 1000 / max(requests, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per client process")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        kiosk = prepare_database(url)
        port = free_port()
        server_log = open(Path(tmp) / "server.log", "w+b")
        server = start_server(url, port, server_log)
        try:
            db_name = url.split(":", 1)[0]
            print(f"database: {db_name}; {args.clients} client processes x {args.connections} connections; "
                  f"{args.seconds:.0f} s per phase; {os.cpu_count()} cores")
            a, a_err, a_cpu = run_phase(port, kiosk, "get", 1, args.seconds, args.clients, args.connections, server.pid)
            b, b_err, b_cpu = run_phase(port, kiosk, "post", 1, args.seconds, args.clients, args.connections, server.pid)
            c, c_err, c_cpu = run_phase(port, kiosk, "post", 100, args.seconds, args.clients, args.connections, server.pid)
            d, d_err, d_cpu = run_phase(
                port, kiosk, "post-v4", 100, args.seconds, args.clients, args.connections, server.pid
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            server_log.close()
    print(f"(a) GET /healthz              {a:10,.0f} requests/s                        "
          f"server CPU {a_cpu:.3f} ms/request   errors {a_err}")
    print(f"(b) POST ratings, 1 per req   {b:10,.0f} requests/s   {b:10,.0f} ratings/s   "
          f"server CPU {b_cpu:.3f} ms/request   errors {b_err}")
    print(f"(c) POST ratings, 100 per req {c:10,.0f} requests/s   {c * 100:10,.0f} ratings/s   "
          f"server CPU {c_cpu:.3f} ms/request   errors {c_err}")
    print(f"(d) as (c), random UUIDv4    {d:10,.0f} requests/s   {d * 100:10,.0f} ratings/s   "
          f"server CPU {d_cpu:.3f} ms/request   errors {d_err}")
    print(f"ratio b/a: {b / a:.2f}   (target >= 0.50: {'met' if b / a >= 0.5 else 'NOT met'})")
    print(f"(c) ratings/s: {c * 100:,.0f}   (target >= 40,000: {'met' if c * 100 >= 40_000 else 'NOT met'})")
    print(f"server CPU per request, b/a: {b_cpu / a_cpu:.2f}; per rating in (c): {c_cpu * 10:.1f} µs "
          "(less sensitive than requests/s to other work on the machine)")


if __name__ == "__main__":
    main()
