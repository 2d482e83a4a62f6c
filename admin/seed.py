"""A demo province for trying the service: units, desks, officers with photos, duty rosters,
and, on request, weeks of ratings.

Everything comes from ``random.Random(DEMO_SEED)``, so two demo databases
made on the same day hold the same data. Ratings go through
``api.rating_store.store_ratings``, the same path as a kiosk's uploads, so the daily
counts, clock checks and officer checks are those of production.
"""
from __future__ import annotations

import io
import random
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from .api.auth import KioskRef
from .api.rating_store import store_ratings
from .audit import record
from .db import db, utcnow
from .kiosks import register_kiosk, revoke
from .models import Desk, DutyPeriod, Officer, OfficerPhoto, Unit
from .scale import Scale, ensure_default_reasons, load_reasons, load_scale
from .units import create_unit

DEMO_SEED = 20261127
DEMO_KIOSK_NAME = "Dữ liệu mẫu / demo"
DEMO_WEEKS = 8
# Desks are open 07:30–17:00 local time, Monday to Friday.
OPENS = time(7, 30)
OPEN_SECONDS = int(9.5 * 3600)
BATCH = 500


@dataclass(frozen=True)
class DemoUnit:
    name: str
    kind: str
    parent: str | None
    code: str = ""
    desks: tuple[str, ...] = ()
    officers: tuple[tuple[str, str], ...] = ()


# Parents come before children, and the first unit with desks is xã Mai Trung,
# so its first desk gets id 1 (docs/protocol.md §3).
DEMO_UNITS = (
    DemoUnit("Tỉnh Bắc Giang", "province", None),
    DemoUnit("Huyện Hiệp Hoà", "district", "Tỉnh Bắc Giang"),
    DemoUnit(
        "UBND xã Mai Trung", "commune", "Huyện Hiệp Hoà", "MT",
        ("Quầy 1 — Đất đai, xây dựng", "Quầy 2 — Tư pháp, hộ tịch"),
        (
            ("Nguyễn Văn Hùng", "Công chức Địa chính – Xây dựng"),
            ("Trần Thị Lan", "Công chức Tư pháp – Hộ tịch"),
            ("Ngô Văn Thắng", "Công chức Văn phòng – Thống kê"),
        ),
    ),
    DemoUnit(
        "UBND xã Hợp Thịnh", "commune", "Huyện Hiệp Hoà", "HT",
        ("Quầy 1 — Một cửa",),
        (
            ("Lê Thị Hương", "Công chức Tư pháp – Hộ tịch"),
            ("Phạm Văn Quang", "Công chức Địa chính – Xây dựng"),
        ),
    ),
    DemoUnit(
        "UBND xã Đoan Bái", "commune", "Huyện Hiệp Hoà", "DB",
        ("Quầy 1 — Một cửa",),
        (
            ("Hoàng Văn Minh", "Công chức Văn phòng – Thống kê"),
            ("Vũ Thị Thu", "Công chức Tư pháp – Hộ tịch"),
        ),
    ),
    DemoUnit("Huyện Lạng Giang", "district", "Tỉnh Bắc Giang"),
    DemoUnit(
        "UBND thị trấn Vôi", "commune", "Huyện Lạng Giang", "TV",
        ("Quầy 1 — Đất đai", "Quầy 2 — Tư pháp, hộ tịch"),
        (
            ("Nguyễn Thị Mai", "Công chức Tư pháp – Hộ tịch"),
            ("Bùi Văn Tuấn", "Công chức Địa chính – Xây dựng"),
            ("Lương Thị Hà", "Công chức Văn phòng – Thống kê"),
        ),
    ),
    DemoUnit(
        "UBND xã Tân Dĩnh", "commune", "Huyện Lạng Giang", "TD",
        ("Quầy 1 — Một cửa",),
        (
            ("Thân Văn Long", "Công chức Địa chính – Xây dựng"),
            ("Giáp Thị Yến", "Công chức Tư pháp – Hộ tịch"),
        ),
    ),
    DemoUnit(
        "Sở Tư pháp tỉnh Bắc Giang", "department", "Tỉnh Bắc Giang", "STP",
        ("Quầy 1 — Lý lịch tư pháp", "Quầy 2 — Chứng thực, quốc tịch"),
        (
            ("Nguyễn Quang Huy", "Chuyên viên Phòng Hành chính tư pháp"),
            ("Trịnh Thị Ngọc", "Chuyên viên Phòng Bổ trợ tư pháp"),
            ("Hà Văn Sơn", "Chuyên viên Văn phòng Sở"),
        ),
    ),
)

AVATAR_COLOURS = ("#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e", "#37474f")


class SeedRefused(Exception):
    """The database is not empty; nothing was changed."""


@dataclass
class SeedSummary:
    units: int
    desks: int
    officers: int
    kiosks: int
    ratings: int


@dataclass
class DemoDesk:
    """A desk with the officers of its unit, who take turns at it week by week."""

    desk: Desk
    position: int
    officers: list[Officer]
    busy: float

    def officer_in_week(self, week: int) -> Officer:
        return self.officers[(self.position + week) % len(self.officers)]


def seed_demo(n_ratings: int = 0, now: datetime | None = None) -> SeedSummary:
    """Fill an empty database with the demo province, and ``n_ratings`` ratings over eight weeks.

    The eight weeks end at ``now`` (the current time when None); with the
    same ``now`` the data is the same every time. Raises SeedRefused,
    changing nothing, when any unit exists. Commits.
    """
    if db.session.execute(select(func.count()).select_from(Unit)).scalar_one():
        raise SeedRefused(
            "Cơ sở dữ liệu đã có đơn vị; chỉ tạo dữ liệu mẫu trên cơ sở dữ liệu trống. "
            "/ The database already has units; demo data is only made on an empty database."
        )
    rng = random.Random(DEMO_SEED)
    ensure_default_reasons()
    tz = current_app.config["TZ"]
    now = now or utcnow()
    first_day = now.astimezone(tz).date() - timedelta(days=7 * DEMO_WEEKS - 1)
    first_monday = first_day - timedelta(days=first_day.weekday())

    desks = _create_province(rng)
    _schedule_duty(desks, first_monday, tz)
    summary = SeedSummary(
        units=len(DEMO_UNITS),
        desks=len(desks),
        officers=sum(len(u.officers) for u in DEMO_UNITS),
        kiosks=0,
        ratings=0,
    )
    record("seed_demo", "database", after={"units": summary.units, "desks": summary.desks,
                                           "officers": summary.officers, "ratings": n_ratings}, actor="cli")
    db.session.commit()
    if n_ratings > 0:
        summary.kiosks = len(desks)
        summary.ratings = _seed_ratings(rng, desks, n_ratings, first_day, first_monday, now)
    return summary


def _create_province(rng: random.Random) -> list[DemoDesk]:
    units: dict[str, Unit] = {}
    desks: list[DemoDesk] = []
    for spec in DEMO_UNITS:
        unit = create_unit(spec.name, spec.kind, units.get(spec.parent) if spec.parent else None)
        units[spec.name] = unit
        officers = []
        for number, (name, title) in enumerate(spec.officers, start=1):
            officer = Officer(code=f"{spec.code}-{number:03d}", name=name, title=title, unit=unit)
            officer.photo = OfficerPhoto(content_type="image/png", data=avatar_png(name, rng.choice(AVATAR_COLOURS)))
            officers.append(officer)
        db.session.add_all(officers)
        for position, desk_name in enumerate(spec.desks):
            desk = Desk(unit=unit, name=desk_name)
            db.session.add(desk)
            # Flushed one by one so ids follow this order: desk 1 is xã Mai Trung's first.
            db.session.flush()
            desks.append(DemoDesk(desk, position, officers, busy=rng.uniform(0.6, 1.4)))
    return desks


def _schedule_duty(desks: list[DemoDesk], first_monday: date, tz: tzinfo) -> None:
    """A weekly rota at every desk from the first demo week on; the current week stays open."""
    for demo in desks:
        for week in range(DEMO_WEEKS + 1):
            starts = datetime.combine(first_monday + timedelta(weeks=week), time(0), tzinfo=tz)
            db.session.add(
                DutyPeriod(
                    desk=demo.desk,
                    officer=demo.officer_in_week(week),
                    starts_at=starts,
                    ends_at=None if week == DEMO_WEEKS else starts + timedelta(weeks=1),
                    origin="scheduled",
                )
            )


def avatar_png(name: str, colour: str, size: int = 256) -> bytes:
    """A PNG of the name's initials (family name, given name) on a coloured disc."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=colour)
    font = ImageFont.load_default(size=size * 2 // 5)
    draw.text((size / 2, size / 2), initials(name), fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def initials(name: str) -> str:
    """First letters of the family and the given name, without diacritics.

    Pillow's built-in font has no Vietnamese letters, and a missing glyph
    would draw a box: "Đặng Thị Ánh" gives "DA".
    """
    words = name.split()
    letters = (words[0][0] + words[-1][0]).replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", letters) if not unicodedata.combining(c)).upper()


def _seed_ratings(
    rng: random.Random, desks: list[DemoDesk], n_ratings: int, first_day: date, first_monday: date, now: datetime
) -> int:
    """Spread ``n_ratings`` over the opening hours of the last eight weeks, through ingestion."""
    tz = current_app.config["TZ"]
    scale = load_scale()
    reasons = load_reasons()
    ordinary = [r.code for r in reasons if not r.integrity]
    integrity = [r.code for r in reasons if r.integrity]
    quality = {o.id: rng.uniform(0.55, 0.97) for demo in desks for o in demo.officers}
    kiosks = []
    for demo in desks:
        kiosk, _token = register_kiosk(demo.desk, f"{DEMO_KIOSK_NAME} — {demo.desk.unit.name}, {demo.desk.name}")
        # Registered before its first rating, or ingestion would flag the kiosk's clock.
        kiosk.created_at = datetime.combine(first_day - timedelta(days=1), time(0), tzinfo=tz)
        kiosks.append(kiosk)
    db.session.commit()

    days = _open_days(first_day, now, tz)
    slots = [(d, day) for d in range(len(desks)) for day in days]
    per_slot = _split(rng, n_ratings, [desks[d].busy * rng.uniform(0.5, 1.5) for d, _ in slots])
    seq = [0] * len(desks)
    stored = 0
    for (d, day), count in zip(slots, per_slot):
        if not count:
            continue
        demo, kiosk = desks[d], kiosks[d]
        officer = demo.officer_in_week((day - first_monday).days // 7)
        items = []
        for at in _times(rng, day, count, now, tz):
            seq[d] += 1
            score = _score(rng, scale, quality[officer.id])
            chosen: list[str] = []
            if score <= scale.ask_reasons_at_or_below and rng.random() < 0.7:
                chosen = rng.sample(ordinary, rng.randint(1, 2))
                if rng.random() < 0.04:
                    chosen.append(rng.choice(integrity))
            items.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "seq": seq[d],
                "score": score,
                "officer_id": officer.id,
                "reasons": chosen,
                "source": "button" if rng.random() < 0.2 else "touch",
                "created_at": at.isoformat(),
            })
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            sent_at = datetime.fromisoformat(batch[-1]["created_at"]) + timedelta(seconds=5)
            stored += len(store_ratings(KioskRef.of(kiosk), batch, received_at=min(sent_at, now)).accepted)
            db.session.commit()
    # The demo kiosks stand for no real device: revoked, they raise no "offline" alarm.
    for kiosk in kiosks:
        revoke(kiosk)
    db.session.commit()
    return stored


def _open_days(first_day: date, now: datetime, tz: tzinfo) -> list[date]:
    """Weekdays from ``first_day`` to today, today only once the desks have been open an hour."""
    today = now.astimezone(tz).date()
    days = []
    day = first_day
    while day <= today:
        opened = datetime.combine(day, OPENS, tzinfo=tz)
        if day.weekday() < 5 and opened + timedelta(hours=1) <= now:
            days.append(day)
        day += timedelta(days=1)
    return days


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """``total`` shared out in proportion to ``weights``, the remainder placed at random."""
    whole = sum(weights)
    shares = [int(total * w / whole) for w in weights]
    for index in rng.choices(range(len(weights)), weights=weights, k=total - sum(shares)):
        shares[index] += 1
    return shares


def _times(rng: random.Random, day: date, count: int, now: datetime, tz: tzinfo) -> Iterator[datetime]:
    """``count`` rising instants within the day's opening hours, before ``now``."""
    opened = datetime.combine(day, OPENS, tzinfo=tz)
    span = min(OPEN_SECONDS, (now - opened).total_seconds())
    step = span / count
    for i in range(count):
        # One press per share of the day, somewhere in its first 80 %, so presses
        # never fall inside the kiosk's cool-down of each other at usual volumes.
        yield opened + timedelta(seconds=(i + 0.8 * rng.random()) * step)


def _score(rng: random.Random, scale: Scale, quality: float) -> int:
    """A score: satisfied with probability ``quality``, higher satisfied scores likelier."""
    low = list(range(1, scale.satisfied_from))
    high = list(range(scale.satisfied_from, scale.max_score + 1))
    if low and rng.random() > quality:
        return rng.choice(low)
    return rng.choices(high, weights=range(1, len(high) + 1))[0]
