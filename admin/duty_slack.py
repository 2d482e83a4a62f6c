"""Whether the officer a rating names was on duty at its desk when it was made, give or take a slack.

Ingestion (``api.validation``) keeps a rating for nobody when the officer it
names was not on duty at the kiosk's desk; the watch (``watch_rules``) looks
again later, when a sign-in that arrived after the rating may explain it.
Both judge with these functions.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

# One duty period of a desk: (officer, starts_at, ends_at or None while it runs).
DutySpan = tuple[int, datetime, datetime | None]


def duty_slack(heartbeat_s: int) -> timedelta:
    """How far from a duty period a rating may be made and still count against its officer.

    A kiosk learns that a manager's schedule moved an officer at its next
    heartbeat, when it fetches its config again: until then it names the
    officer it shows. A minute more covers a heartbeat that took a while.
    """
    return timedelta(seconds=heartbeat_s + 60)


def rating_instants(
    created_at: datetime, clock_flag: bool, received_at: datetime, clock_offset: timedelta | None,
) -> tuple[datetime, ...]:
    """When a rating may have been made, on each clock a duty period may have been written by.

    The kiosk's own time (its sign-ins carry it), that time corrected by the
    offset its last heartbeat measured (a manager's schedule is on ours), and
    when it arrived if the kiosk's clock is flagged as wrong.
    """
    times = [created_at]
    if clock_offset is not None:
        times.append(created_at - clock_offset)
    if clock_flag:
        times.append(received_at)
    return tuple(times)


def explained(spans: Iterable[DutySpan], officer_id: int, instants: tuple[datetime, ...], slack: timedelta) -> bool:
    """Whether one of the duty ``spans`` puts ``officer_id`` on duty within ``slack`` of one of ``instants``."""
    return any(
        officer == officer_id and starts - slack <= at and (ends is None or at <= ends + slack)
        for officer, starts, ends in spans for at in instants
    )
