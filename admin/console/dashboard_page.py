"""The overview: today's and the period's ratings, satisfaction, and which kiosks are down."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..reports.dashboard import dashboard_figures
from . import bp
from .period_form import UnitPeriodForm, today


@bp.get("/")
def dashboard():
    form = UnitPeriodForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    figures = dashboard_figures(form.unit_id(), start, end, today())
    return render_template("console/dashboard.html", form=form, figures=figures, start=start, end=end)
