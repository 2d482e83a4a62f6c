"""Misconduct cases: every complaint of misconduct reaches one case, complaints close in time join it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from admin import cases
from admin.alerts import ALERT_SETTINGS
from admin.db import db
from admin.models import AuditEntry, Case, CaseRating, ComplaintIntake, Rating, User
from admin.users import hash_password

from .console.console_support import add_ratings


def file_all(app) -> int:
    with app.app_context():
        filed = 0
        while n := cases.file_complaints():
            filed += n
        return filed


def all_cases(app) -> list[tuple]:
    with app.app_context():
        return [
            (c.officer_id, c.desk_id, c.status, c.complaints)
            for c in db.session.scalars(select(Case).order_by(Case.id))
        ]


def test_integrity_complaint_is_taken_in_with_the_rating_and_filed_into_a_new_case(app, world):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe", "slow"]), (1, world.officer_a_id, ["slow"])])
    with app.app_context():
        # Stored in the ratings' own transaction: only the integrity one waits.
        assert db.session.scalar(select(func.count()).select_from(ComplaintIntake)) == 1
    assert file_all(app) == 1
    assert all_cases(app) == [(world.officer_a_id, world.desk_a_id, "new", 1)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ComplaintIntake)) == 0
        case = db.session.scalars(select(Case)).one()
        assert case.unit_id == world.commune_a_id
        linked = db.session.scalars(select(CaseRating.rating_id)).all()
        bribe = db.session.scalar(select(Rating.id).where(Rating.seq == 1))
        assert linked == [bribe]
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "case")).one()
        assert (entry.action, entry.actor, entry.after["rating_id"]) == ("open", "system", bribe)


def test_complaints_about_one_officer_in_a_short_time_join_one_case(app, world):
    now = datetime.now(timezone.utc)
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])], when=now - timedelta(hours=30))
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["harassment"])], when=now - timedelta(hours=2))
    file_all(app)
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe", "attitude"])], when=now - timedelta(minutes=5))
    file_all(app)
    assert all_cases(app) == [(world.officer_a_id, world.desk_a_id, "new", 3)]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "case").order_by(AuditEntry.id)).all()
        assert actions == ["open", "add_complaint", "add_complaint"]


def test_other_officers_desks_and_distant_times_get_cases_of_their_own(app, world):
    now = datetime.now(timezone.utc)
    with app.app_context():
        ALERT_SETTINGS.store({"case_join_h": 24})
        db.session.commit()
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])], when=now - timedelta(days=5))
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])], when=now - timedelta(hours=1))
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a2_id, ["bribe"])], when=now - timedelta(hours=1))
    # Nobody on duty: the complaint is about the desk.
    add_ratings(app, world.kiosk_b_id, [(1, None, ["harassment"]), (1, None, ["bribe"])], when=now - timedelta(hours=1))
    file_all(app)
    assert sorted(all_cases(app), key=str) == sorted([
        (world.officer_a_id, world.desk_a_id, "new", 1),
        (world.officer_a_id, world.desk_a_id, "new", 1),
        (world.officer_a2_id, world.desk_a_id, "new", 1),
        (None, world.desk_b_id, "new", 2),
    ], key=str)


def test_a_concluded_case_takes_no_more_complaints(app, world):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    file_all(app)
    with app.app_context():
        inspector = User(username="tt", password_hash=hash_password("x" * 12), role="inspector", unit_id=world.province_id)
        db.session.add(inspector)
        case = db.session.scalars(select(Case)).one()
        cases.conclude(case, inspector, "unverifiable", "Không liên hệ được người phản ánh.", "none")
        db.session.commit()
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    file_all(app)
    assert [c[2:] for c in all_cases(app)] == [("concluded", 1), ("new", 1)]


@pytest.fixture
def inspectors(app, world):
    """An inspector of commune A, one of the province, one of commune B, a manager of commune A."""
    with app.app_context():
        users = {
            name: User(username=name, password_hash=hash_password("x" * 12), role=role, unit_id=unit)
            for name, role, unit in (
                ("tt_xa_a", "inspector", world.commune_a_id),
                ("tt_tinh", "inspector", world.province_id),
                ("tt_xa_b", "inspector", world.commune_b_id),
                ("ql_xa_a", "manager", world.commune_a_id),
            )
        }
        db.session.add_all(users.values())
        db.session.commit()
        return {name: user.id for name, user in users.items()}


def test_inspectors_above_the_desk_handle_the_case_and_nobody_else(app, world, inspectors):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    file_all(app)
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        assert [u.username for u in cases.case_inspectors(case)] == ["tt_tinh", "tt_xa_a"]
        for name, expected in (("tt_xa_a", True), ("tt_tinh", True), ("tt_xa_b", False), ("ql_xa_a", False)):
            assert cases.can_handle(db.session.get(User, inspectors[name]), case) is expected, name
        with pytest.raises(cases.CaseRefused):
            cases.assign(case, db.session.get(User, inspectors["tt_xa_b"]))
        cases.assign(case, db.session.get(User, inspectors["tt_xa_a"]))
        assert (case.status, case.assignee_id) == ("verifying", inspectors["tt_xa_a"])


@pytest.mark.parametrize("conclusion, findings, action, field", [
    ("guilty", "Có", "none", "conclusion"),
    ("substantiated", "   ", "none", "findings"),
    ("substantiated", "x" * 5001, "none", "findings"),
    ("substantiated", "Có", "fire", "action"),
])
def test_a_conclusion_needs_a_known_outcome_findings_and_action(app, world, inspectors, conclusion, findings, action, field):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    file_all(app)
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        with pytest.raises(cases.CaseRefused) as refused:
            cases.conclude(case, db.session.get(User, inspectors["tt_xa_a"]), conclusion, findings, action)
        assert refused.value.field == field
        assert case.status == "new"
