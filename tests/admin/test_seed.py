"""The demo province: what a technician finds after ``seed-demo``."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from admin import create_app
from admin.db import db
from admin.models import (
    DailyCount,
    DailyReasonCount,
    Desk,
    DutyPeriod,
    Kiosk,
    Officer,
    OfficerPhoto,
    Rating,
    RatingReason,
    Unit,
    User,
)
from admin.reports.daily_counts import rebuild_daily_counts
from admin.reports.officer_table import officer_report
from admin.reports.seq_gaps import seq_gaps
from admin.scale import ensure_default_reasons
from admin.seed import DEMO_KIOSK_NAME, SeedRefused, initials, seed_demo

from .conftest import app_config_for

# A Thursday afternoon in Hà Nội time.
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_seed_demo_desk_1_is_in_a_unit_with_officers(ctx):
    seed_demo(now=NOW)
    desk = db.session.get(Desk, 1)
    assert desk.name == "Quầy 1 — Đất đai, xây dựng"
    assert desk.unit.name == "UBND xã Mai Trung"
    assert len(desk.unit.officers) == 3


def test_seed_demo_builds_bac_giang_tree(ctx):
    summary = seed_demo(now=NOW)
    assert (summary.units, summary.desks, summary.officers, summary.kiosks, summary.ratings) == (9, 9, 15, 0, 0)
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    province = units["Tỉnh Bắc Giang"]
    assert province.kind == "province" and province.parent_id is None
    assert units["Huyện Hiệp Hoà"].parent_id == province.id
    assert units["UBND xã Mai Trung"].path.startswith(units["Huyện Hiệp Hoà"].path)
    assert units["Sở Tư pháp tỉnh Bắc Giang"].kind == "department"
    assert count(User) == 0
    assert count(Kiosk) == 0


def test_seed_demo_officers_have_unique_codes_and_png_photos(ctx):
    seed_demo(now=NOW)
    officers = list(db.session.scalars(select(Officer)))
    assert len(officers) == 15
    assert len({o.code for o in officers}) == 15
    assert all(o.name and o.title for o in officers)
    for officer in officers:
        photo = db.session.get(OfficerPhoto, officer.id)
        assert photo.content_type == "image/png"
        image = Image.open(io.BytesIO(photo.data))
        assert (image.format, image.size) == ("PNG", (256, 256))


def test_seed_demo_someone_is_on_duty_at_every_desk_now(ctx):
    seed_demo(now=NOW)
    for desk in db.session.scalars(select(Desk)):
        on_duty = db.session.execute(
            select(DutyPeriod).where(DutyPeriod.desk_id == desk.id, DutyPeriod.starts_at <= NOW,
                                     (DutyPeriod.ends_at.is_(None)) | (DutyPeriod.ends_at > NOW))
        ).scalars().all()
        assert len(on_duty) == 1
        assert on_duty[0].officer.unit_id == desk.unit_id
        assert on_duty[0].origin == "scheduled"


def test_seed_demo_second_time_refuses_and_changes_nothing(ctx):
    seed_demo(now=NOW)
    before = [count(m) for m in (Unit, Desk, Officer, DutyPeriod)]
    with pytest.raises(SeedRefused, match="already has units"):
        seed_demo(50, now=NOW)
    assert [count(m) for m in (Unit, Desk, Officer, DutyPeriod)] == before
    assert count(Rating) == 0


def test_seed_demo_refuses_when_any_unit_exists(ctx):
    db.session.add(Unit(name="Tỉnh Lạng Sơn", kind="province", path="/1/"))
    db.session.commit()
    with pytest.raises(SeedRefused):
        seed_demo(now=NOW)
    assert count(Officer) == 0


def test_seed_demo_ratings_spread_over_eight_weeks_of_opening_hours(ctx):
    summary = seed_demo(400, now=NOW)
    assert (summary.kiosks, summary.ratings) == (9, 400)
    assert count(Rating) == 400
    tz = ctx.config["TZ"]
    first = (NOW.astimezone(tz) - timedelta(weeks=8)).date()
    for created_at, day, clock_flag in db.session.execute(select(Rating.created_at, Rating.day, Rating.clock_flag)):
        local = created_at.astimezone(tz)
        assert first < local.date() == day <= NOW.astimezone(tz).date()
        assert local.weekday() < 5 and 7 <= local.hour < 17
        assert created_at <= NOW and not clock_flag
    assert sum(r.ratings for r in officer_report(first, NOW.date())) == 400
    # Some low scores come with reasons, as at a real desk.
    assert count(RatingReason) > 0


def test_seed_demo_kiosks_are_named_revoked_and_without_gaps(ctx):
    seed_demo(300, now=NOW)
    kiosks = list(db.session.scalars(select(Kiosk)))
    assert len(kiosks) == 9
    for kiosk in kiosks:
        assert kiosk.name.startswith(DEMO_KIOSK_NAME)
        assert not kiosk.enabled
        assert seq_gaps(kiosk.id) == []


def test_seed_demo_daily_counts_match_a_rebuild(ctx):
    seed_demo(300, now=NOW)

    def snapshot():
        return (sorted(tuple(r) for r in db.session.execute(select(
                    DailyCount.day, DailyCount.officer_id, DailyCount.desk_id, DailyCount.score, DailyCount.count))),
                sorted(tuple(r) for r in db.session.execute(select(
                    DailyReasonCount.day, DailyReasonCount.officer_id, DailyReasonCount.desk_id,
                    DailyReasonCount.reason_code, DailyReasonCount.count))))

    incremental = snapshot()
    assert rebuild_daily_counts() == 300
    assert snapshot() == incremental


def test_seed_demo_is_deterministic(ctx, tmp_path):
    seed_demo(200, now=NOW)

    def content():
        return (
            [tuple(r) for r in db.session.execute(select(Officer.code, Officer.name, Officer.title).order_by(Officer.code))],
            [bytes(d) for d in db.session.scalars(select(OfficerPhoto.data).order_by(OfficerPhoto.officer_id))],
            [tuple(r) for r in db.session.execute(
                select(Rating.uuid, Rating.seq, Rating.score, Rating.officer_id, Rating.created_at).order_by(Rating.uuid))],
        )

    first = content()
    other = create_app(app_config_for(f"sqlite:///{tmp_path / 'again.db'}"))
    with other.app_context():
        db.create_all()
        ensure_default_reasons()
        db.session.commit()
        seed_demo(200, now=NOW)
        second = content()
        db.engine.dispose()
    assert first == second


def test_initials_drop_diacritics_for_the_builtin_font():
    assert initials("Nguyễn Văn Hùng") == "NH"
    assert initials("Đặng Thị Ánh") == "DA"
    assert initials("Lê Ư") == "LU"
