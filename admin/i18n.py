"""Languages of the console: Vietnamese first, English on request.

The choice is kept in the session and in a long-lived cookie, never guessed
from the browser: the console speaks Vietnamese unless a person asks for
English. Message ids are English, so a checkout whose catalogues are not
compiled yet still runs (in English) instead of failing.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, has_request_context, redirect, request, session, url_for
from babel.numbers import parse_pattern
from flask_babel import Babel, format_date, format_datetime, get_locale, lazy_gettext as _l

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

# One pattern per language for every date a person reads; an <input type=date>
# carries ISO dates whatever the language.
DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}

# Parsed once: a league table formats thousands of numbers, and parsing the
# pattern on every call (what format_decimal does) costs five times the formatting.
TWO_DECIMALS = parse_pattern("#,##0.00")
WHOLE = parse_pattern("#,##0")

babel = Babel()
bp = Blueprint("i18n", __name__)


def current_language() -> str:
    """The language of this request: the session's, the cookie's, or Vietnamese."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    lang = session.get(COOKIE) or request.cookies.get(COOKIE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/language")
def switch_language():
    """Remember the chosen language and go back to the page the person was on."""
    lang = request.form.get("lang", "")
    back = safe_next(request.form.get("next"), url_for("console.dashboard"))
    response = redirect(back)
    if lang in LANGUAGES:
        session[COOKIE] = lang
        # The cookie outlives the session, so the login page after a sign-out
        # keeps the language too.
        response.set_cookie(
            COOKIE,
            lang,
            max_age=COOKIE_MAX_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def reason_label(reason) -> str:
    """A reason's label in the current language."""
    return reason.label_en if current_language() == "en" else reason.label_vi


def percent(value: Decimal | float | None) -> str:
    """``85,71 %`` in Vietnamese, ``85.71 %`` in English; a dash when there is no rate."""
    if value is None:
        return "—"
    return f"{TWO_DECIMALS.apply(value, get_locale())} %"


def decimal2(value: Decimal | float | None) -> str:
    """A mean score with two decimals in the current language; a dash when there is none."""
    if value is None:
        return "—"
    return TWO_DECIMALS.apply(value, get_locale())


def signed(value: Decimal | float | None) -> str:
    """A change with its sign and two decimals in the current language (+5,25 or −3,10); a dash when none."""
    if value is None:
        return "—"
    text = TWO_DECIMALS.apply(abs(value), get_locale())
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def integer(value: int | None) -> str:
    """A count with the current language's thousands separator."""
    return WHOLE.apply(value or 0, get_locale())


def local_date(value: date | None) -> str:
    if value is None:
        return "—"
    return format_date(value, DATE_FORMATS[current_language()])


def local_datetime(value: datetime | None) -> str:
    """An instant in the service's time zone (BABEL_DEFAULT_TIMEZONE)."""
    if value is None:
        return "—"
    return format_datetime(value, f"{DATE_FORMATS[current_language()]} HH:mm")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=current_language)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(
        reason_label=reason_label,
        percent=percent,
        decimal2=decimal2,
        signed=signed,
        integer=integer,
        local_date=local_date,
        local_datetime=local_datetime,
    )

    @app.context_processor
    def language_context():
        return {"lang": current_language(), "languages": LANGUAGES}


# WTForms ships no Vietnamese catalogue, so its built-in messages are
# translated from ours: these are the ones our forms can show.
WTFORMS_MESSAGES = {
    "This field is required.": _l("This field is required."),
    "Not a valid choice.": _l("Choose one of the options."),
    "Not a valid date value.": _l("Enter a date as day, month and year."),
    "Not a valid integer value.": _l("Enter a whole number."),
}


class FormTranslations:
    """WTForms' translations object, backed by our catalogue."""

    def gettext(self, string: str) -> str:
        message = WTFORMS_MESSAGES.get(string)
        return str(message) if message is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)
