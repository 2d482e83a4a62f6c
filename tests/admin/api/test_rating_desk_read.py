"""A rating from a desk whose copies have gone stale reads the desk in one statement.

In a fleet every desk sends a rating a minute or so, long after the few
seconds its copies of the desk's officers and duty periods are kept: each
rating found both stale and paid a statement for each (issue 12, fleet
scale). Both are now read in one statement; the checks stay the same: an
officer of another unit who has been on duty at the desk is still rated, one
who never served there is refused, and one not on duty is kept for nobody.
"""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from admin.db import db, utcnow
from admin.models import DutyPeriod, Rating

VN = timezone(timedelta(hours=7))
DESK_COPIES = ("hailong.desk_officers", "hailong.desk_duty")


def rating(officer_id: int | None, seq: int = 1) -> dict:
    at = datetime.now(VN) - timedelta(minutes=1)
    return {"id": str(uuid.uuid4()), "seq": seq, "score": 2, "officer_id": officer_id, "reasons": [],
            "source": "touch", "created_at": at.isoformat(timespec="seconds")}


def post(app, token: str, items: list[dict]) -> dict:
    res = app.test_client().post("/api/v1/ratings", json={"ratings": items}, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    return res.get_json()


def forget_desks(app) -> None:
    """As when a desk's copies have gone stale between two of its ratings."""
    for name in DESK_COPIES:
        app.extensions.pop(name, None)


@pytest.fixture
def desk_statements(app):
    """The statements SQLite runs that read the officers or the duty periods, on every connection of the app."""
    seen: list[str] = []

    def trace(conn, _record):
        if isinstance(conn, sqlite3.Connection):
            conn.set_trace_callback(
                lambda sql: seen.append(sql) if sql.lstrip().upper().startswith("SELECT")
                and ("duty_periods" in sql or "officers" in sql) else None
            )

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("statements are counted with SQLite's trace callback")
        engine.dispose()  # every connection from here on is traced
        event.listen(engine, "connect", trace)
    yield seen
    event.remove(engine, "connect", trace)


def test_a_stale_desk_is_read_in_one_statement(app, world, desk_statements):
    forget_desks(app)
    answer = post(app, world.token_a, [rating(world.officer_a_id)])
    assert len(answer["accepted"]) == 1
    assert len(desk_statements) == 1, desk_statements
    # Within the copies' few seconds, the desk's next rating reads nothing.
    post(app, world.token_a, [rating(world.officer_a_id, seq=2)])
    assert len(desk_statements) == 1, desk_statements


def test_the_one_read_checks_as_before(app, world):
    """Officer B (commune B) once on duty at desk A is rated there; officer A2 (commune A) is kept for nobody
    when not on duty; an officer of another unit who never served at the desk is refused."""
    with app.app_context():
        db.session.add(DutyPeriod(desk_id=world.desk_a_id, officer_id=world.officer_b_id, origin="kiosk",
                                  starts_at=utcnow() - timedelta(hours=2), ends_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    forget_desks(app)
    items = [rating(world.officer_b_id, 1), rating(world.officer_a2_id, 2), rating(world.officer_a_id, 3)]
    answer = post(app, world.token_a, items)
    assert answer["accepted"] == [item["id"] for item in items]
    forget_desks(app)
    refused = rating(world.officer_a_id, 2)
    answer = post(app, world.token_b, [rating(world.officer_b_id, 1), refused])
    assert [(r["id"], r["error"]["code"]) for r in answer["rejected"]] == [(refused["id"], "unknown_officer")]
    with app.app_context():
        stored = dict(db.session.execute(
            select(Rating.seq, Rating.officer_id).where(Rating.desk_id == world.desk_a_id)
        ).tuples().all())
    assert stored == {1: world.officer_b_id, 2: None, 3: world.officer_a_id}
