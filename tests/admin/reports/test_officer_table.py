"""The per-officer table: numbers checked against values worked out by hand, CSV and JSON shapes."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from admin.db import db
from admin.models import Officer, Setting
from admin.reports.officer_table import officer_report, report_columns, report_csv, report_json
from admin.scale import load_scale

from .reports_support import MON, add_counts, row_for


def test_officer_report_three_ratings_3_2_1(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 1, 2: 1, 1: 1})
    [row] = officer_report(MON, MON)
    assert (row.officer_id, row.officer_code, row.officer_name, row.unit_name) == (
        w.officer_a_id, "MT-001", "Nguyễn Văn An", "UBND xã Mai Trung")
    assert (row.ratings, row.satisfied) == (3, 2)
    assert row.satisfaction_pct == Decimal("66.67")
    assert row.mean_score == Decimal("2.00")
    assert row.counts == {1: 1, 2: 1, 3: 1}


def test_officer_report_rounds_half_away_from_zero(w):
    # 1 satisfied of 8 → 12.5 %; mean (7·1 + 1·2) / 8 = 1.125 → 1.13
    add_counts(MON, w.officer_a_id, w.desk_a_id, {1: 7, 2: 1})
    # mean (2·1 + 3·2 + 3·3) / 8 = 17/8 = 2.125 → 2.13; 6 of 8 satisfied → 75 %
    add_counts(MON, w.officer_b_id, w.desk_b_id, {1: 2, 2: 3, 3: 3})
    rows = officer_report(MON, MON)
    a, b = row_for(rows, w.officer_a_id), row_for(rows, w.officer_b_id)
    assert (a.satisfaction_pct, a.mean_score) == (Decimal("12.50"), Decimal("1.13"))
    assert (b.satisfaction_pct, b.mean_score) == (Decimal("75.00"), Decimal("2.13"))
    assert b.counts == {1: 2, 2: 3, 3: 3}


def test_officer_report_dates_are_inclusive(w):
    for offset, n in ((-1, 100), (0, 1), (3, 2), (6, 4), (7, 100)):
        add_counts(MON + timedelta(days=offset), w.officer_a_id, w.desk_a_id, {3: n})
    [row] = officer_report(MON, MON + timedelta(days=6))
    assert row.ratings == 7
    assert row.counts == {1: 0, 2: 0, 3: 7}


def test_officer_report_adds_up_desks_and_days(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {1: 1, 3: 2})
    add_counts(MON, w.officer_a_id, w.desk_b_id, {3: 1})
    add_counts(MON + timedelta(days=1), w.officer_a_id, w.desk_a_id, {2: 4})
    [row] = officer_report(MON, MON + timedelta(days=1))
    assert row.counts == {1: 1, 2: 4, 3: 3}
    assert (row.ratings, row.satisfied, row.satisfaction_pct, row.mean_score) == (
        8, 7, Decimal("87.50"), Decimal("2.25"))


def test_officer_report_leaves_out_nobody_on_duty_and_officers_without_ratings(w):
    add_counts(MON, 0, w.desk_a_id, {1: 5})
    add_counts(MON, w.officer_b_id, w.desk_b_id, {2: 1})
    assert [r.officer_id for r in officer_report(MON, MON)] == [w.officer_b_id]


def test_officer_report_unit_filter_takes_the_subtree(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 1})
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {2: 1})
    add_counts(MON, w.officer_b_id, w.desk_b_id, {1: 1})
    ids = lambda unit_id: {r.officer_id for r in officer_report(MON, MON, unit_id)}  # noqa: E731
    everyone = {w.officer_a_id, w.officer_a2_id, w.officer_b_id}
    assert ids(None) == everyone
    assert ids(w.province_id) == everyone
    assert ids(w.district_id) == everyone
    assert ids(w.commune_a_id) == {w.officer_a_id, w.officer_a2_id}
    assert ids(w.commune_b_id) == {w.officer_b_id}
    assert ids(99999) == set()


def test_officer_report_ordered_by_unit_then_officer_name(w):
    for officer_id in (w.officer_a_id, w.officer_a2_id, w.officer_b_id):
        add_counts(MON, officer_id, w.desk_a_id, {3: 1})
    # UBND xã Hợp Thịnh < UBND xã Mai Trung; Nguyễn Văn An < Trần Thị Bình
    assert [r.officer_id for r in officer_report(MON, MON)] == [w.officer_b_id, w.officer_a_id, w.officer_a2_id]


def test_report_csv_has_protocol_columns_and_exact_rates(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 1, 2: 1, 1: 1})
    add_counts(MON, w.officer_b_id, w.desk_b_id, {1: 7, 2: 1})
    scale = load_scale()
    assert report_csv(officer_report(MON, MON), scale) == (
        "officer_id,officer_code,officer_name,unit_name,ratings,satisfied,satisfaction_pct,mean_score,"
        "score_1,score_2,score_3\n"
        f"{w.officer_b_id},HT-001,Lê Văn Cường,UBND xã Hợp Thịnh,8,1,12.50,1.13,7,1,0\n"
        f"{w.officer_a_id},MT-001,Nguyễn Văn An,UBND xã Mai Trung,3,2,66.67,2.00,1,1,1\n"
    )


def test_report_csv_quotes_text_a_spreadsheet_would_run(w):
    officer = db.session.get(Officer, w.officer_a_id)
    officer.name = '=HYPERLINK("http://x","y")'
    db.session.commit()
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 1})
    line = report_csv(officer_report(MON, MON), load_scale()).splitlines()[1]
    assert ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"," in line


def test_report_json_counts_are_ints_and_rates_numbers(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 1, 2: 1, 1: 1})
    [obj] = report_json(officer_report(MON, MON), load_scale())
    assert obj == {
        "officer_id": w.officer_a_id, "officer_code": "MT-001", "officer_name": "Nguyễn Văn An",
        "unit_name": "UBND xã Mai Trung", "ratings": 3, "satisfied": 2,
        "satisfaction_pct": 66.67, "mean_score": 2.0, "score_1": 1, "score_2": 1, "score_3": 1,
    }
    assert isinstance(obj["mean_score"], float) and isinstance(obj["score_1"], int)


def test_report_columns_follow_a_five_level_scale(w):
    levels = [{"score": s, "label": {"vi": f"Mức {s}", "en": f"Level {s}"}} for s in range(1, 6)]
    db.session.add(Setting(key="scale", value={"levels": levels, "satisfied_from": 4}))
    db.session.commit()
    add_counts(MON, w.officer_a_id, w.desk_a_id, {5: 1, 4: 1, 3: 1, 1: 1})
    scale = load_scale()
    assert report_columns(scale)[-5:] == ["score_1", "score_2", "score_3", "score_4", "score_5"]
    [row] = officer_report(MON, MON)
    assert (row.satisfied, row.satisfaction_pct, row.mean_score) == (2, Decimal("50.00"), Decimal("3.25"))
    assert row.counts == {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
