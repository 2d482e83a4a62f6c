"""The public board's pages: the board, the lobby-TV mode, the tracking-code lookup.

Every answer is built from the address alone (language, period, page), so
the board's pages are cached in the process and by browsers (ETag, a short
``max-age``, 304 when unchanged); the lookup, which depends on a code only
the citizen knows, is never stored (``no-store``). Odd addresses get a clear
400 or 404 in both languages, too many requests a 429 with ``Retry-After``.
"""
from __future__ import annotations

import math

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import force_locale, format_date
from sqlalchemy import select

from ..cases import ACTION_LABELS, CONCLUSION_LABELS, PUBLIC_STATUS_LABELS
from ..console.period_form import today
from ..db import db
from ..i18n import DATE_FORMATS, LANGUAGES
from ..models import Case, CaseRating
from ..periods import Period, parse_period, period_of, quick_periods
from ..tracking import display, parse_tracking_code
from . import bp, state
from .board import Board, build_board, published_cases
from .page_cache import Page

# Longer query strings are refused before anything else is read.
MAX_QUERY = 300
# Published cases on the lobby TV's last page.
TV_CASES = 4


@bp.before_request
def check_request():
    """Refuse what no page of the board could answer, then count the request against its address."""
    if len(request.query_string) > MAX_QUERY:
        abort(400)
    limit = state().lookup_limit if request.endpoint == "public.lookup" else state().board_limit
    wait = limit.take(request.remote_addr or "")
    if wait:
        return _error_page(429, {"Retry-After": str(wait)})
    return None


def _error_page(status: int, headers: dict | None = None) -> Response:
    response = Response(render_template("public/error.html", status=status), status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(400)
@bp.errorhandler(404)
def public_error(err):
    return _error_page(err.code)


def _arg(name: str) -> str | None:
    """The one value of query parameter ``name``, or None; given twice is an error."""
    values = request.args.getlist(name)
    if len(values) > 1:
        abort(400)
    return values[0] if values else None


def _language() -> str:
    lang = _arg("lang") or "vi"
    if lang not in LANGUAGES:
        abort(400)
    return lang


def _period() -> tuple[Period, bool]:
    """The period asked for, a named half, quarter or year (bounded keys), else the half containing today.

    The second value says whether the address named it: a lobby TV left on
    the default moves on to the new half year by itself.
    """
    key = _arg("period")
    if key is None:
        return period_of("half", today()), False
    try:
        period = parse_period(key)
    except ValueError:
        abort(400)
    if period.kind == "custom":
        abort(400)
    return period, True


def _board(period: Period) -> Board:
    return state().boards.get(period.key, lambda: build_board(period))


def _render(lang: str, template: str, **context) -> str:
    """``template`` in ``lang``, whatever the visitor's console language is.

    Links keep the language and a period the address named; nothing else of
    the address goes into a page, so a cached page is right for every visitor.
    """
    other = "en" if lang == "vi" else "vi"
    kept = {name: request.args[name] for name in ("period", "trang", "ma") if name in request.args}
    with force_locale(lang):
        return render_template(
            template, lang=lang, other_lang=other,
            lang_args={} if lang == "vi" else {"lang": lang},
            keep_args={name: kept[name] for name in ("period",) if name in kept} | ({} if lang == "vi" else {"lang": lang}),
            switch_url=url_for(request.endpoint, **kept, **({} if other == "vi" else {"lang": other})),
            conclusion_labels=CONCLUSION_LABELS, action_labels=ACTION_LABELS,
            date=lambda day: format_date(day, DATE_FORMATS[lang]), **context,
        )


def _cached(key: tuple, build) -> Response:
    """The page for ``key`` from the cache, with its ETag; 304 when the browser has it already."""
    page: Page = state().pages.get(key, lambda: Page.of(build()))
    response = Response(page.body, mimetype="text/html")
    response.set_etag(page.etag)
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['PUBLIC_CACHE_S']}"
    response.headers["Content-Language"] = key[0]
    return response.make_conditional(request)


@bp.get("")
@bp.get("/")
def board():
    lang, (period, named) = _language(), _period()

    def build() -> str:
        return _render(lang, "public/board.html", board=_board(period), quick=_quick(period))

    return _cached((lang, period.key, named, "board"), build)


def _quick(period: Period) -> list[Period]:
    """The periods offered in one click: the survey's own halves, quarters and years around today."""
    offered = quick_periods(today())
    return offered if period in offered else [period, *offered]


@bp.get("/tv")
def tv():
    """The lobby TV: one screen of units at a time, each page moving on to the next by itself."""
    lang, (period, named) = _language(), _period()
    board_now = _board(period)
    rows = current_app.config["PUBLIC_TV_ROWS"]
    unit_pages = max(1, math.ceil(len(board_now.units) / rows))
    pages = unit_pages + (1 if board_now.cases else 0)
    number = _arg("trang") or "1"
    if not number.isdigit() or len(number) > 4:
        abort(400)
    number = int(number)
    if not 1 <= number <= pages:
        abort(404)

    def build() -> str:
        return _render(
            lang, "public/tv.html", board=board_now, number=number, pages=pages,
            units=board_now.units[(number - 1) * rows:number * rows] if number <= unit_pages else [],
            cases=board_now.cases[:TV_CASES] if number > unit_pages else [],
            next_number=number % pages + 1, refresh_s=current_app.config["PUBLIC_TV_REFRESH_S"],
        )

    return _cached((lang, period.key, named, "tv", number), build)


@bp.get("/tra-cuu")
def lookup():
    """What became of the complaint with this tracking code: received, being verified, concluded (and published)."""
    lang = _language()
    typed = _arg("ma")
    status, code, found = 200, None, None
    if typed is not None and typed.strip():
        code = parse_tracking_code(typed)
        if code is None:
            status = 400
        else:
            found = _complaint_case(code)
    response = Response(
        _render(lang, "public/lookup.html", typed=typed or "", code=code and display(code), found=found,
                status_labels=PUBLIC_STATUS_LABELS, invalid=status == 400),
        status, mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _complaint_case(code: str) -> dict | None:
    """The status of the case holding the complaint with ``code``, and its public outcome once published.

    One indexed query finds the case. None for any code that names no filed
    complaint: a rating without a complaint, a complaint not yet filed, or nothing.
    """
    case = db.session.scalars(
        select(Case).join(CaseRating, CaseRating.case_id == Case.id)
        .where(CaseRating.tracking_code == code).order_by(CaseRating.rating_id.desc()).limit(1)
    ).first()
    if case is None:
        return None
    outcome = published_cases(Case.id == case.id) if case.published_at is not None else []
    return {"status": case.status, "outcome": outcome[0] if outcome else None}
