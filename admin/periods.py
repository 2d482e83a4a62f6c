"""Survey periods: the named spans a province reports on, and the period before each.

The province surveys satisfaction every six months ("6 tháng đầu năm", "6 tháng
cuối năm"); reports also go by quarter and by year, or over any custom span.
A period has a key that fits in a URL (``2026-H1``, ``2026-Q3``, ``2026``, or
``2026-03-01..2026-05-31``), its first and last day (inclusive), a label in
the reader's language and the period before it, so that every figure can be
shown beside the previous period's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext

from .i18n import local_date

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
KEY = re.compile(r"(?P<year>\d{4})(?:-(?P<kind>[HQ])(?P<n>\d))?$")
CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
# A custom period longer than this is refused: one request must not scan decades.
MAX_CUSTOM_DAYS = 2 * 366


@dataclass(frozen=True)
class Period:
    """A span of whole days, ``start`` to ``end`` inclusive; ``kind`` is half, quarter, year or custom."""

    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        """The period as it is written in a URL."""
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "half":
            return f"{self.start.year}-H{1 if self.start.month == 1 else 2}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        """The period as a report names it, in the current language ("6 tháng đầu năm 2026", "Quý III/2026")."""
        year = self.start.year
        if self.kind == "year":
            return gettext("Year %(year)d", year=year)
        if self.kind == "half":
            if self.start.month == 1:
                return gettext("First half of %(year)d", year=year)
            return gettext("Second half of %(year)d", year=year)
        if self.kind == "quarter":
            return gettext("Quarter %(roman)s/%(year)d", roman=ROMAN[(self.start.month - 1) // 3 + 1], year=year)
        return f"{local_date(self.start)} – {local_date(self.end)}"

    def previous(self) -> Period:
        """The period of the same kind just before (for a custom span, as many days just before)."""
        if self.kind == "custom":
            return Period("custom", self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        return period_of(self.kind, self.start - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The half, quarter or year that contains ``day``."""
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == "half":
        if day.month <= 6:
            return Period("half", date(day.year, 1, 1), date(day.year, 6, 30))
        return Period("half", date(day.year, 7, 1), date(day.year, 12, 31))
    if kind == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        end = (date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)) - timedelta(days=1)
        return Period("quarter", start, end)
    raise ValueError(f"no period kind {kind!r}")


def parse_period(key: str) -> Period:
    """The period a URL names, or ``ValueError``: ``2026-H1``, ``2026-Q3``, ``2026`` or ``YYYY-MM-DD..YYYY-MM-DD``."""
    key = key.strip()
    custom = CUSTOM.match(key)
    if custom:
        start, end = (date.fromisoformat(text) for text in custom.groups())
        if end < start or (end - start).days >= MAX_CUSTOM_DAYS:
            raise ValueError(f"not a period of 1 to {MAX_CUSTOM_DAYS} days: {key!r}")
        period = Period("custom", start, end)
    else:
        match = KEY.match(key)
        if not match:
            raise ValueError(f"not a period: {key!r}")
        year = int(match["year"])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"not a year from {FIRST_YEAR} to {LAST_YEAR}: {key!r}")
        kind, n = match["kind"], int(match["n"] or 0)
        if kind is None:
            period = period_of("year", date(year, 1, 1))
        elif kind == "H" and n in (1, 2):
            period = period_of("half", date(year, 1 if n == 1 else 7, 1))
        elif kind == "Q" and 1 <= n <= 4:
            period = period_of("quarter", date(year, 3 * n - 2, 1))
        else:
            raise ValueError(f"not a period: {key!r}")
    if not FIRST_YEAR <= period.start.year <= LAST_YEAR or not FIRST_YEAR <= period.end.year <= LAST_YEAR:
        raise ValueError(f"not a period from {FIRST_YEAR} to {LAST_YEAR}: {key!r}")
    return period


def period_for(start: date, end: date) -> Period:
    """The named half, quarter or year that is exactly ``start`` to ``end``, else that custom span."""
    for kind in ("half", "quarter", "year"):
        named = period_of(kind, start)
        if (named.start, named.end) == (start, end):
            return named
    return Period("custom", start, end)


def quick_periods(today: date) -> list[Period]:
    """The periods offered in one click: this and the last half year (the survey's own), quarter and year."""
    half, quarter, year = (period_of(kind, today) for kind in ("half", "quarter", "year"))
    return [half, half.previous(), quarter, quarter.previous(), year, year.previous()]
