"""Misconduct cases (inspectors): the list, one case with its complaints and notes, and handling it.

Confidential from the unit: managers and viewers never reach these pages.
An administrator reads them; only an inspector whose unit covers a case
changes it (``cases.can_handle``), publishes it once concluded and withdraws
it again, and every change is audited.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case as when, func, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import cases
from ..cases import ACTION_LABELS, CONCLUSION_LABELS, STATUS_LABELS
from ..access import INTEGRITY_READERS, check_unit_access, in_visible_units, require_role
from ..db import db
from ..models import CASE_ACTIONS, CASE_CONCLUSIONS, Case, CaseRating, Rating, User
from ..public import forget_pages
from ..scale import load_reasons, load_scale
from ..units import subtree_unit_ids_select
from . import bp, inspectors_may_post
from .changes import saved
from .forms import Form, select_choices
from .period_form import UnitFilterForm

# Cases per page of the list, newest complaint first; older ones by narrowing the filter.
LIMIT = 200


class CaseFilter(UnitFilterForm):
    status = SelectField(
        _l("Status"), default="open",
        choices=select_choices([("open", _l("Open")), ("new", _l("New")), ("verifying", _l("Being verified")),
                                ("concluded", _l("Concluded")), ("all", _l("All"))]),
    )


class AssignForm(Form):
    assignee_id = SelectField(_l("Inspector"), coerce=int)


class NoteForm(Form):
    text = TextAreaField(
        _l("Note"), validators=[DataRequired(_l("Write the note first.")), Length(max=cases.MAX_TEXT)]
    )


class ConcludeForm(Form):
    conclusion = SelectField(_l("Conclusion"), choices=select_choices((c, CONCLUSION_LABELS[c]) for c in CASE_CONCLUSIONS))
    findings = TextAreaField(
        _l("Findings"),
        validators=[DataRequired(_l("Write what the verification found.")), Length(max=cases.MAX_TEXT)],
    )
    action = SelectField(_l("Action taken"), choices=select_choices((a, ACTION_LABELS[a]) for a in CASE_ACTIONS))


class PublishForm(Form):
    show_officer = BooleanField(_l("Show the officer's name on the public board"), default=False)


class WithdrawForm(Form):
    """Only the CSRF token: withdrawing takes no choice."""

    show_officer = BooleanField()


def open_case_count(user: User) -> int:
    """New cases (nobody has taken them yet) that ``user`` may see: the count on every console page."""
    stmt = in_visible_units(user, select(func.count()).select_from(Case).where(Case.status == "new"), Case.unit_id)
    return db.session.scalar(stmt) or 0


def visible_case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    check_unit_access(current_user, case.unit_id)
    return case


@bp.get("/cases")
@require_role(*INTEGRITY_READERS)
def cases_list():
    form = CaseFilter(current_user, allow_all=True)
    form.validate_on_submit()
    status = form.status.data if form.status.data in {choice.value for choice in form.status.choices} else "open"
    stmt = (
        select(Case)
        .options(joinedload(Case.officer), joinedload(Case.desk), joinedload(Case.unit), joinedload(Case.assignee))
        .order_by(when((Case.status == "new", 0), else_=1), Case.last_complaint_at.desc(), Case.id.desc())
        .limit(LIMIT)
    )
    if status == "open":
        stmt = stmt.where(Case.status != "concluded")
    elif status != "all":
        stmt = stmt.where(Case.status == status)
    unit_id = form.unit_id()
    if unit_id is not None:
        stmt = stmt.where(Case.unit_id.in_(subtree_unit_ids_select(unit_id)))
    stmt = in_visible_units(current_user, stmt, Case.unit_id)
    found = db.session.scalars(stmt).all()
    return render_template(
        "console/cases.html", form=form, cases=found, status_labels=STATUS_LABELS, limit=LIMIT,
        truncated=len(found) == LIMIT,
    )


@bp.get("/cases/<int:case_id>")
@require_role(*INTEGRITY_READERS)
def case_detail(case_id: int):
    case = visible_case_or_404(case_id)
    return _render_case(case)


def _render_case(case: Case, assign_form=None, note_form=None, conclude_form=None, publish_form=None,
                 status: int = 200):
    complaints = db.session.scalars(
        select(Rating)
        .join(CaseRating, CaseRating.rating_id == Rating.id)
        .where(CaseRating.case_id == case.id)
        .options(joinedload(Rating.officer), joinedload(Rating.desk), selectinload(Rating.reasons))
        .order_by(Rating.created_at, Rating.id)
    ).all()
    reasons = {reason.code: reason for reason in load_reasons(active_only=False)}
    handlers = cases.case_inspectors(case)
    may_handle = current_user.role == "inspector" and any(u.id == current_user.id for u in handlers)
    if assign_form is None:
        assign_form = AssignForm(assignee_id=case.assignee_id or current_user.id)
    assign_form.assignee_id.choices = select_choices((u.id, u.username) for u in handlers)
    return render_template(
        "console/case.html",
        case=case,
        complaints=complaints,
        reasons=reasons,
        scale=load_scale(),
        may_handle=may_handle and case.status != "concluded",
        may_publish=may_handle and case.status == "concluded",
        publish_form=publish_form or (WithdrawForm() if case.published_at else PublishForm()),
        tracking_codes=dict(db.session.execute(
            select(CaseRating.rating_id, CaseRating.tracking_code).where(CaseRating.case_id == case.id)
        ).all()),
        assign_form=assign_form,
        note_form=note_form or NoteForm(),
        conclude_form=conclude_form or ConcludeForm(),
        status_labels=STATUS_LABELS,
        conclusion_labels=CONCLUSION_LABELS,
        action_labels=ACTION_LABELS,
    ), status


def _handled_case_or_404(case_id: int) -> Case:
    """The case, for a change: 404 outside what the user sees, 403 for an inspector who may not handle it."""
    case = visible_case_or_404(case_id)
    if not cases.can_handle(current_user, case):
        abort(403)
    return case


def note_snapshot(case: Case) -> dict:
    return {"notes": len(case.notes), "last_note": case.notes[-1].text if case.notes else None}


@bp.post("/cases/<int:case_id>/assign")
@require_role("inspector")
@inspectors_may_post
def case_assign(case_id: int):
    case = _handled_case_or_404(case_id)
    form = AssignForm()
    form.assignee_id.choices = select_choices((u.id, u.username) for u in cases.case_inspectors(case))
    if not saved(form, "assign", "case", case, cases.snapshot,
                 lambda: cases.assign(case, db.session.get(User, form.assignee_id.data))):
        return _render_case(case, assign_form=form, status=400)
    flash(gettext("Case #%(id)d is being verified by %(name)s.", id=case.id, name=case.assignee.username), "success")
    return redirect(url_for("console.case_detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/notes")
@require_role("inspector")
@inspectors_may_post
def case_note(case_id: int):
    case = _handled_case_or_404(case_id)
    form = NoteForm()
    if not saved(form, "note", "case", case, note_snapshot, lambda: cases.add_note(case, current_user, form.text.data)):
        return _render_case(case, note_form=form, status=400)
    flash(gettext("Note added."), "success")
    return redirect(url_for("console.case_detail", case_id=case.id, _anchor="notes"))


@bp.post("/cases/<int:case_id>/conclude")
@require_role("inspector")
@inspectors_may_post
def case_conclude(case_id: int):
    case = _handled_case_or_404(case_id)
    form = ConcludeForm()
    if not saved(form, "conclude", "case", case, cases.snapshot, lambda: cases.conclude(
            case, current_user, form.conclusion.data, form.findings.data, form.action.data)):
        return _render_case(case, conclude_form=form, status=400)
    flash(gettext("Case #%(id)d concluded.", id=case.id), "success")
    return redirect(url_for("console.case_detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/publish")
@require_role("inspector")
@inspectors_may_post
def case_publish(case_id: int):
    case = _handled_case_or_404(case_id)
    form = PublishForm()
    if not saved(form, "publish", "case", case, cases.snapshot,
                 lambda: cases.publish(case, current_user, form.show_officer.data)):
        return _render_case(case, publish_form=form, status=400)
    forget_pages()
    flash(gettext("Case #%(id)d is published on the public board.", id=case.id), "success")
    return redirect(url_for("console.case_detail", case_id=case.id, _anchor="publication"))


@bp.post("/cases/<int:case_id>/withdraw")
@require_role("inspector")
@inspectors_may_post
def case_withdraw(case_id: int):
    case = _handled_case_or_404(case_id)
    form = WithdrawForm()
    if not saved(form, "withdraw", "case", case, cases.snapshot, lambda: cases.withdraw(case, current_user)):
        return _render_case(case, publish_form=form, status=400)
    forget_pages()
    flash(gettext("Case #%(id)d is no longer on the public board.", id=case.id), "success")
    return redirect(url_for("console.case_detail", case_id=case.id, _anchor="publication"))
