"""The period and unit filters of the report pages (overview, ranking, scorecard, export) and the case list."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from ..access import visible_unit_root
from ..models import User
from ..periods import Period, parse_period, quick_periods
from ..units import unit_choices
from .forms import QueryForm, select_choices

ALL_UNITS = 0


MAX_PERIOD_DAYS = 2 * 366
FIRST_YEAR, LAST_YEAR = 2000, 2100


def chosen_period() -> Period | None:
    """The survey period the URL names (``period=``), or None; a key that names none is ignored."""
    key = request.args.get("period")
    if not key:
        return None
    try:
        return parse_period(key)
    except ValueError:
        return None


def today() -> date:
    """Today in the service's time zone, which is the day reports count in."""
    return datetime.now(current_app.config["TZ"]).date()


class PeriodForm(QueryForm):
    """From and to dates, inclusive; this month up to today unless the person chose otherwise.

    A survey period chosen in one click (``?period=2026-H2``, see ``periods``)
    fills both dates; ``quick`` lists those the page offers.
    """

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def __init__(self, **kwargs):
        now = today()
        chosen = chosen_period()
        start, end = (chosen.start, chosen.end) if chosen else (now.replace(day=1), now)
        super().__init__(start=start, end=end, **kwargs)
        self.quick = quick_periods(now)

    def validate_start(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))

    def validate_end(self, field):
        self.validate_start(field)
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date."))
        # A bound keeps one request from scanning centuries of weeks.
        if self.start.data and field.data and (field.data - self.start.data).days > MAX_PERIOD_DAYS:
            raise ValidationError(_l("Choose a period of at most two years."))

    def period(self) -> tuple[date, date]:
        """The chosen dates, or this month when they are missing or wrong (the error is shown)."""
        now = today()
        if self.errors or not self.start.data or not self.end.data:
            return now.replace(day=1), now
        return self.start.data, self.end.data


class UnitFilterForm(QueryForm):
    """One unit of the person's tree, the top one unless they chose another (or, where allowed, every unit)."""

    unit = SelectField(_l("Unit"), coerce=int, validators=[Optional()])

    def __init__(self, user: User, allow_all: bool, **kwargs):
        root = visible_unit_root(user)
        choices = unit_choices(root)
        if allow_all and root is None:
            choices = [(ALL_UNITS, _l("All units")), *choices]
        super().__init__(unit=choices[0][0] if choices else ALL_UNITS, **kwargs)
        self.unit.choices = select_choices(choices)

    def unit_id(self) -> int | None:
        """The chosen unit, or None for every unit.

        A unit outside the person's tree is answered 404, like any other
        page about it.
        """
        if self.unit.data not in [choice.value for choice in self.unit.choices]:
            abort(404)
        return None if self.unit.data == ALL_UNITS else self.unit.data


class UnitPeriodForm(UnitFilterForm, PeriodForm):
    """A period and one unit of the person's tree (or, where allowed, every unit)."""
