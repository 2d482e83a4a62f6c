"""A kiosk's duty events start and end duty at its own desk only (POST /api/v1/kiosk/duty).

A kiosk token signs officers in without proof of the PIN (the kiosk checks
it offline), so the service must not let one desk's kiosk take an officer
away from another desk: a sign-in of an officer on duty elsewhere at that
time is refused (``on_duty_elsewhere``) and the other desk keeps its
officer. The console's duty pages still move officers between desks.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from admin.db import db, utcnow
from admin.kiosks import register_kiosk
from admin.models import Desk, DutyEvent, DutyPeriod

VN = timezone(timedelta(hours=7))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event(officer_id: int, action: str = "sign_in", at: datetime | None = None) -> dict:
    at = at or datetime.now(VN) - timedelta(seconds=30)
    return {"id": str(uuid.uuid4()), "officer_id": officer_id, "action": action, "at": at.isoformat()}


@pytest.fixture
def second_desk(app, world):
    """A second desk of commune A with its own kiosk: (desk id, token). Officer A is on duty at desk A."""
    with app.app_context():
        desk = Desk(unit_id=world.commune_a_id, name="Quầy 2 — Tư pháp")
        db.session.add(desk)
        db.session.flush()
        _, token = register_kiosk(desk, "Mai Trung — quầy 2")
        db.session.commit()
        return desk.id, token


def periods(app, officer_id: int) -> list[tuple[int, bool]]:
    """(desk, still running) of every duty period of the officer."""
    with app.app_context():
        return [
            (p.desk_id, p.ends_at is None)
            for p in db.session.scalars(select(DutyPeriod).where(DutyPeriod.officer_id == officer_id).order_by(DutyPeriod.id))
        ]


def test_sign_in_of_an_officer_on_duty_at_another_desk_is_refused_and_ends_nothing(app, client, world, second_desk):
    _, token = second_desk
    taken = event(world.officer_a_id)
    body = client.post("/api/v1/kiosk/duty", json={"events": [taken]}, headers=auth(token)).get_json()
    assert body["accepted"] == [] and body["duplicates"] == []
    assert [(r["id"], r["error"]["code"]) for r in body["rejected"]] == [(taken["id"], "on_duty_elsewhere")]
    assert "another desk" in body["rejected"][0]["error"]["message"]
    # Desk A keeps its officer; nothing of the refused event is stored.
    assert periods(app, world.officer_a_id) == [(world.desk_a_id, True)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DutyEvent)) == 0
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert config["on_duty"]["officer_id"] == world.officer_a_id


def test_sign_out_from_another_desk_ends_nothing_there(app, client, world, second_desk):
    _, token = second_desk
    body = client.post(
        "/api/v1/kiosk/duty", json={"events": [event(world.officer_a_id, "sign_out")]}, headers=auth(token)
    ).get_json()
    # Stored, as every well-formed event is, but it can only end duty at the kiosk's own desk.
    assert len(body["accepted"]) == 1
    assert periods(app, world.officer_a_id) == [(world.desk_a_id, True)]


def test_the_rest_of_a_batch_goes_on_beside_a_refused_sign_in(app, client, world, second_desk):
    desk_id, token = second_desk
    refused, free = event(world.officer_a_id), event(world.officer_a2_id)
    body = client.post("/api/v1/kiosk/duty", json={"events": [refused, free]}, headers=auth(token)).get_json()
    assert body["accepted"] == [free["id"]]
    assert [r["id"] for r in body["rejected"]] == [refused["id"]]
    assert periods(app, world.officer_a2_id) == [(desk_id, True)]
    assert periods(app, world.officer_a_id) == [(world.desk_a_id, True)]


def test_sign_in_once_the_other_desk_signed_the_officer_out(app, client, world, second_desk):
    """The officer signs out at desk A (its kiosk), then in at desk 2: both are taken, in that order."""
    desk_id, token = second_desk
    left = datetime.now(VN) - timedelta(minutes=3)
    out = client.post("/api/v1/kiosk/duty", json={"events": [event(world.officer_a_id, "sign_out", left)]},
                      headers=auth(world.token_a)).get_json()
    assert len(out["accepted"]) == 1
    came = event(world.officer_a_id, at=left + timedelta(minutes=1))
    body = client.post("/api/v1/kiosk/duty", json={"events": [came]}, headers=auth(token)).get_json()
    assert body["accepted"] == [came["id"]]
    assert periods(app, world.officer_a_id) == [(world.desk_a_id, False), (desk_id, True)]


def test_sign_in_before_the_other_desks_period_began_is_taken(app, client, world, second_desk):
    """On duty elsewhere is judged at the event's time: a late sign-in from before that period is no clash."""
    desk_id, token = second_desk
    with app.app_context():
        period = db.session.scalars(select(DutyPeriod).where(DutyPeriod.officer_id == world.officer_a_id)).one()
        period.starts_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    early = event(world.officer_a_id, at=datetime.now(VN) - timedelta(minutes=20))
    body = client.post("/api/v1/kiosk/duty", json={"events": [early]}, headers=auth(token)).get_json()
    assert body["accepted"] == [early["id"]]
    assert (world.desk_a_id, True) in periods(app, world.officer_a_id)


def test_an_accepted_sign_in_sent_again_is_a_duplicate_even_once_the_officer_moved(app, client, world, second_desk):
    """A lost acknowledgement: the same event again is answered as a duplicate, never refused."""
    desk_id, token = second_desk
    first = event(world.officer_a2_id, at=datetime.now(VN) - timedelta(minutes=5))
    assert client.post("/api/v1/kiosk/duty", json={"events": [first]}, headers=auth(token)).get_json()["accepted"]
    # A manager then moves officer A2 to desk A (from a minute before the event, as the console may).
    with app.app_context():
        for period in db.session.scalars(select(DutyPeriod)):
            period.ends_at = period.starts_at
        db.session.add(DutyPeriod(desk_id=world.desk_a_id, officer_id=world.officer_a2_id,
                                  starts_at=utcnow() - timedelta(minutes=6), origin="scheduled"))
        db.session.commit()
    again = client.post("/api/v1/kiosk/duty", json={"events": [first]}, headers=auth(token)).get_json()
    assert again["duplicates"] == [first["id"]]
