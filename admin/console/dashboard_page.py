"""The overview: the period beside the one before, its trend, and who needs attention.

What needs attention depends on the role: everyone sees the units and
officers confidently below the threshold; inspectors and administrators the
open cases; managers and viewers, who never see a case, the outcomes an
inspector published for their units (as the public board shows them);
kiosks that stopped calling are listed for everyone (a manager should know
their desk's kiosk is down).
"""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..access import can_see_integrity
from ..cases import ACTION_LABELS, CONCLUSION_LABELS
from ..db import utcnow
from ..models import Case
from ..periods import period_for
from ..public.board import PublicCase, published_cases
from ..reports.attention import officer_desk_counts, officers_below, open_cases, units_below, waiting_days
from ..reports.dashboard import dashboard_figures
from ..units import subtree_unit_ids_select
from ..watch_rules import WATCH_SETTINGS
from . import bp
from .charts import trend_charts
from .period_form import UnitPeriodForm, today

# Published outcomes listed on a manager's overview; the public board has them all.
PUBLISHED_SHOWN = 5


def published_outcomes(unit_id: int | None) -> list[PublicCase]:
    """The latest published outcomes of cases in ``unit_id``'s subtree (the form keeps it inside the person's tree)."""
    where = [] if unit_id is None else [Case.unit_id.in_(subtree_unit_ids_select(unit_id))]
    return published_cases(*where, limit=PUBLISHED_SHOWN)


@bp.get("/")
def dashboard():
    form = UnitPeriodForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    period = period_for(start, end)
    unit_id = form.unit_id()
    threshold = WATCH_SETTINGS.load()["satisfaction_pct"]
    figures = dashboard_figures(unit_id, period, today())
    counts = officer_desk_counts(start, end)
    return render_template(
        "console/dashboard.html",
        form=form,
        figures=figures,
        start=start,
        end=end,
        period=period,
        trend=figures["trend"],
        charts=trend_charts(figures["trend"], threshold),
        threshold=threshold,
        units_below=units_below(unit_id, counts, threshold),
        officers_below=officers_below(unit_id, counts, threshold),
        cases=open_cases(current_user, unit_id) if can_see_integrity(current_user) else None,
        published=None if can_see_integrity(current_user) else published_outcomes(unit_id),
        conclusion_labels=CONCLUSION_LABELS,
        action_labels=ACTION_LABELS,
        waiting_days=waiting_days,
        now=utcnow(),
    )
