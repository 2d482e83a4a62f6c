"""Survey periods: halves, quarters, years and custom spans, their keys, labels and the period before."""
from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from admin.periods import Period, parse_period, period_of, quick_periods


@pytest.mark.parametrize("key, start, end", [
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
    ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-03-05..2026-04-04", date(2026, 3, 5), date(2026, 4, 4)),
])
def test_periods_parse_and_keep_their_key(key, start, end):
    period = parse_period(key)
    assert (period.start, period.end, period.key) == (start, end, key)


@pytest.mark.parametrize("key", [
    "", "2026-H3", "2026-Q0", "2026-Q5", "26-H1", "1999", "2101-Q1", "2026-h1", "2026-H1x",
    "2026-04-04..2026-03-05", "2020-01-01..2026-01-01", "2026-02-30..2026-03-01", "1999-12-31..2000-01-05",
])
def test_periods_refuse_what_names_none(key):
    with pytest.raises(ValueError):
        parse_period(key)


def test_previous_period_is_of_the_same_kind():
    assert parse_period("2026-H1").previous().key == "2025-H2"
    assert parse_period("2026-H2").previous().key == "2026-H1"
    assert parse_period("2026-Q1").previous().key == "2025-Q4"
    assert parse_period("2026").previous().key == "2025"
    # A custom span: as many days just before (29 February included).
    custom = parse_period("2024-03-01..2024-03-31").previous()
    assert (custom.start, custom.end) == (date(2024, 1, 30), date(2024, 2, 29))


def test_period_of_a_day_at_the_edges():
    assert period_of("quarter", date(2026, 12, 31)).key == "2026-Q4"
    assert period_of("half", date(2026, 6, 30)).key == "2026-H1"
    assert period_of("half", date(2026, 7, 1)).key == "2026-H2"
    with pytest.raises(ValueError):
        period_of("week", date(2026, 1, 1))


def test_quick_periods_offer_this_and_the_last_half_quarter_and_year():
    assert [p.key for p in quick_periods(date(2027, 1, 1))] == [
        "2027-H1", "2026-H2", "2027-Q1", "2026-Q4", "2027", "2026",
    ]


def test_period_labels_as_reports_name_them(app):
    with app.app_context():
        with force_locale("vi"):
            assert [parse_period(k).label() for k in ("2026-H1", "2026-H2", "2026-Q3", "2026")] == [
                "6 tháng đầu năm 2026", "6 tháng cuối năm 2026", "Quý III/2026", "Năm 2026",
            ]
            assert Period("custom", date(2026, 3, 5), date(2026, 4, 4)).label() == "05/03/2026 – 04/04/2026"
        with force_locale("en"):
            assert parse_period("2026-H2").label() == "Second half of 2026"
