"""The watch rules: what the alert worker looks for at every watch pass, and whom it tells.

| rule | to | fires when |
|---|---|---|
| ``low_satisfaction`` | manager | an officer's satisfaction over about their last ``last_n`` ratings is below ``satisfaction_pct`` with 95 % confidence (the Wilson upper bound is below it, not just the rate) |
| ``kiosk_silent`` | administrator | in opening hours, an enabled kiosk has not been heard from for ``silent_min`` minutes |
| ``seq_gap`` | administrator | a kiosk whose outbox is empty (its heartbeat says so) has sequence numbers the service never received |
| ``seq_reuse`` | administrator | a kiosk sent ratings with numbers it had used before (it lost its outbox, or was copied): one alert per restart of its numbering |
| ``rating_burst`` | administrator | ``burst_count`` ratings or more within ``burst_s`` seconds at one kiosk (someone rating themselves?) |
| ``clock_off`` | administrator | a kiosk's clock is more than ``clock_off_s`` seconds from the service's |
| ``desk_closed`` | inspector | yesterday, a desk with a kiosk had nobody on duty for more than ``closed_pct`` % of the opening hours |
| ``sign_out_after_low`` | inspector | an officer signed out within ``sign_out_min`` minutes after ``sign_out_low`` low ratings |
| ``officer_not_on_duty`` | administrator | a kiosk sent ratings naming an officer who was not on duty at its desk (kept for nobody: ``api.validation``) |

Rules that read growing tables (ratings, duty events) read only what is new
since their mark (``WatchMark``), so a pass costs what arrived since the last.
Thresholds are settings (``flask --app admin watch-settings``).
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import takewhile
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .db import db, iso_utc, utcnow, write_transaction
from .duty_slack import duty_slack, explained, rating_instants
from .models import AuditEntry, DailyCount, Desk, DutyEvent, DutyPeriod, Kiosk, Officer, Rating, WatchAlert, WatchMark
from .reports.rates import wilson_upper
from .reports.seq_gaps import seq_gaps
from .scale import KIOSK_SETTINGS, load_scale
from .settings import SettingGroup
from .watch import raise_alert

WATCH_SETTINGS = SettingGroup(
    "watch",
    defaults={
        "every_s": 60,
        "satisfaction_pct": 70,
        "last_n": 30,
        "silent_min": 30,
        "open_from_min": 7 * 60 + 30,
        "open_until_min": 17 * 60,
        "open_saturday": False,
        "burst_count": 10,
        "burst_s": 60,
        "clock_off_s": 600,
        "closed_pct": 50,
        "sign_out_min": 10,
        "sign_out_low": 2,
        "quiet_h": 24,
    },
    rules={
        "every_s": (int, 10, 3600),
        "satisfaction_pct": (int, 1, 100),
        "last_n": (int, 5, 1000),
        "silent_min": (int, 5, 1440),
        "open_from_min": (int, 0, 1439),
        "open_until_min": (int, 1, 1440),
        "open_saturday": (bool, 0, 1),
        "burst_count": (int, 2, 1000),
        "burst_s": (int, 5, 3600),
        "clock_off_s": (int, 60, 86400),
        "closed_pct": (int, 1, 100),
        "sign_out_min": (int, 1, 240),
        "sign_out_low": (int, 1, 50),
        "quiet_h": (int, 0, 720),
    },
)

# Days of daily counts looked at for an officer's recent ratings.
RECENT_DAYS = 180
# A kiosk's ratings read back (by sequence number) to find a burst or the ratings before a sign-out.
LOOKBACK_RATINGS = 1000
# A pass reads the new ratings only up to the first that arrived less than this
# before it. Several copies of the service write ratings at once, each in its
# own transactions: a transaction can commit after another that took higher
# ids, and a mark moved past those higher ids would never look at its rows
# (a number reused in them went unreported). Every transaction commits well
# within this of its requests' arrival.
COMMIT_LAG = timedelta(minutes=1)
# New ratings one pass reads at most; the rest wait for the next pass, so that a pass
# stays short however fast ratings arrive.
NEW_RATINGS_PER_PASS = 20_000


def run_watch(now: datetime | None = None) -> int:
    """Run every rule once and commit; how many alerts were opened."""
    now = now or utcnow()
    settings = WATCH_SETTINGS.load()
    quiet = timedelta(hours=settings["quiet_h"])
    write_transaction()
    opened = 0
    for rule in (_new_ratings_rules, _kiosk_rules, _desk_closed_rule, _sign_out_rule, _officer_not_on_duty_rule):
        opened += rule(now, settings, quiet)
    db.session.commit()
    return opened


def _mark(name: str, table_id=None) -> tuple[WatchMark, bool]:
    """The mark of ``name``, and whether it was just made.

    A new mark of a table starts at the table's newest row: the first pass
    looks only at what comes after it (old data is for the reports, not for alerts).
    """
    mark = db.session.get(WatchMark, name)
    if mark is not None:
        return mark, False
    start = db.session.scalar(select(func.coalesce(func.max(table_id), 0))) if table_id is not None else 0
    mark = WatchMark(name=name, last_id=start)
    db.session.add(mark)
    return mark, True


def _count(alert) -> int:
    return 0 if alert is None else 1


def opening_hours(day: date, settings: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The opening hours of local ``day`` as UTC instants, or None on a day the desks are closed."""
    if day.weekday() == 6 or (day.weekday() == 5 and not settings["open_saturday"]):
        return None
    tz = current_app.config["TZ"]
    start = datetime.combine(day, time(), tz) + timedelta(minutes=settings["open_from_min"])
    end = datetime.combine(day, time(), tz) + timedelta(minutes=settings["open_until_min"])
    return (start, end) if end > start else None


# -- the ratings that arrived since the last pass ----------------------------------------------------


def _new_ratings_rules(now: datetime, settings: dict[str, Any], quiet: timedelta) -> int:
    """Low satisfaction, sequence numbers used twice, bursts: all about the ratings new since the mark."""
    mark, new = _mark("ratings", Rating.id)
    if new:
        return 0
    found = db.session.execute(
        select(Rating.id, Rating.kiosk_id, Rating.desk_id, Rating.unit_id, Rating.officer_id, Rating.seq,
               Rating.received_at)
        .where(Rating.id > mark.last_id).order_by(Rating.id).limit(NEW_RATINGS_PER_PASS)
    ).all()
    # Up to the first rating that may have lower ids still uncommitted around it (see ``COMMIT_LAG``).
    rows = list(takewhile(lambda row: row.received_at <= now - COMMIT_LAG, found))
    if not rows:
        return 0
    mark.last_id = rows[-1].id
    opened = 0
    officers = {row.officer_id for row in rows if row.officer_id is not None}
    opened += _low_satisfaction(officers, settings, quiet)
    opened += _seq_reuse(rows[0].id, rows[-1].id, quiet)
    by_kiosk: dict[int, list] = defaultdict(list)
    for row in rows:
        by_kiosk[row.kiosk_id].append(row)
    for kiosk_id, new in by_kiosk.items():
        opened += _burst(kiosk_id, new, settings, quiet)
    return opened


def _low_satisfaction(officer_ids: set[int], settings: dict[str, Any], quiet: timedelta) -> int:
    if not officer_ids:
        return 0
    satisfied_from = load_scale().satisfied_from
    since = utcnow().date() - timedelta(days=RECENT_DAYS)
    counts: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    satisfied = func.sum(func.coalesce(DailyCount.count, 0)).filter(DailyCount.score >= satisfied_from)
    for officer_id, day, total, good in db.session.execute(
        select(DailyCount.officer_id, DailyCount.day, func.sum(DailyCount.count), satisfied)
        .where(DailyCount.officer_id.in_(officer_ids), DailyCount.day >= since)
        .group_by(DailyCount.officer_id, DailyCount.day)
        .order_by(DailyCount.officer_id, DailyCount.day.desc())
    ):
        counts[officer_id].append((day, int(total), int(good or 0)))
    threshold = settings["satisfaction_pct"] / 100
    opened = 0
    for officer_id, days in counts.items():
        total = good = 0
        since = None
        for day, day_total, day_good in days:  # newest first, whole days, until about the last N
            total, good, since = total + day_total, good + day_good, day
            if total >= settings["last_n"]:
                break
        if total < settings["last_n"] or wilson_upper(good, total) >= threshold:
            continue
        officer = db.session.get(Officer, officer_id)
        details = {
            "ratings": total, "satisfied": good, "rate_pct": round(100 * good / total, 1),
            "upper_bound_pct": round(100 * wilson_upper(good, total), 1),
            "threshold_pct": settings["satisfaction_pct"], "since": since.isoformat(),
        }
        opened += _count(raise_alert(
            "low_satisfaction", f"low_satisfaction:officer:{officer_id}", officer.unit_id, details, quiet,
            officer_id=officer_id,
        ))
    return opened


def _seq_reuse(first_id: int, last_id: int, quiet: timedelta) -> int:
    """New ratings (ids ``first_id`` to ``last_id``) whose kiosk sent another one with the same number before.

    One alert per kiosk and restart of its numbering, not one per number:
    a kiosk that lost its outbox numbers every rating again from 1, and its
    next hundreds of ratings all reuse a number. A rating whose number came
    ``n`` times before belongs to the kiosk's ``n``-th restart, so a kiosk that
    loses its outbox again is told again (its numbers then come a third
    time), even within ``quiet_h`` of the first alert being closed, while the
    ratings of one restart only add to its alert.
    """
    twin = aliased(Rating)
    earlier = (
        select(func.count()).where(twin.kiosk_id == Rating.kiosk_id, twin.seq == Rating.seq, twin.id < Rating.id)
        .correlate(Rating).scalar_subquery()
    )
    reused: dict[tuple[int, int], list] = defaultdict(list)
    for row in db.session.execute(
        select(Rating.kiosk_id, Rating.seq, Rating.unit_id, Rating.desk_id, earlier.label("earlier"))
        .where(Rating.id.between(first_id, last_id), earlier > 0)
    ):
        reused[row.kiosk_id, row.earlier].append(row)
    opened = 0
    for (kiosk_id, restart), rows in reused.items():
        key = f"seq_reuse:{kiosk_id}:{restart}"
        before = db.session.scalars(select(WatchAlert.details).where(WatchAlert.open_key == key)).first() or {}
        seqs = [row.seq for row in rows]
        details = {
            "seq": min(seqs + [before.get("seq", min(seqs))]),
            "last_seq": max(seqs + [before.get("last_seq", 0)]),
            "reused": before.get("reused", 0) + len(rows),
            "restart": restart,
        }
        opened += _count(raise_alert("seq_reuse", key, rows[0].unit_id, details, quiet,
                                     kiosk_id=kiosk_id, desk_id=rows[0].desk_id))
    return opened


def _burst(kiosk_id: int, new: list, settings: dict[str, Any], quiet: timedelta) -> int:
    """``burst_count`` ratings within ``burst_s`` at one kiosk, among the new ones and those just before."""
    need, window = settings["burst_count"], timedelta(seconds=settings["burst_s"])
    low = min(row.seq for row in new) - need
    times = sorted(db.session.scalars(
        select(Rating.created_at).where(Rating.kiosk_id == kiosk_id, Rating.seq > low, Rating.seq <= max(r.seq for r in new))
        .order_by(Rating.seq).limit(LOOKBACK_RATINGS)
    ))
    for i in range(len(times) - need + 1):
        if times[i + need - 1] - times[i] <= window:
            start = times[i]
            details = {"ratings": need, "within_s": int((times[i + need - 1] - start).total_seconds()),
                       "from": iso_utc(start)}
            # One alert per kiosk and minute of the burst's start.
            key = f"rating_burst:{kiosk_id}:{start:%Y%m%d%H%M}"
            return _count(raise_alert("rating_burst", key, new[0].unit_id, details, quiet,
                                      kiosk_id=kiosk_id, desk_id=new[0].desk_id))
    return 0


# -- the kiosks: silent, clock, missing numbers ------------------------------------------------------


def _kiosk_rules(now: datetime, settings: dict[str, Any], quiet: timedelta) -> int:
    hours = opening_hours(now.astimezone(current_app.config["TZ"]).date(), settings)
    in_hours = hours is not None and hours[0] <= now <= hours[1]
    silent_after = timedelta(minutes=settings["silent_min"])
    opened = 0
    kiosks = db.session.execute(
        select(Kiosk, Desk.unit_id).join(Desk, Desk.id == Kiosk.desk_id).where(Kiosk.enabled.is_(True))
    ).all()
    seq_marks = {mark.name: mark for mark in db.session.scalars(select(WatchMark).where(WatchMark.name.like("seq:%")))}
    for kiosk, unit_id in kiosks:
        where = {"kiosk_id": kiosk.id, "desk_id": kiosk.desk_id}
        last = kiosk.last_seen_at or kiosk.created_at
        if in_hours and now - last > silent_after and now - hours[0] > silent_after:
            details = {"last_seen": iso_utc(kiosk.last_seen_at) if kiosk.last_seen_at else None,
                       "silent_min": int((now - last).total_seconds() // 60)}
            opened += _count(raise_alert("kiosk_silent", f"kiosk_silent:{kiosk.id}:{last:%Y%m%d%H%M%S}", unit_id,
                                         details, quiet, **where))
        if kiosk.clock_offset_s is not None and abs(kiosk.clock_offset_s) > settings["clock_off_s"]:
            opened += _count(raise_alert("clock_off", f"clock_off:{kiosk.id}", unit_id,
                                         {"offset_s": round(kiosk.clock_offset_s)}, quiet, **where))
        opened += _seq_gap(kiosk, unit_id, quiet, seq_marks)
    return opened


def _seq_gap(kiosk: Kiosk, unit_id: int, quiet: timedelta, marks: dict[str, WatchMark]) -> int:
    """Numbers missing although the kiosk says it has nothing left to send.

    Each kiosk's mark holds the number up to which every rating is known to
    have arrived, so a pass counts only the numbers reported since: nothing
    at all for a kiosk whose last number has not moved.
    """
    heartbeat = kiosk.last_heartbeat or {}
    last_seq = heartbeat.get("last_seq")
    if heartbeat.get("outbox_depth") != 0 or not isinstance(last_seq, int):
        return 0
    name = f"seq:{kiosk.id}"
    mark = marks.get(name)
    if mark is None:
        mark = marks[name] = WatchMark(name=name, last_id=0)
        db.session.add(mark)
    if last_seq <= mark.last_id:
        return 0
    received = db.session.scalar(
        select(func.count()).select_from(Rating)
        .where(Rating.kiosk_id == kiosk.id, Rating.seq > mark.last_id, Rating.seq <= last_seq)
    )
    if received >= last_seq - mark.last_id:
        mark.last_id = last_seq
        return 0
    gaps = seq_gaps(kiosk.id, limit=20, last_seq=last_seq)
    if not gaps:
        return 0
    details = {"missing": sum(b - a + 1 for a, b in gaps), "gaps": [list(g) for g in gaps[:10]],
               "rejected_on_kiosk": heartbeat.get("rejected", 0)}
    return _count(raise_alert("seq_gap", f"seq_gap:{kiosk.id}:{gaps[0][0]}", unit_id, details, quiet,
                              kiosk_id=kiosk.id, desk_id=kiosk.desk_id))


# -- duty ------------------------------------------------------------------------------------------


def _desk_closed_rule(now: datetime, settings: dict[str, Any], quiet: timedelta) -> int:
    """Once a day, for yesterday: desks with a kiosk where nobody was on duty for much of the opening hours."""
    today = now.astimezone(current_app.config["TZ"]).date()
    yesterday = today - timedelta(days=1)
    mark, _ = _mark("desk_closed")
    if mark.last_day is not None and mark.last_day >= yesterday:
        return 0
    mark.last_day = yesterday
    hours = opening_hours(yesterday, settings)
    if hours is None:
        return 0
    start, end = hours
    open_s = (end - start).total_seconds()
    desks = db.session.execute(
        select(Desk.id, Desk.unit_id).where(Desk.active.is_(True), Desk.id.in_(
            select(Kiosk.desk_id).where(Kiosk.enabled.is_(True), Kiosk.created_at < start)
        ))
    ).all()
    covered: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for desk_id, starts_at, ends_at in db.session.execute(
        select(DutyPeriod.desk_id, DutyPeriod.starts_at, DutyPeriod.ends_at)
        .where(DutyPeriod.starts_at < end, (DutyPeriod.ends_at.is_(None)) | (DutyPeriod.ends_at > start))
    ):
        covered[desk_id].append((max(starts_at, start), min(ends_at or end, end)))
    opened = 0
    for desk_id, unit_id in desks:
        staffed = _union_seconds(covered.get(desk_id, []))
        closed_pct = 100 * (open_s - staffed) / open_s
        if closed_pct > settings["closed_pct"]:
            details = {"day": yesterday.isoformat(), "closed_pct": round(closed_pct, 1),
                       "open_hours": round(open_s / 3600, 2)}
            opened += _count(raise_alert("desk_closed", f"desk_closed:{desk_id}:{yesterday}", unit_id, details,
                                         quiet, desk_id=desk_id))
    return opened


def _union_seconds(spans: list[tuple[datetime, datetime]]) -> float:
    total, reach = 0.0, None
    for a, b in sorted(spans):
        if reach is not None and a < reach:
            a = reach
        if b > a:
            total += (b - a).total_seconds()
            reach = b if reach is None else max(reach, b)
    return total


def _sign_out_rule(now: datetime, settings: dict[str, Any], quiet: timedelta) -> int:
    """Sign-outs, new since the mark, that came right after low ratings of the officer signing out."""
    mark, new = _mark("duty_events", DutyEvent.id)
    if new:
        return 0
    events = db.session.scalars(select(DutyEvent).where(DutyEvent.id > mark.last_id).order_by(DutyEvent.id)).all()
    if not events:
        return 0
    mark.last_id = events[-1].id
    satisfied_from = load_scale().satisfied_from
    window = timedelta(minutes=settings["sign_out_min"])
    opened = 0
    for event in (e for e in events if e.action == "sign_out"):
        recent = db.session.execute(
            select(Rating.created_at, Rating.score, Rating.desk_id, Rating.unit_id)
            .where(Rating.kiosk_id == event.kiosk_id, Rating.officer_id == event.officer_id)
            .order_by(Rating.seq.desc()).limit(LOOKBACK_RATINGS)
        ).all()
        low = [r for r in recent if event.at - window <= r.created_at <= event.at and r.score < satisfied_from]
        if len(low) >= settings["sign_out_low"]:
            details = {"signed_out": iso_utc(event.at), "low_ratings": len(low),
                       "within_min": settings["sign_out_min"]}
            opened += _count(raise_alert(
                "sign_out_after_low", f"sign_out_after_low:{event.id}", low[0].unit_id, details, quiet,
                officer_id=event.officer_id, desk_id=low[0].desk_id, kiosk_id=event.kiosk_id,
            ))
    return opened


# -- ratings naming an officer who was not on duty ---------------------------------------------------

# How long a rating kept for nobody waits before the watch looks at it. A kiosk
# sends its duty events before its ratings, but a sign-in made while a round
# was sending ratings goes at the next round, just after a rating made since:
# such a sign-in explains the rating, and no alert is raised for it.
NOT_ON_DUTY_GRACE = timedelta(minutes=5)


def _officer_not_on_duty_rule(now: datetime, settings: dict[str, Any], quiet: timedelta) -> int:
    """Ratings that named an officer not on duty at the kiosk's desk: one alert per kiosk and officer.

    Reads the audit entries that ingestion writes for them (``api.rating_store``),
    new since the mark and older than the grace, and counts them into the
    alert while it is open.
    """
    mark, new = _mark("officer_not_on_duty", AuditEntry.id)
    if new:
        return 0
    entries = db.session.execute(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.entity_id, AuditEntry.before)
        .where(AuditEntry.id > mark.last_id, AuditEntry.action == "officer_not_on_duty")
        .order_by(AuditEntry.id).limit(NEW_RATINGS_PER_PASS)
    ).all()
    ripe = list(takewhile(lambda entry: entry.at <= now - NOT_ON_DUTY_GRACE, entries))
    if not ripe:
        return 0
    mark.last_id = ripe[-1].id
    named = {uuid.UUID(entry.entity_id): entry.before["officer_id"] for entry in ripe}
    ratings = db.session.execute(
        select(Rating.uuid, Rating.kiosk_id, Rating.desk_id, Rating.unit_id, Rating.created_at, Rating.received_at,
               Rating.clock_flag, Kiosk.clock_offset_s)
        .join(Kiosk, Kiosk.id == Rating.kiosk_id).where(Rating.uuid.in_(named))
    ).all()
    slack = duty_slack(KIOSK_SETTINGS.load()["heartbeat_s"])
    by_pair: dict[tuple[int, int], list] = defaultdict(list)
    for rating in ratings:
        officer_id = named[rating.uuid]
        offset = None if rating.clock_offset_s is None else timedelta(seconds=rating.clock_offset_s)
        instants = rating_instants(rating.created_at, rating.clock_flag, rating.received_at, offset)
        if not _on_duty_since(rating.desk_id, officer_id, instants, slack):
            by_pair[rating.kiosk_id, officer_id].append(rating)
    return sum(_not_on_duty_alert(kiosk_id, officer_id, found, quiet) for (kiosk_id, officer_id), found in by_pair.items())


def _on_duty_since(desk_id: int, officer_id: int, instants: tuple[datetime, ...], slack: timedelta) -> bool:
    """Whether the duty periods known now put the officer at the desk then: a sign-in arrived after the rating."""
    spans = db.session.execute(
        select(DutyPeriod.officer_id, DutyPeriod.starts_at, DutyPeriod.ends_at)
        .where(DutyPeriod.desk_id == desk_id, DutyPeriod.officer_id == officer_id,
               DutyPeriod.starts_at <= max(instants) + slack)
    ).tuples()
    return explained(spans, officer_id, instants, slack)


def _not_on_duty_alert(kiosk_id: int, officer_id: int, found: list, quiet: timedelta) -> int:
    key = f"officer_not_on_duty:{kiosk_id}:{officer_id}"
    before = db.session.scalars(select(WatchAlert.details).where(WatchAlert.open_key == key)).first() or {}
    made = [rating.received_at if rating.clock_flag else rating.created_at for rating in found]
    details = {
        "officer_id": officer_id,
        "ratings": before.get("ratings", 0) + len(found),
        "first": before.get("first") or iso_utc(min(made)),
        "last": iso_utc(max(made)),
    }
    # The kiosk may have named an id no officer has: the alert then names it in its details only.
    known = db.session.get(Officer, officer_id) is not None
    return _count(raise_alert("officer_not_on_duty", key, found[0].unit_id, details, quiet,
                              officer_id=officer_id if known else None, desk_id=found[0].desk_id, kiosk_id=kiosk_id))
