"""Results: an officer's scorecard, the league tables of units and officers, and the CSV export."""
from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from ..access import can_see_integrity, get_visible_or_404
from ..i18n import current_language
from ..models import Officer
from ..reports import officer_table, ranking as ranking_report, scorecard as scorecard_report
from ..reports.unit_league import unit_league
from ..periods import period_for
from ..scale import load_scale
from ..watch_rules import WATCH_SETTINGS
from . import bp
from .charts import trend_charts
from .period_form import PeriodForm, UnitPeriodForm

DEFAULT_MIN_RATINGS = 10
# Officers per page of the league table: a province's 2,000 in one page would
# take a phone (and the server) seconds to lay out; the CSV has them all.
PER_PAGE = 100


class RankingForm(UnitPeriodForm):
    min_ratings = IntegerField(
        _l("Ranked from (ratings)"),
        default=DEFAULT_MIN_RATINGS,
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message=_l("Enter a number from 1 upwards."))],
        description=_l("Officers with fewer ratings are listed apart, not ranked."),
    )


@bp.get("/officers/<int:officer_id>/scorecard")
def scorecard(officer_id: int):
    """One officer's results for a period; integrity reasons only for those who may see them."""
    officer = get_visible_or_404(current_user, Officer, officer_id)
    form = PeriodForm()
    form.validate_on_submit()
    start, end = form.period()
    card = scorecard_report.scorecard(officer.id, start, end, include_integrity=can_see_integrity(current_user))
    scale, lang = load_scale(), current_language()
    # Best level first, as on the kiosk; the levels below "satisfied" drawn in red.
    levels = [
        (scale.label(score, lang), card.counts.get(score, 0), "" if score >= scale.satisfied_from else "low")
        for score in reversed(scale.scores)
    ]
    threshold = WATCH_SETTINGS.load()["satisfaction_pct"]
    return render_template(
        "console/scorecard.html", form=form, card=card, scale=scale, levels=levels,
        charts=trend_charts(card.trend, threshold), threshold=threshold, previous=period_for(start, end).previous(),
    )


@bp.get("/ranking")
def ranking():
    """The league tables of a period: the units just below the chosen one, and its officers.

    Both are ranked by the lower bound of satisfaction, with a minimum
    number of ratings; each row shows the period before and the change.
    """
    form = RankingForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    min_ratings = form.min_ratings.data if form.min_ratings.data and not form.min_ratings.errors else DEFAULT_MIN_RATINGS
    sort = request.args.get("sort", "confidence")
    if sort not in ranking_report.SORT_KEYS:
        sort = "confidence"
    previous = period_for(start, end).previous()
    before = (previous.start, previous.end)
    unit_id = form.unit_id()
    ranked, too_few = ranking_report.ranking(unit_id, start, end, min_ratings=min_ratings, sort=sort, previous=before)
    units_ranked, units_too_few = unit_league(unit_id, start, end, min_ratings=min_ratings, previous=before)
    pages = max(1, -(-len(ranked) // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    # The filter's values, carried by the sort links, the unit links and the export link.
    query = {"start": start.isoformat(), "end": end.isoformat(), "unit": form.unit.data}
    return render_template(
        "console/ranking.html",
        form=form,
        ranked=ranked[(page - 1) * PER_PAGE:page * PER_PAGE],
        ranked_count=len(ranked),
        page=page,
        pages=pages,
        per_page=PER_PAGE,
        too_few=too_few[:PER_PAGE],
        too_few_count=len(too_few),
        units_ranked=units_ranked,
        units_too_few=units_too_few,
        previous=previous,
        sort=sort,
        query={**query, "min_ratings": min_ratings},
        export_url=url_for("console.export_report", **query),
    )


@bp.get("/report.csv")
def export_report():
    """The per-officer table of docs/protocol.md §3 for the visible units, as a CSV download.

    It holds counts per score only, never reasons, so it is the same for
    every role.
    """
    form = UnitPeriodForm(current_user, allow_all=True)
    form.validate_on_submit()
    start, end = form.period()
    rows = officer_table.officer_report(start, end, form.unit_id())
    # A byte order mark, so that Excel reads the Vietnamese names as UTF-8.
    body = "\ufeff" + officer_table.report_csv(rows, load_scale())
    filename = f"hai-long-officers-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
