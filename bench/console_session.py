"""Console session benchmark: what checking the sign-in session on the server adds to a page.

Signs an administrator in through the form and times, through the test client
(the whole request, no network), a trivial GET (``/healthz``, no session) and
a small console page (``/audit``: the session check, one short list, the menu's
counts), interleaved so that both see the same machine. It counts the SQL
statements of one page too. Where the session lives on the server
(``admin/console/sign_in_sessions.py``), it times the user loader alone as it
was (the user by id) and as it is (the open session joined to its user), in
the same run, and the page with the "last seen" write made on every request
instead of once a minute, the worst case. Run it on a tree before the change
too and compare the ratios.

    .venv/bin/python bench/console_session.py                      # SQLite
    .venv/bin/python bench/console_session.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import bench_app  # noqa: E402  (bench/report.py: an app on its own database)

PASSWORD = "bench password 2026"


def per_request_ms(client, path: str, n: int) -> float:
    """The median of ``n`` GETs of ``path``, in milliseconds."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def statements_per_page(app, client, path: str) -> int:
    from sqlalchemy import event

    from admin.db import db

    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def _session_token(app, client) -> str:
    from flask.sessions import SecureCookieSessionInterface

    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    return signer.loads(client.get_cookie("session").value)["_user_id"]


def loader_times(app, token: str, n: int, rounds: int) -> tuple[float, float]:
    """The median time of the old user loader (the user by id) and the new one (the session joined to its user).

    Interleaved in one process, each on a new database session as a request would be.
    """
    from admin.console import sign_in_sessions
    from admin.db import db
    from admin.models import User

    def median_ms(load) -> float:
        times = []
        with app.test_request_context():
            for _ in range(n):
                t = time.perf_counter()
                assert load() is not None
                db.session.remove()
                times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000

    old, new = [], []
    for _ in range(rounds):
        old.append(median_ms(lambda: db.session.get(User, 1)))
        new.append(median_ms(lambda: sign_in_sessions.load(token)))
    return statistics.median(old), statistics.median(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from admin.db import db
    from admin.models import User
    from admin.users import hash_password

    with bench_app(args.database_url, "console_session") as (app, _schema):
        with app.app_context():
            db.create_all()
            db.session.add(User(username="quantri", password_hash=hash_password(PASSWORD), role="admin"))
            db.session.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post("/login", data={"csrf_token": token, "username": "quantri", "password": PASSWORD})
        assert answer.status_code == 302, "sign-in failed"
        per_round = max(args.requests // args.rounds, 1)
        trivial, console = [], []
        for _ in range(args.rounds):
            trivial.append(per_request_ms(client, "/healthz", per_round))
            console.append(per_request_ms(client, "/audit", per_round))
        healthz, page_ms = statistics.median(trivial), statistics.median(console)
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; {args.rounds} rounds of {per_round} GETs each")
        print(f"GET /healthz (trivial, baseline): {healthz:.2f} ms")
        print(f"GET /audit (signed in):           {page_ms:.2f} ms  = x{page_ms / healthz:.2f} the trivial GET")
        print(f"SQL statements in one /audit:     {statements_per_page(app, client, '/audit')}")
        try:
            from admin.console import sign_in_sessions
        except ImportError:
            return
        token = _session_token(app, client)
        old, new = loader_times(app, token, per_round, args.rounds)
        print(f"user loader alone, as before (the user by id):          {old:.3f} ms")
        print(f"user loader alone, now (the open session with its user): {new:.3f} ms = x{new / old:.2f}")
        step = sign_in_sessions.SEEN_STEP
        sign_in_sessions.SEEN_STEP = timedelta(0)
        try:
            always = statistics.median(per_request_ms(client, "/audit", per_round) for _ in range(args.rounds))
        finally:
            sign_in_sessions.SEEN_STEP = step
        print(f"GET /audit, last-seen written on every request (worst case): {always:.2f} ms "
              f"= x{always / healthz:.2f} the trivial GET, x{always / page_ms:.2f} the page as served")


if __name__ == "__main__":
    main()
