"""Helpers for the console tests: accounts, signing in, forms with their CSRF token, ratings.

The tests drive the console as a browser would: they read the CSRF token
from the page that holds the form, post it back, and look at the text a
person would read.
"""
from __future__ import annotations

import contextlib
import html
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from werkzeug.serving import make_server

from admin.db import db
from admin.models import Kiosk, Rating, User
from admin.users import hash_password

PASSWORD = "correct horse battery"


def add_user(app, username: str, role: str, unit_id: int | None = None, password: str = PASSWORD) -> int:
    with app.app_context():
        user = User(username=username, password_hash=hash_password(password), role=role, unit_id=unit_id)
        db.session.add(user)
        db.session.commit()
        return user.id


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    """Sign in through the login form; returns the answer to the POST."""
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf_token(page), "username": username, "password": password})


def submit(client, page_url: str, action: str | None = None, data: dict | None = None, **kwargs):
    """Open ``page_url``, take the CSRF token from it, and post ``data`` to ``action`` (or the page)."""
    page = client.get(page_url)
    assert page.status_code == 200, f"{page_url} answered {page.status_code}"
    return client.post(
        action or page_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **(data or {})}, **kwargs
    )


def text(response) -> str:
    """What a person reads on the page: the text without tags, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def add_ratings(
    app,
    kiosk_id: int,
    ratings: list[tuple[int, int | None, list[str]]],
    when: datetime | None = None,
    first_seq: int | None = None,
):
    """Store ratings (score, officer id, reason codes) from a kiosk, as the API would.

    They are numbered on from the kiosk's last one, or from ``first_seq``.
    """
    from admin.api.auth import KioskRef
    from admin.api.rating_store import store_ratings


    when = when or datetime.now(timezone.utc) - timedelta(seconds=2)
    with app.app_context():
        kiosk = db.session.get(Kiosk, kiosk_id)
        last = db.session.execute(select(func.max(Rating.seq)).where(Rating.kiosk_id == kiosk_id)).scalar()
        start = first_seq or (last or 0) + 1
        items = [
            {
                "id": str(uuid.uuid4()),
                "seq": start + n,
                "score": score,
                "officer_id": officer_id,
                "reasons": reasons,
                "source": "touch",
                "created_at": when.isoformat(),
            }
            for n, (score, officer_id, reasons) in enumerate(ratings)
        ]
        result = store_ratings(KioskRef.of(kiosk), items, received_at=when + timedelta(seconds=1))
        db.session.commit()
        assert not result.rejected, result.rejected


def signed_in(app, role: str, unit_id: int | None = None, username: str | None = None):
    """A test client signed in as a new account with ``role`` (and ``unit_id``)."""
    username = username or f"{role}{unit_id or ''}"
    add_user(app, username, role, unit_id)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@contextlib.contextmanager
def serving(app):
    """``app`` served over real HTTP on 127.0.0.1, for a browser: its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
