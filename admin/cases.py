"""Misconduct cases (hồ sơ phản ánh): complaints filed into cases, and what inspectors do with them.

A rating that names an integrity reason (docs/protocol.md §1) is stored with
a row in ``complaint_intake``, in the same transaction. ``file_complaints``
(run by the alert worker, within seconds) files each into a case, the open
case about the same officer (the same desk when nobody was on duty) whose
complaints lie within ``case_join_h`` hours of it, or else a new one, and
queues the alerts to the inspectors in the same commit.

An inspector whose unit covers the case takes it (mới → đang xác minh),
adds dated notes and concludes it (đã kết luận) with a conclusion, the
findings and the action taken, and may then publish it on the public board
(công khai, ``public``), naming the officer only if they choose to, or
withdraw it again. Every change is in the audit log. Managers and viewers
never see a case in the console; once it is published they read on the board
what the public reads.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, select
from sqlalchemy.orm import selectinload

from . import audit
from .alerts import ALERT_SETTINGS
from .alerts.messages import queue_case_alerts
from .db import db, utcnow, write_transaction
from .models import CASE_ACTIONS, CASE_CONCLUSIONS, Case, CaseNote, CaseRating, ComplaintIntake, Rating, Unit, User
from .refused import Refused
from .tracking import ALPHABET, stored_code
from .units import unit_ancestor_ids

STATUS_LABELS = {
    "new": _l("New"),
    "verifying": _l("Being verified"),
    "concluded": _l("Concluded"),
}
CONCLUSION_LABELS = {
    "substantiated": _l("Substantiated"),
    "not_substantiated": _l("Not substantiated"),
    "unverifiable": _l("Cannot be verified"),
}
ACTION_LABELS = {
    "none": _l("No action"),
    "reminder": _l("Reminder (nhắc nhở)"),
    "review": _l("Disciplinary review (kiểm điểm)"),
    "transfer": _l("Transfer (điều chuyển)"),
    "replace": _l("Replacement (thay thế)"),
}
# What the public lookup says of a case in each status.
PUBLIC_STATUS_LABELS = {
    "new": _l("Received"),
    "verifying": _l("Being verified"),
    "concluded": _l("Concluded"),
}
# Who the audit log names for what the service does by itself.
SYSTEM_ACTOR = "system"
MAX_TEXT = 5000
SNAPSHOT_FIELDS = (
    "status", "assignee_id", "complaints", "conclusion", "findings", "action",
    "published_at", "show_officer", "public_ref",
)
# Length of a case's public reference: 40 random bits in Crockford base 32.
PUBLIC_REF_LENGTH = 8
# Complaints filed per transaction: bounds how long one holds SQLite's write lock.
FILE_BATCH = 100


class CaseRefused(Refused):
    """A change an inspector asked for that cannot be made; ``field`` names the form field."""


def snapshot(case: Case) -> dict:
    return audit.snapshot(case, SNAPSHOT_FIELDS)


def file_complaints(limit: int = FILE_BATCH) -> int:
    """File up to ``limit`` waiting complaints into cases and queue their alerts, in one commit.

    Returns how many were filed; the worker calls it again until none wait.
    On PostgreSQL several processes may file at once: each takes intake rows
    the others have not locked.
    """
    # A plain read first: the worker asks every few seconds, and nearly always nothing waits,
    # so it takes no write lock for nothing.
    if db.session.scalar(select(ComplaintIntake.rating_id).limit(1)) is None:
        db.session.rollback()
        return 0
    write_transaction()
    stmt = select(ComplaintIntake.rating_id).order_by(ComplaintIntake.rating_id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rating_ids = list(db.session.scalars(stmt))
    if not rating_ids:
        db.session.rollback()
        return 0
    join = timedelta(hours=ALERT_SETTINGS.load()["case_join_h"])
    ratings = db.session.scalars(
        select(Rating).where(Rating.id.in_(rating_ids)).options(selectinload(Rating.reasons)).order_by(Rating.id)
    )
    for rating in ratings:
        case, opened = _file(rating, join)
        queue_case_alerts(case, rating, opened, case_inspectors(case))
    db.session.execute(delete(ComplaintIntake).where(ComplaintIntake.rating_id.in_(rating_ids)))
    db.session.commit()
    return len(rating_ids)


def _file(rating: Rating, join: timedelta) -> tuple[Case, bool]:
    """Put ``rating`` in its case, opening one if none is open near its time; (case, opened)."""
    when = rating.made_at
    if rating.officer_id is not None:
        same = Case.officer_id == rating.officer_id
    else:
        same = and_(Case.desk_id == rating.desk_id, Case.officer_id.is_(None))
    open_cases = db.session.scalars(select(Case).where(same, Case.status != "concluded").order_by(Case.id.desc()))
    case = next((c for c in open_cases if c.first_complaint_at - join <= when <= c.last_complaint_at + join), None)
    opened = case is None
    if case is None:
        case = Case(
            unit_id=rating.unit_id, desk_id=rating.desk_id, officer_id=rating.officer_id, status="new",
            opened_at=utcnow(), first_complaint_at=when, last_complaint_at=when, complaints=0,
        )
        db.session.add(case)
        db.session.flush()
        before = None
    else:
        before = snapshot(case)
    case.complaints += 1
    case.first_complaint_at = min(case.first_complaint_at, when)
    case.last_complaint_at = max(case.last_complaint_at, when)
    db.session.add(CaseRating(rating_id=rating.id, case_id=case.id, tracking_code=stored_code(rating.uuid)))
    db.session.flush()
    after = {**snapshot(case), "rating_id": rating.id}
    audit.record("open" if opened else "add_complaint", "case", case.id, before, after, actor=SYSTEM_ACTOR)
    return case, opened


def case_inspectors(case: Case) -> list[User]:
    """The active inspectors whose unit is the case's unit or one above it: those who may handle it."""
    unit = db.session.get(Unit, case.unit_id)
    return list(db.session.scalars(
        select(User)
        .where(User.role == "inspector", User.active.is_(True), User.unit_id.in_(unit_ancestor_ids(unit)))
        .order_by(User.username)
    ))


def can_handle(user: User, case: Case) -> bool:
    """Whether ``user`` may change ``case``: an inspector whose unit covers it."""
    return user.role == "inspector" and any(inspector.id == user.id for inspector in case_inspectors(case))


def assign(case: Case, assignee: User) -> None:
    """Give ``case`` to ``assignee``, who must be able to handle it; a new case is then being verified."""
    if case.status == "concluded":
        raise CaseRefused("assignee", _l("This case is concluded."))
    if not can_handle(assignee, case):
        raise CaseRefused("assignee", _l("Only an inspector whose unit covers this case can handle it."))
    case.assignee_id = assignee.id
    if case.status == "new":
        case.status = "verifying"


def add_note(case: Case, author: User, text: str) -> CaseNote:
    """Add a dated note by ``author`` to ``case``."""
    text = text.strip()
    if not text:
        raise CaseRefused("text", _l("Write the note first."))
    if len(text) > MAX_TEXT:
        raise CaseRefused("text", _l("A note may have at most %(n)d characters.", n=MAX_TEXT))
    note = CaseNote(at=utcnow(), user_id=author.id, author=author.username, text=text)
    case.notes.append(note)
    return note


def conclude(case: Case, by: User, conclusion: str, findings: str, action: str) -> None:
    """Conclude ``case``: whether the complaint was substantiated, what was found, what was done."""
    if case.status == "concluded":
        raise CaseRefused("conclusion", _l("This case is already concluded."))
    if conclusion not in CASE_CONCLUSIONS:
        raise CaseRefused("conclusion", _l("Choose a conclusion."))
    if action not in CASE_ACTIONS:
        raise CaseRefused("action", _l("Choose the action taken."))
    findings = findings.strip()
    if not findings:
        raise CaseRefused("findings", _l("Write what the verification found."))
    if len(findings) > MAX_TEXT:
        raise CaseRefused("findings", _l("The findings may have at most %(n)d characters.", n=MAX_TEXT))
    case.status = "concluded"
    case.conclusion = conclusion
    case.findings = findings
    case.action = action
    case.concluded_at = utcnow()
    case.concluded_by_id = by.id
    if case.assignee_id is None:
        case.assignee_id = by.id


def publish(case: Case, by: User, show_officer: bool) -> None:
    """Put the outcome of concluded ``case`` on the public board; ``show_officer`` names the officer there.

    Only an inspector who may handle the case publishes it, once concluded.
    The board shows the date concluded, the unit, the kinds of misconduct, the
    conclusion and the action, never the findings or anything the citizen wrote.
    """
    if not can_handle(by, case):
        raise CaseRefused("show_officer", _l("Only an inspector whose unit covers this case can handle it."))
    if case.status != "concluded":
        raise CaseRefused("show_officer", _l("Only a concluded case can be published."))
    if case.published_at is not None:
        raise CaseRefused("show_officer", _l("This case is already published."))
    if show_officer and case.officer_id is None:
        raise CaseRefused("show_officer", _l("Nobody was on duty: there is no officer to name."))
    case.published_at = utcnow()
    case.show_officer = show_officer
    # Kept when a case is withdrawn and published again, so a reference once read stays true.
    if case.public_ref is None:
        case.public_ref = _new_public_ref()


def withdraw(case: Case, by: User) -> None:
    """Take ``case`` off the public board (the officer's name choice goes with it)."""
    if not can_handle(by, case):
        raise CaseRefused("show_officer", _l("Only an inspector whose unit covers this case can handle it."))
    if case.published_at is None:
        raise CaseRefused("show_officer", _l("This case is not published."))
    case.published_at = None
    case.show_officer = False


def _new_public_ref() -> str:
    """A random reference no case has yet."""
    while True:
        ref = "".join(secrets.choice(ALPHABET) for _ in range(PUBLIC_REF_LENGTH))
        if db.session.scalar(select(Case.id).where(Case.public_ref == ref)) is None:
            return ref
