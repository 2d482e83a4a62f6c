"""The central service's tables, as SQLAlchemy 2 typed models.

Raw ratings are kept forever; reports read the pre-aggregated daily tables
(``DailyCount``, ``DailyReasonCount``) that ingestion keeps up to date, so
they stay fast at tens of millions of ratings.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .db import UTCDateTime, db, utcnow

# BIGINT on PostgreSQL, but SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

UNIT_KINDS = ("province", "district", "commune", "department")
ROLES = ("admin", "manager", "inspector", "viewer")
SOURCES = ("touch", "button")
DUTY_ORIGINS = ("scheduled", "kiosk")
# A case moves forward only: mới → đang xác minh → đã kết luận.
CASE_STATUSES = ("new", "verifying", "concluded")
CASE_CONCLUSIONS = ("substantiated", "not_substantiated", "unverifiable")
# What was done about the officer: nothing, nhắc nhở, kiểm điểm, điều chuyển, thay thế.
CASE_ACTIONS = ("none", "reminder", "review", "transfer", "replace")
DELIVERY_CHANNELS = ("email", "webhook")
# What the watch rules look for (``watch_rules``), and whom each alert goes to.
WATCH_RULES = {
    "low_satisfaction": "manager",
    "kiosk_silent": "admin",
    "seq_gap": "admin",
    "seq_reuse": "admin",
    "officer_not_on_duty": "admin",
    "rating_burst": "admin",
    "clock_off": "admin",
    "desk_closed": "inspector",
    "sign_out_after_low": "inspector",
}
WATCH_STATUSES = ("open", "acknowledged", "closed")
NO_OFFICER = 0  # officer key in the daily tables for ratings made with nobody on duty


class Unit(db.Model):
    """An administrative unit: province, district, commune or department.

    ``path`` lists the ids from the root down, as ``/1/4/17/``, so a unit's
    whole subtree is one indexed ``LIKE '/1/4/%'``.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    desks: Mapped[list[Desk]] = relationship(back_populates="unit")
    officers: Mapped[list[Officer]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"


class Desk(db.Model):
    """A reception desk ("quầy") of a unit, where one kiosk stands."""

    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The value it replaces is loaded before a change, so that both units' kiosks see it (``config_stamps``).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, active_history=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit] = relationship(back_populates="desks")
    kiosks: Mapped[list[Kiosk]] = relationship(back_populates="desk")


class Officer(db.Model):
    """A civil servant who serves citizens at a desk and is rated."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    # The value it replaces is loaded before a change, so that both units' kiosks see it (``config_stamps``).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, active_history=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Salted hash of the kiosk sign-in PIN; the kiosk checks it offline.
    pin_hash: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship(back_populates="officers")
    photo: Mapped[OfficerPhoto | None] = relationship(
        back_populates="officer", cascade="all, delete-orphan", lazy="select"
    )


class OfficerPhoto(db.Model):
    """An officer's photo, kept in the database so every copy of the service sees it."""

    __tablename__ = "officer_photos"

    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    officer: Mapped[Officer] = relationship(back_populates="photo")


class Kiosk(db.Model):
    """A registered rating terminal. Only a hash of its token is stored."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The value it replaces is loaded before a change, so that both units' kiosks see it (``config_stamps``).
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"), index=True, active_history=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_heartbeat: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Kiosk clock minus server clock at the last heartbeat, in seconds.
    clock_offset_s: Mapped[float | None]

    desk: Mapped[Desk] = relationship(back_populates="kiosks")


class DutyEvent(db.Model):
    """A sign-in or sign-out sent by a kiosk, idempotent by its UUID."""

    __tablename__ = "duty_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DutyPeriod(db.Model):
    """An officer on duty at a desk from ``starts_at`` until ``ends_at`` (open while None).

    ``origin`` says how it started: ``scheduled`` by a manager, or ``kiosk``
    when the officer signed in at the desk.
    """

    __tablename__ = "duty_periods"
    __table_args__ = (
        CheckConstraint("origin IN ('scheduled', 'kiosk')", name="origin"),
        Index("ix_duty_periods_desk_start", "desk_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(10))

    officer: Mapped[Officer] = relationship()
    desk: Mapped[Desk] = relationship()


class Reason(db.Model):
    """A reason a citizen can give for a low score (docs/protocol.md §1)."""

    __tablename__ = "reasons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    integrity: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Setting(db.Model):
    """One piece of central configuration (the scale, kiosk timings), as JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class ConfigStamp(db.Model):
    """A random number drawn anew, in the same transaction, by every change to what kiosk configs hold.

    ``scope`` 0 stands for what every kiosk's config holds (the scale, the
    reasons, the kiosk settings); a unit's id for what its kiosks' configs
    hold of it (its name, its desks and kiosks, its officers and their
    photos). ``config_stamps`` draws them; a kiosk's config version is made
    of them and of who is on duty at its desk (``api.kiosk_config``), read in
    one statement, so every copy of the service agrees on it at once.
    Random rather than a counter: a database restored from a backup then
    never gives again a version that kiosks hold with other contents.
    """

    __tablename__ = "config_stamps"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


class Rating(db.Model):
    """One press by a citizen, as the kiosk sent it.

    ``day`` is the local date the rating counts for in reports: from the
    kiosk's ``created_at``, or from ``received_at`` when the kiosk's clock is
    flagged as wrong (docs/protocol.md §3).
    """

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("source IN ('touch', 'button')", name="source"),
        # The only index besides the keys: every index slows every insert, and
        # reports read ``daily_counts`` (migration 0003).
        Index("ix_ratings_kiosk_seq", "kiosk_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    score: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int] = mapped_column(BigInteger)
    ticket: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[date] = mapped_column(Date)

    reasons: Mapped[list[RatingReason]] = relationship(
        back_populates="rating", cascade="all, delete-orphan"
    )
    officer: Mapped[Officer | None] = relationship()
    desk: Mapped[Desk] = relationship()
    kiosk: Mapped[Kiosk] = relationship()

    @property
    def made_at(self) -> datetime:
        """When the citizen rated: the kiosk's time, or when it arrived if the kiosk's clock was wrong."""
        return self.received_at if self.clock_flag else self.created_at


class RatingReason(db.Model):
    """A reason chosen with a rating (many per rating)."""

    __tablename__ = "rating_reasons"
    __table_args__ = (Index("ix_rating_reasons_code", "reason_code", "rating_id"),)

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)
    reason_code: Mapped[str] = mapped_column(ForeignKey("reasons.code"), primary_key=True)

    rating: Mapped[Rating] = relationship(back_populates="reasons")


class DailyCount(db.Model):
    """How many ratings of one score an officer got at a desk on one local day.

    Derived data, kept by ingestion and rebuildable from ``ratings``;
    ``officer_id`` is ``NO_OFFICER`` (0) for ratings made with nobody on duty,
    so it carries no foreign key.
    """

    __tablename__ = "daily_counts"
    __table_args__ = (Index("ix_daily_counts_officer_day", "officer_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    officer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class MonthlyCount(db.Model):
    """The daily counts of one calendar month summed: ``day`` is the month's first day.

    Kept by ingestion beside ``daily_counts`` and rebuilt with them; a
    six-month report reads six of these per officer and desk instead of
    180 days (``reports.span``).
    """

    __tablename__ = "monthly_counts"
    __table_args__ = (Index("ix_monthly_counts_officer_day", "officer_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    officer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class DailyReasonCount(db.Model):
    """How often a reason was given to an officer at a desk on one local day."""

    __tablename__ = "daily_reason_counts"
    __table_args__ = (Index("ix_daily_reason_counts_officer_day", "officer_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    officer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class User(db.Model):
    """A person who signs in to the console. ``unit_id`` bounds what a manager or inspector sees."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'manager', 'inspector', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where alerts for this user go (an inspector learns of new cases there); optional.
    email: Mapped[str | None] = mapped_column(String(254))

    unit: Mapped[Unit | None] = relationship()

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's id for the user; the session itself keeps a sign-in token (``sign_in_sessions``)."""
        return f"{self.id}:{self.session_fingerprint()}"

    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]


class LoginFailure(db.Model):
    """Recent failed sign-ins for one key (a user name or an address), for throttling.

    Kept in the database, not in memory, so every copy of the service behind
    the load balancer sees the same count.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInSession(db.Model):
    """One console sign-in, from the password to sign-out, idleness or an administrator's reset.

    The browser's session cookie holds a random token; only its SHA-256 is
    kept here, so a copy of the table signs nobody in. Ending the row ends the
    session for every copy of the cookie, which a signed cookie alone cannot.
    """

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown to the user in their list of sessions, to tell one browser from another.
    address: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(200))


class AuditEntry(db.Model):
    """One change made through the console or the commands: who, what, when, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


class ComplaintIntake(db.Model):
    """A stored rating that names an integrity reason, not yet filed into a case.

    Written in the transaction that stores the rating, so a complaint the
    service acknowledged always reaches a case; the alert worker files it
    (``cases.file_complaints``) and deletes it in one transaction.
    """

    __tablename__ = "complaint_intake"

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)


class Case(db.Model):
    """A misconduct case (hồ sơ phản ánh): the complaints about one officer, handled by inspectors.

    Complaints about the same officer (or, with nobody on duty, the same
    desk) within a short time join the open case. Never shown to the unit's
    managers or viewers.
    """

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'verifying', 'concluded')", name="status"),
        CheckConstraint(
            "conclusion IS NULL OR conclusion IN ('substantiated', 'not_substantiated', 'unverifiable')",
            name="conclusion",
        ),
        CheckConstraint(
            "action IS NULL OR action IN ('none', 'reminder', 'review', 'transfer', 'replace')", name="action"
        ),
        Index("ix_cases_unit_status", "unit_id", "status"),
        Index("ix_cases_officer_status", "officer_id", "status"),
        Index("ix_cases_desk_status", "desk_id", "status"),
        Index("ix_cases_published", "published_at"),
        Index("ix_cases_public_ref", "public_ref", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    status: Mapped[str] = mapped_column(String(12), default="new")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When its first and newest complaints were made (the kiosk's time, or the
    # time received when the kiosk's clock was wrong): a complaint joins it within ``case_join_h`` of these.
    first_complaint_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_complaint_at: Mapped[datetime] = mapped_column(UTCDateTime)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    conclusion: Mapped[str | None] = mapped_column(String(20))
    findings: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(20))
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When an inspector made it public (công khai) on the public board; None when not, or withdrawn.
    # Who did is in the audit log.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether the board names the officer; the inspector chooses, and the default is no.
    show_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    # The board's reference for a case, given at its first publication: random, because ids
    # are sequential and would tell how many cases there are. Unique through an index, which
    # migration 0006 adds and drops without rebuilding the table on SQLite.
    public_ref: Mapped[str | None] = mapped_column(String(12))

    unit: Mapped[Unit] = relationship()
    desk: Mapped[Desk] = relationship()
    officer: Mapped[Officer | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    concluded_by: Mapped[User | None] = relationship(foreign_keys=[concluded_by_id])
    notes: Mapped[list[CaseNote]] = relationship(back_populates="case", order_by="CaseNote.id")


class CaseRating(db.Model):
    """A complaint (a rating with an integrity reason) filed in a case; each in one case only."""

    __tablename__ = "case_ratings"

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The citizen's tracking code (``tracking.stored_code`` of the rating's UUID), so the public
    # lookup is one indexed query. Not unique: two of 2**50 codes may meet, and filing must not fail.
    tracking_code: Mapped[str] = mapped_column(String(10), index=True)

    rating: Mapped[Rating] = relationship()


class CaseNote(db.Model):
    """A dated note an inspector adds to a case while verifying it."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="notes")


class Delivery(db.Model):
    """An alert to send by e-mail or webhook, kept until it is sent.

    Queued in the transaction that raises the alert and retried with
    backoff, so an outage loses nothing; ``event``, ``channel`` and
    ``recipient`` are unique, so one alert is queued once. ``body`` is sent
    exactly as stored (a webhook's signature covers these bytes).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        UniqueConstraint("event", "channel", "recipient"),
        Index("ix_deliveries_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker that took it may send it until then; after, another may (it stopped half-way).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WatchAlert(db.Model):
    """Something a watch rule found that a person should look at, until they close it with a note.

    ``key`` names the condition (the rule and what it is about, and for a
    passing condition its episode); ``open_key`` holds it while the alert is
    not closed, so one condition has one open alert however many processes
    look. ``role`` is who handles it: the managers, administrators or
    inspectors whose unit covers ``unit_id``.
    """

    __tablename__ = "watch_alerts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'acknowledged', 'closed')", name="status"),
        CheckConstraint("role IN ('admin', 'manager', 'inspector')", name="role"),
        Index("ix_watch_alerts_key", "key", "closed_at"),
        Index("ix_watch_alerts_role_status", "role", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    key: Mapped[str] = mapped_column(String(200))
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    # The figures that fired the rule, for the person reading it (see ``watch_rules``).
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ack_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    officer: Mapped[Officer | None] = relationship()
    desk: Mapped[Desk | None] = relationship()
    kiosk: Mapped[Kiosk | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])


class WatchMark(db.Model):
    """How far a watch rule has read a growing table (the last id it looked at), or its last run."""

    __tablename__ = "watch_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_day: Mapped[date | None] = mapped_column(Date)


# Registers the flush listener that draws the stamps above; last, as it reads these models.
from . import config_stamps  # noqa: E402,F401
