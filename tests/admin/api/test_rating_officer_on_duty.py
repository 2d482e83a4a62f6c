"""A rating counts against the officer it names only if that officer was on duty at the kiosk's desk.

The attack of issue 12: a kiosk token sent a bribe complaint against an
officer scheduled at another desk while its own desk had nobody on duty,
and it was filed against that officer. Such a rating is still stored (a
citizen's rating is never lost), for the desk with nobody on duty, so its
complaint still reaches the inspectors of the desk; the item is answered
``accepted``; and the administrators get an ``officer_not_on_duty`` alert
naming the kiosk and the officer. The duty check allows a slack of a
heartbeat and a minute around the rating's time (by the kiosk's clock and
by ours, from the kiosk's measured offset) for a kiosk that learns of a
change of duty at its next heartbeat.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from admin.alerts.messages import RULE_TITLES, describe
from admin.cases import file_complaints
from admin.db import db, utcnow
from admin.kiosks import register_kiosk
from admin.models import AuditEntry, Case, DailyCount, Desk, DutyPeriod, Kiosk, Rating, WatchAlert, WatchMark
from admin.watch_rules import run_watch

VN = timezone(timedelta(hours=7))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rating(officer_id: int | None, at: datetime | None = None, seq: int = 1, **fields) -> dict:
    at = at or datetime.now(VN) - timedelta(minutes=1)
    return {"id": str(uuid.uuid4()), "seq": seq, "score": 1, "officer_id": officer_id, "reasons": [],
            "source": "touch", "created_at": at.isoformat(timespec="seconds"), **fields}


def post(client, token: str, items: list[dict]) -> dict:
    res = client.post("/api/v1/ratings", json={"ratings": items}, headers=auth(token))
    assert res.status_code == 200
    return res.get_json()


@pytest.fixture
def desk2(app, world):
    """A second desk of commune A with its own kiosk and nobody on duty: (desk id, kiosk id, token).

    Officer A is on duty (scheduled) at desk A, the first desk of the same commune.
    """
    with app.app_context():
        desk = Desk(unit_id=world.commune_a_id, name="Quầy 2 — Tư pháp")
        db.session.add(desk)
        db.session.flush()
        kiosk, token = register_kiosk(desk, "Mai Trung — quầy 2")
        kiosk.created_at = utcnow() - timedelta(days=30)
        db.session.commit()
        return desk.id, kiosk.id, token


def stored(app) -> list[tuple]:
    with app.app_context():
        return [(r.desk_id, r.officer_id) for r in db.session.scalars(select(Rating).order_by(Rating.seq))]


def watch(app) -> list[WatchAlert]:
    """The alerts about officers not on duty after a watch pass a quarter of an hour on (past the grace)."""
    with app.app_context():
        run_watch(utcnow() + timedelta(minutes=15))
        return list(db.session.scalars(
            select(WatchAlert).where(WatchAlert.rule == "officer_not_on_duty").order_by(WatchAlert.id)
        ))


@pytest.fixture
def watching(app, world):
    """The watch has made its first pass (its marks start at what exists), with no desk-closed check."""
    from datetime import date

    with app.app_context():
        db.session.add(WatchMark(name="desk_closed", last_id=0, last_day=date.max))
        db.session.commit()
        run_watch(utcnow())


def test_complaint_against_an_officer_on_duty_at_another_desk_is_kept_for_nobody(app, client, world, desk2, watching):
    desk_id, kiosk_id, token = desk2
    complaint = rating(world.officer_a_id, reasons=["bribe"])
    assert post(client, token, [complaint]) == {"accepted": [complaint["id"]], "duplicates": [], "rejected": []}
    # Stored for the desk with nobody on duty, and counted so in the reports.
    assert stored(app) == [(desk_id, None)]
    with app.app_context():
        counts = db.session.execute(select(DailyCount.officer_id, DailyCount.desk_id, DailyCount.count)).all()
        assert counts == [(0, desk_id, 1)]
        # The complaint still reaches the inspectors of the desk, in a case about nobody.
        assert file_complaints() == 1
        case = db.session.scalars(select(Case)).one()
        assert (case.desk_id, case.officer_id) == (desk_id, None)
        # What the kiosk named is kept: the audit log says which officer and which rating.
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "officer_not_on_duty")).one()
        assert (entry.entity, entry.entity_id) == ("rating", complaint["id"])
        assert (entry.before, entry.after) == ({"officer_id": world.officer_a_id}, {"officer_id": None})
        assert entry.actor == f"kiosk:{kiosk_id}"
    [alert] = watch(app)
    assert (alert.rule, alert.role, alert.kiosk_id, alert.desk_id, alert.officer_id) == (
        "officer_not_on_duty", "admin", kiosk_id, desk_id, world.officer_a_id)
    assert alert.details["ratings"] == 1 and alert.details["officer_id"] == world.officer_a_id
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        assert describe(alert).startswith("1 ratings from ")
        assert f"named officer {world.officer_a_id}, who was not on duty at this kiosk's desk" in describe(alert)
        assert str(RULE_TITLES[alert.rule]) == "A kiosk named an officer who was not on duty at its desk"


def test_officer_on_duty_at_the_desk_is_rated(app, client, world, watching):
    post(client, world.token_a, [rating(world.officer_a_id, reasons=["bribe"])])
    assert stored(app) == [(world.desk_a_id, world.officer_a_id)]
    assert watch(app) == []


def test_an_officer_who_left_the_desk_is_rated_within_the_slack_only(app, client, world, desk2, watching):
    """Signed out at desk 2 ten minutes ago: a rating a minute after still counts, one five minutes after does not."""
    desk_id, _, token = desk2
    left = utcnow() - timedelta(minutes=10)
    with app.app_context():
        db.session.add(DutyPeriod(desk_id=desk_id, officer_id=world.officer_a2_id, starts_at=left - timedelta(hours=1),
                                  ends_at=left, origin="kiosk"))
        db.session.commit()
    post(client, token, [rating(world.officer_a2_id, left + timedelta(minutes=1), seq=1),
                         rating(world.officer_a2_id, left + timedelta(minutes=5), seq=2),
                         rating(world.officer_a2_id, left - timedelta(minutes=30), seq=3)])
    assert stored(app) == [(desk_id, world.officer_a2_id), (desk_id, None), (desk_id, world.officer_a2_id)]
    [alert] = watch(app)
    assert alert.details["ratings"] == 1


def test_a_kiosk_clock_behind_ours_is_read_with_its_measured_offset(app, client, world, desk2, watching):
    """The kiosk's clock is 5 minutes behind (its heartbeat said so): its 10:56 is our 11:01."""
    desk_id, kiosk_id, token = desk2
    starts = utcnow() - timedelta(minutes=20)
    with app.app_context():
        db.session.add(DutyPeriod(desk_id=desk_id, officer_id=world.officer_a2_id, starts_at=starts,
                                  origin="scheduled"))
        db.session.get(Kiosk, kiosk_id).clock_offset_s = -300.0
        db.session.commit()
    post(client, token, [rating(world.officer_a2_id, starts - timedelta(minutes=4))])
    assert stored(app) == [(desk_id, world.officer_a2_id)]


def test_sent_again_after_a_late_sign_in_is_still_a_duplicate(app, client, world, desk2, watching):
    """The sign-in that would have explained the rating arrives after it: the rating stays as stored."""
    desk_id, _, token = desk2
    item = rating(world.officer_a2_id)
    assert post(client, token, [item])["accepted"] == [item["id"]]
    sign_in = {"id": str(uuid.uuid4()), "officer_id": world.officer_a2_id, "action": "sign_in",
               "at": (datetime.now(VN) - timedelta(minutes=3)).isoformat()}
    assert client.post("/api/v1/kiosk/duty", json={"events": [sign_in]}, headers=auth(token)).get_json()["accepted"]
    assert post(client, token, [item]) == {"accepted": [], "duplicates": [item["id"]], "rejected": []}
    assert stored(app) == [(desk_id, None)]
    # Explained by the sign-in that came late: no alert for it.
    assert watch(app) == []


def test_a_changed_rating_under_a_stored_id_is_still_a_conflict(app, client, world, desk2, watching):
    _, _, token = desk2
    item = rating(world.officer_a_id)
    post(client, token, [item])
    body = post(client, token, [{**item, "score": 3}])
    assert [r["error"]["code"] for r in body["rejected"]] == ["conflict"]


def test_one_alert_per_kiosk_and_officer_counting_every_rating(app, client, world, desk2, watching):
    desk_id, kiosk_id, token = desk2
    post(client, token, [rating(world.officer_a_id, seq=n) for n in range(1, 4)])
    [alert] = watch(app)
    assert alert.details["ratings"] == 3
    post(client, token, [rating(world.officer_a_id, seq=4), rating(world.officer_a2_id, seq=5)])
    alerts = watch(app)
    assert [(a.officer_id, a.details["ratings"]) for a in alerts] == [(world.officer_a_id, 4), (world.officer_a2_id, 1)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating).where(Rating.officer_id.is_(None))) == 5


def test_the_watch_waits_for_a_sign_in_that_may_follow_the_rating(app, client, world, desk2, watching):
    """Within the grace nothing is told; the rating itself is kept for nobody at once."""
    desk_id, _, token = desk2
    post(client, token, [rating(world.officer_a2_id)])
    with app.app_context():
        run_watch(utcnow() + timedelta(minutes=2))
        assert db.session.scalar(select(func.count()).select_from(WatchAlert)
                                 .where(WatchAlert.rule == "officer_not_on_duty")) == 0
    assert stored(app) == [(desk_id, None)]
    assert [a.details["ratings"] for a in watch(app)] == [1]
