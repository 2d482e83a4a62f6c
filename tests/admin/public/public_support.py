"""Helpers of the public board's tests: cases handled to a given state, caches that keep nothing.

Dates are fixed (the first half of 2026 and the half before): nothing here
depends on today.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from admin import cases
from admin.db import db
from admin.models import Case, CaseRating, Rating, User
from admin.public.page_cache import PageCache

from ..console.console_support import add_ratings

PERIOD = "2026-H1"
# Inside PERIOD, and inside the half year before it, in UTC (noon in Hà Nội).
IN_PERIOD = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)
IN_PREVIOUS = datetime(2025, 10, 1, 5, 0, tzinfo=timezone.utc)
CONCLUDED = datetime(2026, 5, 20, 3, 0, tzinfo=timezone.utc)


def no_cache(app) -> None:
    """Every request builds its page afresh (tests that change data between requests)."""
    state = app.extensions["public_board"]
    state.pages, state.boards = PageCache(0), PageCache(0)


def complaint_case(app, kiosk_id: int, officer_id: int | None, reasons: list[str], when=IN_PERIOD) -> tuple[int, str]:
    """File one complaint into a new case; (case id, the complaint's tracking code as stored)."""
    add_ratings(app, kiosk_id, [(1, officer_id, reasons)], when=when)
    with app.app_context():
        while cases.file_complaints():
            pass
        rating_id = db.session.scalar(select(Rating.id).order_by(Rating.id.desc()).limit(1))
        link = db.session.get(CaseRating, rating_id)
        return link.case_id, link.tracking_code


def inspector(app, unit_id: int, username: str = "thanhtra") -> int:
    from ..console.console_support import add_user

    return add_user(app, username, "inspector", unit_id)


def handle(app, case_id: int, inspector_id: int, to: str, show_officer: bool = False) -> None:
    """Take the case to ``to``: verifying, concluded (on CONCLUDED), or published."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        by = db.session.get(User, inspector_id)
        cases.assign(case, by)
        if to in ("concluded", "published"):
            cases.conclude(case, by, "substantiated", "Người phản ánh B-042 xác nhận qua điện thoại.", "review")
            case.concluded_at = CONCLUDED
        if to == "published":
            cases.publish(case, by, show_officer)
        db.session.commit()
