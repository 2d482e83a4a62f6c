"""The overview: today's and the period's ratings and satisfaction beside the period before, and which kiosks are down."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..periods import period_for
from ..reports.dashboard import dashboard_figures
from . import bp
from .period_form import UnitPeriodForm, today


@bp.get("/")
def dashboard():
    form = UnitPeriodForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    period = period_for(start, end)
    figures = dashboard_figures(form.unit_id(), period, today())
    return render_template("console/dashboard.html", form=form, figures=figures, start=start, end=end, period=period)
