"""The watch rules: each fires on data built to trip it, and stays silent on ordinary data."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from admin import watch
from admin.db import db
from admin.models import DutyEvent, Kiosk, Rating, User, WatchAlert, WatchMark
from admin.users import hash_password
from admin.reports.rates import wilson_upper
from admin.watch_rules import WATCH_SETTINGS, run_watch

from .console.console_support import add_ratings



def monday_ahead() -> datetime:
    """10:00 in Vietnam on the first Monday at least a week from now (after the kiosks were registered).

    Taken from the clock, not written down, so that no test depends on today's
    date or hour: the rules are given these instants as their "now".
    """
    vietnam = timezone(timedelta(hours=7))
    day = datetime.now(vietnam).date() + timedelta(days=7)
    day += timedelta(days=-day.weekday() % 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=vietnam).astimezone(timezone.utc)


# A Monday at 10:00 in Vietnam (opening hours), the Sunday before it, and the Tuesday after at 08:00.
MONDAY_10 = monday_ahead()
SUNDAY_10 = MONDAY_10 - timedelta(days=1)
TUESDAY_08 = MONDAY_10 + timedelta(hours=22)


def alerts(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.rule, a.role, a.officer_id or a.kiosk_id or a.desk_id)
            for a in db.session.scalars(select(WatchAlert).order_by(WatchAlert.id))
        ]


def watch_now(app, now: datetime | None = None) -> int:
    with app.app_context():
        return run_watch(now)


def settings(app, **values) -> None:
    with app.app_context():
        WATCH_SETTINGS.store(values)
        db.session.commit()


def kiosk_rules_only(app) -> None:
    """No desk-closed check in tests of the kiosk rules (yesterday's desks have nobody scheduled)."""
    with app.app_context():
        db.session.add(WatchMark(name="desk_closed", last_id=0, last_day=date.max))
        db.session.commit()


@pytest.fixture
def started(app, world):
    """The rules have made their first pass: only what comes after counts.

    The tests' ratings share one instant; a burst needs 1000 of them here but in the burst test.
    """
    kiosk_rules_only(app)
    settings(app, burst_count=1000)
    with app.app_context():
        db.session.execute(update(Kiosk).values(last_seen_at=None))
        db.session.commit()
    watch_now(app, SUNDAY_10)
    return world


def test_wilson_bound_is_not_the_raw_rate():
    assert wilson_upper(18, 30) > 0.70 > 18 / 30
    assert wilson_upper(5, 30) < 0.70
    assert wilson_upper(0, 0) == 1.0


def test_low_satisfaction_needs_enough_ratings_and_a_confident_bound(app, started):
    w = started
    add_ratings(app, w.kiosk_a_id, [(1, w.officer_a_id, [])] * 25 + [(3, w.officer_a_id, [])] * 5)
    # 60 % satisfied over 30 ratings: below 70 % but not confidently.
    add_ratings(app, w.kiosk_a_id, [(1, w.officer_a2_id, [])] * 12 + [(3, w.officer_a2_id, [])] * 18)
    # All low, but only 10 ratings.
    add_ratings(app, w.kiosk_b_id, [(1, w.officer_b_id, [])] * 10)
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("low_satisfaction", "manager", w.officer_a_id)]
    with app.app_context():
        details = db.session.scalars(select(WatchAlert.details)).one()
        assert (details["ratings"], details["satisfied"], details["threshold_pct"]) == (30, 5, 70)
    # Still true at the next pass: the same alert, not a new one.
    add_ratings(app, w.kiosk_a_id, [(1, w.officer_a_id, [])])
    assert watch_now(app, SUNDAY_10) == 0
    assert len(alerts(app)) == 1


def test_kiosk_silent_only_in_opening_hours(app, started):
    w = started
    with app.app_context():
        db.session.execute(update(Kiosk).where(Kiosk.id == w.kiosk_a_id).values(last_seen_at=MONDAY_10 - timedelta(hours=2)))
        db.session.execute(update(Kiosk).where(Kiosk.id == w.kiosk_b_id).values(last_seen_at=MONDAY_10 - timedelta(minutes=1)))
        db.session.commit()
    assert watch_now(app, SUNDAY_10 + timedelta(hours=1)) == 0
    assert watch_now(app, MONDAY_10) == 1
    assert alerts(app) == [("kiosk_silent", "admin", w.kiosk_a_id)]


def heartbeat(app, kiosk_id: int, **fields) -> None:
    with app.app_context():
        db.session.get(Kiosk, kiosk_id).last_heartbeat = fields
        db.session.get(Kiosk, kiosk_id).last_seen_at = SUNDAY_10
        db.session.commit()


def test_seq_gap_when_the_kiosk_has_nothing_left_to_send(app, started):
    w = started
    add_ratings(app, w.kiosk_a_id, [(3, w.officer_a_id, [])] * 2, first_seq=1)
    add_ratings(app, w.kiosk_a_id, [(3, w.officer_a_id, [])] * 2, first_seq=4)
    add_ratings(app, w.kiosk_b_id, [(3, None, [])] * 5, first_seq=1)
    heartbeat(app, w.kiosk_a_id, outbox_depth=1, last_seq=5)
    heartbeat(app, w.kiosk_b_id, outbox_depth=0, last_seq=5)
    assert watch_now(app, SUNDAY_10) == 0
    heartbeat(app, w.kiosk_a_id, outbox_depth=0, last_seq=6)
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("seq_gap", "admin", w.kiosk_a_id)]
    with app.app_context():
        assert db.session.scalars(select(WatchAlert.details)).one()["gaps"] == [[3, 3], [6, 6]]


def test_seq_reuse(app, started):
    w = started
    add_ratings(app, w.kiosk_a_id, [(3, w.officer_a_id, [])] * 3, first_seq=1)
    assert watch_now(app, SUNDAY_10) == 0
    add_ratings(app, w.kiosk_a_id, [(3, w.officer_a_id, [])], first_seq=2)
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("seq_reuse", "admin", w.kiosk_a_id)]


def test_rating_burst(app, started):
    w = started
    settings(app, burst_count=10)
    base = MONDAY_10 - timedelta(days=400)
    for n in range(10):
        add_ratings(app, w.kiosk_b_id, [(3, None, [])], when=base + timedelta(minutes=2 * n))
    assert watch_now(app, SUNDAY_10) == 0
    for n in range(10):
        add_ratings(app, w.kiosk_a_id, [(3, w.officer_a_id, [])], when=base + timedelta(seconds=5 * n))
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("rating_burst", "admin", w.kiosk_a_id)]


def test_clock_off(app, started):
    w = started
    with app.app_context():
        db.session.get(Kiosk, w.kiosk_a_id).clock_offset_s = -900.0
        db.session.get(Kiosk, w.kiosk_b_id).clock_offset_s = 30.0
        db.session.commit()
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("clock_off", "admin", w.kiosk_a_id)]


def test_desk_closed_for_much_of_yesterday(app, world):
    """Desk A has an officer scheduled all along; desk B nobody."""
    assert watch_now(app, TUESDAY_08) == 1
    assert alerts(app) == [("desk_closed", "inspector", world.desk_b_id)]
    with app.app_context():
        assert db.session.scalars(select(WatchAlert.details)).one()["day"] == (MONDAY_10 + timedelta(hours=7)).date().isoformat()
    # Once a day (the kiosks are heard from, in the opening hours now).
    with app.app_context():
        db.session.execute(update(Kiosk).values(last_seen_at=TUESDAY_08 + timedelta(hours=1)))
        db.session.commit()
    assert watch_now(app, TUESDAY_08 + timedelta(hours=1)) == 0
    # Sunday is not an opening day: nothing for it on Monday.
    with app.app_context():
        db.session.execute(update(WatchAlert).values(status="closed", open_key=None))
        db.session.execute(update(Kiosk).values(last_seen_at=MONDAY_10))
        db.session.get(WatchMark, "desk_closed").last_day = None
        db.session.commit()
    assert watch_now(app, MONDAY_10) == 0


def sign_out(app, kiosk_id: int, officer_id: int, at: datetime) -> None:
    with app.app_context():
        db.session.add(DutyEvent(uuid=uuid.uuid4(), kiosk_id=kiosk_id, officer_id=officer_id, action="sign_out", at=at))
        db.session.commit()


def test_sign_out_right_after_low_ratings(app, started):
    w = started
    now = datetime.now(timezone.utc)
    add_ratings(app, w.kiosk_a_id, [(1, w.officer_a_id, []), (1, w.officer_a_id, [])], when=now - timedelta(minutes=4))
    add_ratings(app, w.kiosk_b_id, [(3, w.officer_b_id, []), (3, w.officer_b_id, [])], when=now - timedelta(minutes=4))
    sign_out(app, w.kiosk_b_id, w.officer_b_id, now)
    assert watch_now(app, SUNDAY_10) == 0
    sign_out(app, w.kiosk_a_id, w.officer_a_id, now)
    assert watch_now(app, SUNDAY_10) == 1
    assert alerts(app) == [("sign_out_after_low", "inspector", w.officer_a_id)]


def test_ordinary_day_raises_nothing(app, started):
    w = started
    settings(app, burst_count=10)
    for n in range(40):
        add_ratings(app, w.kiosk_a_id, [(3 if n % 8 else 1, w.officer_a_id, [])], when=MONDAY_10 - timedelta(minutes=50 - n))
    with app.app_context():
        db.session.execute(update(Kiosk).values(last_seen_at=MONDAY_10 - timedelta(minutes=1), clock_offset_s=2.0,
                                                last_heartbeat={"outbox_depth": 0, "last_seq": 40}))
        db.session.execute(update(Kiosk).where(Kiosk.id == w.kiosk_b_id).values(last_heartbeat={"outbox_depth": 0, "last_seq": 0}))
        db.session.commit()
    assert watch_now(app, MONDAY_10) == 0
    assert alerts(app) == []


def test_a_closed_alert_stays_closed_for_the_quiet_hours(app, started):
    w = started
    with app.app_context():
        db.session.get(Kiosk, w.kiosk_a_id).clock_offset_s = 900.0
        admin = User(username="qt", password_hash=hash_password("x" * 12), role="admin")
        db.session.add(admin)
        db.session.commit()
    assert watch_now(app, SUNDAY_10) == 1
    with app.app_context():
        alert = db.session.scalars(select(WatchAlert)).one()
        with pytest.raises(watch.AlertRefused):
            watch.close(alert, db.session.get(User, 1), "  ")
        watch.close(alert, db.session.scalars(select(User)).one(), "Đã chỉnh đồng hồ; chờ máy báo lại.")
        db.session.commit()
    assert watch_now(app, SUNDAY_10) == 0
    settings(app, quiet_h=0)
    assert watch_now(app, SUNDAY_10) == 1
    assert [a[0] for a in alerts(app)] == ["clock_off", "clock_off"]


def post_ratings(app, token: str, seqs, at: datetime | None = None) -> None:
    """Ratings with these numbers, each with a new id, through the kiosk API, as a kiosk sends them."""
    at = at or datetime.now(timezone.utc) - timedelta(seconds=5)
    items = [{"id": str(uuid.uuid4()), "seq": seq, "score": 3, "officer_id": None, "source": "touch",
              "created_at": at.isoformat()} for seq in seqs]
    res = app.test_client().post("/api/v1/ratings", json={"ratings": items}, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200 and res.get_json()["rejected"] == []


def reuse_alerts(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.status, a.details["restart"], a.details["seq"], a.details["last_seq"], a.details["reused"])
            for a in db.session.scalars(select(WatchAlert).where(WatchAlert.rule == "seq_reuse").order_by(WatchAlert.id))
        ]


def close_alerts(app) -> None:
    with app.app_context():
        admin = User(username="quan-tri", password_hash=hash_password("x" * 12), role="admin")
        db.session.add(admin)
        for alert in db.session.scalars(select(WatchAlert).where(WatchAlert.status != "closed")):
            watch.close(alert, admin, "Đã thay thẻ nhớ của máy.")
        db.session.commit()


def test_seq_reused_after_a_lost_outbox_one_alert_per_restart(app, started):
    """A kiosk loses its outbox twice: each restart of its numbering is told once, the second within quiet_h."""
    w = started
    post_ratings(app, w.token_a, range(1, 6))
    assert watch_now(app, SUNDAY_10) == 0
    # The outbox is lost: the next one numbers from 1 again.
    post_ratings(app, w.token_a, range(1, 4))
    assert watch_now(app, SUNDAY_10) == 1
    assert reuse_alerts(app) == [("open", 1, 1, 3, 3)]
    # The same restart goes on: its alert counts the ratings, no new one.
    post_ratings(app, w.token_a, [4, 5])
    assert watch_now(app, SUNDAY_10) == 0
    assert reuse_alerts(app) == [("open", 1, 1, 5, 5)]
    close_alerts(app)
    post_ratings(app, w.token_a, [6])
    assert watch_now(app, SUNDAY_10) == 0
    # Lost again, within quiet_h of the close: a new restart, a new alert.
    post_ratings(app, w.token_a, [1, 2])
    assert watch_now(app, SUNDAY_10) == 1
    assert reuse_alerts(app) == [("closed", 1, 1, 5, 5), ("open", 2, 1, 2, 2)]


def test_seq_reuse_committed_after_higher_ids_is_not_missed(app, started):
    """Two copies of the service on PostgreSQL: one commits a reused number after the other stored later ids."""
    w = started
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: ids are committed in order")
    post_ratings(app, w.token_a, range(1, 4))
    assert watch_now(app, SUNDAY_10) == 0
    with app.app_context():
        slow = db.engine.connect()
        # The other copy's transaction: a rating with a reused number, its id taken now, committed last.
        slow.execute(Rating.__table__.insert().values(
            uuid=uuid.uuid4(), kiosk_id=w.kiosk_a_id, desk_id=w.desk_a_id, unit_id=w.commune_a_id, score=3,
            source="touch", seq=2, created_at=datetime.now(timezone.utc), received_at=datetime.now(timezone.utc),
            clock_flag=False, day=date.today(),
        ))
    post_ratings(app, w.token_a, [4])
    # A pass at once sees the later ids but not the rating still uncommitted below them.
    assert watch_now(app, datetime.now(timezone.utc)) == 0
    slow.commit()
    slow.close()
    assert watch_now(app, SUNDAY_10) == 1
    assert reuse_alerts(app) == [("open", 1, 2, 2, 1)]
