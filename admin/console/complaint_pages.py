"""Misconduct complaints (inspectors): ratings that name obstruction or bribe-seeking.

Confidential from the unit: managers and viewers never reach this page.
"""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..access import INTEGRITY_READERS, require_role
from ..reports.complaints import integrity_complaints
from ..scale import load_scale
from . import bp
from .period_form import UnitPeriodForm

# Newest first; a longer list is read by narrowing the period or the unit.
LIMIT = 500


@bp.get("/complaints")
@require_role(*INTEGRITY_READERS)
def complaints():
    form = UnitPeriodForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    found = integrity_complaints(form.unit_id(), start, end, limit=LIMIT)
    return render_template(
        "console/complaints.html", form=form, complaints=found, scale=load_scale(), limit=LIMIT,
        truncated=len(found) == LIMIT,
    )
