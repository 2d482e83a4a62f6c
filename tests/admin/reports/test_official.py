"""The official report's figures (admin/reports/official.py), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from admin.periods import parse_period
from admin.reports.official import (
    date_line,
    file_name,
    official_report,
    period_text,
    place_of,
    summary_rows,
    vi_change,
    vi_number,
)

from .official_support import ISSUED, PERIOD, add_official_data


@pytest.fixture
def data(w):
    add_official_data(w)
    return w


def officer(report, name):
    return next(line for group in report.groups for line in group.officers if line.name == name)


def test_province_report_counts_levels_rates_and_units(data):
    report = official_report(data.province_id, PERIOD, ISSUED, include_integrity=True)
    assert report.is_province and report.parent_name is None
    assert (report.total.now.ratings, report.total.now.satisfied) == (20, 14)
    assert report.total.now.counts == {3: 11, 2: 3, 1: 6}
    assert report.total.now.satisfaction_pct == Decimal("70.00")
    assert [report.total.now.share(s) for s in report.levels] == [Decimal("55.00"), Decimal("15.00"), Decimal("30.00")]
    # The district is the subtotal of its communes; the province itself is the total, not a line.
    assert [(line.name, line.depth, line.subtotal, line.now.ratings) for line in report.units] == [
        ("Huyện Hiệp Hoà", 0, True, 20),
        ("UBND xã Hợp Thịnh", 1, False, 5),
        ("UBND xã Mai Trung", 1, False, 15),
    ]
    # Commune A counts the two ratings made with nobody on duty; no officer line does.
    assert report.units[2].now.satisfaction_pct == Decimal("66.67")
    assert [g.unit_name for g in report.groups] == ["UBND xã Hợp Thịnh", "UBND xã Mai Trung"]
    assert [line.name for line in report.groups[1].officers] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert officer(report, "Nguyễn Văn An").now.counts == {3: 6, 2: 2, 1: 2}
    assert officer(report, "Trần Thị Bình").now.satisfaction_pct == Decimal("66.67")
    assert report.officer_count == 3


def test_report_compares_each_figure_with_the_period_before(data):
    report = official_report(data.province_id, PERIOD, ISSUED, include_integrity=True)
    assert report.previous.key == "2025-H2"
    assert (report.total.before.ratings, report.total.before.satisfaction_pct) == (14, Decimal("64.29"))
    assert report.total.change == Decimal("5.71")
    an, binh, cuong = (officer(report, n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"))
    assert (an.before.satisfaction_pct, an.change) == (Decimal("50.00"), Decimal("30.00"))
    assert (cuong.before.satisfaction_pct, cuong.change) == (Decimal("100.00"), Decimal("-20.00"))
    assert (binh.before.ratings, binh.change) == (0, None)
    rows = dict(summary_rows(report))
    assert rows["Tổng số lượt đánh giá"] == [20, Decimal("100.00"), 14, Decimal("100.00"), None]
    assert rows["Không hài lòng"] == [6, Decimal("30.00"), 5, Decimal("35.71"), Decimal("-5.71")]


def test_unit_report_covers_its_subtree_under_its_parent(data):
    report = official_report(data.commune_b_id, PERIOD, ISSUED, include_integrity=True)
    assert (report.unit_name, report.parent_name, report.place) == ("UBND xã Hợp Thịnh", "Huyện Hiệp Hoà", "Hợp Thịnh")
    assert [line.name for line in report.units] == ["UBND xã Hợp Thịnh"]
    assert [line.name for g in report.groups for line in g.officers] == ["Lê Văn Cường"]
    assert report.total.now.ratings == 5
    assert {r.code: (r.now, r.before) for r in report.reasons}["slow"] == (0, 0)


def test_integrity_reasons_only_for_those_who_may_see_them(data):
    inspector = official_report(data.province_id, PERIOD, ISSUED, include_integrity=True)
    manager = official_report(data.province_id, PERIOD, ISSUED, include_integrity=False)
    assert {r.code: (r.now, r.before) for r in inspector.reasons} == {
        "slow": (2, 4), "attitude": (1, 0), "unclear": (0, 0), "extra_papers": (0, 0),
        "harassment": (1, 0), "bribe": (1, 0), "other": (0, 0),
    }
    assert {r.code for r in manager.reasons} == {"slow", "attitude", "unclear", "extra_papers", "other"}
    assert not any(r.integrity for r in manager.reasons)
    assert inspector.share_of_ratings(2) == Decimal("10.00")


def test_unknown_unit_is_refused(w):
    with pytest.raises(LookupError, match="9999"):
        official_report(9999, PERIOD, ISSUED, include_integrity=False)


def test_texts_in_vietnamese_whatever_the_language(data):
    report = official_report(data.commune_a_id, PERIOD, ISSUED, include_integrity=False)
    assert report.period_text == "6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)"
    assert report.previous_text == "6 tháng cuối năm 2025 (từ 01/07/2025 đến 31/12/2025)"
    assert period_text(parse_period("2026-03-01..2026-05-31")) == "Từ 01/03/2026 đến 31/05/2026"
    assert period_text(parse_period("2026-Q3")) == "Quý III/2026 (từ 01/07/2026 đến 30/09/2026)"
    assert date_line(report) == "Mai Trung, ngày 06 tháng 07 năm 2026"
    assert file_name(report, "pdf") == "bao-cao-hai-long-ubnd-xa-mai-trung-2026-H1.pdf"


def test_numbers_as_vietnamese_writes_them():
    assert vi_number(Decimal("1234.5")) == "1.234,50"
    assert vi_number(12878, 0) == "12.878"
    assert vi_number(None) == "–"
    assert (vi_change(Decimal("5.25")), vi_change(Decimal("-3.1")), vi_change(Decimal("0"))) == ("+5,25", "-3,10", "0,00")


def test_place_is_the_nearest_locality():
    assert place_of(["Tỉnh Bắc Giang"]) == "Bắc Giang"
    assert place_of(["Tỉnh Bắc Giang", "Sở Tư pháp"]) == "Bắc Giang"
    assert place_of(["Tỉnh Bắc Giang", "Huyện Hiệp Hoà", "Ủy ban nhân dân thị trấn Thắng"]) == "Thắng"
    assert place_of(["Ban quản lý"]) == "Ban quản lý"


def test_custom_period_file_name_has_no_dots(data):
    report = official_report(data.district_id, parse_period("2026-02-01..2026-03-31"), date(2026, 4, 2), True)
    assert file_name(report, "xlsx") == "bao-cao-hai-long-huyen-hiep-hoa-2026-02-01_2026-03-31.xlsx"
    assert report.total.now.ratings == 20
