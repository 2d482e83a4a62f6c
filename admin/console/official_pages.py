"""The official report ("Báo cáo kết quả đánh giá mức độ hài lòng"): choose a unit and a period, download it.

The page reuses the report pages' filter (unit of the person's tree and a
period, with the survey periods in one click) and links to the two
downloads with the unit and the period's key. A download names both
explicitly: without them, or with a period it cannot read, it answers with
the page and the error (400), not with a report of some default period. A
unit outside the person's tree is answered 404, like every page about it.
Integrity reasons are in the document only for those who may see them.
"""
from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can_see_integrity, check_unit_access
from ..periods import Period, parse_period, period_for
from ..reports import official
from ..reports.official_pdf import report_pdf
from ..reports.official_xlsx import report_xlsx
from . import bp
from .period_form import UnitPeriodForm, today

FORMATS = {
    "xlsx": (report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (report_pdf, "application/pdf"),
}


def _page(form: UnitPeriodForm, period: Period, error: str | None = None, status: int = 200):
    unit_id = form.unit_id()
    downloads = {
        fmt: url_for("console.official_report_file", fmt=fmt, unit=unit_id, period=period.key) for fmt in FORMATS
    }
    return render_template(
        "console/official_report.html", form=form, period=period, downloads=downloads, error=error
    ), status


@bp.get("/reports/official")
def official_report():
    """The unit and period filter, and the two download buttons."""
    form = UnitPeriodForm(current_user, allow_all=False)
    form.validate_on_submit()
    return _page(form, period_for(*form.period()))


def _requested() -> tuple[int, Period] | None:
    """The unit and period a download names, or None when either is missing or unreadable.

    A unit that does not exist or lies outside the person's tree is 404.
    """
    key, unit = request.args.get("period", ""), request.args.get("unit", "")
    if not key or not unit.isdigit():
        return None
    try:
        period = parse_period(key)
    except ValueError:
        return None
    check_unit_access(current_user, int(unit))
    return int(unit), period


@bp.get("/reports/official.<fmt>")
def official_report_file(fmt: str):
    """The report as an XLSX or PDF download, always in Vietnamese."""
    if fmt not in FORMATS:
        abort(404)
    form = UnitPeriodForm(current_user, allow_all=False)
    form.validate_on_submit()
    requested = _requested()
    if requested is None:
        message = _l("Choose a unit and a survey period (such as 2026-H1), then download the report.")
        return _page(form, period_for(*form.period()), error=message, status=400)
    unit_id, period = requested
    report = official.official_report(
        unit_id, period, issued_on=today(), include_integrity=can_see_integrity(current_user)
    )
    render, mimetype = FORMATS[fmt]
    return Response(
        render(report),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{official.file_name(report, fmt)}"'},
    )
