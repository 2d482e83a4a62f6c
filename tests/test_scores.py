"""Reports: numbers checked against values worked out by hand.

Daily counts are inserted directly where a test is about reading them, and
single ratings where a test is about raw ratings (gaps, complaints, rebuild).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from admin.db import db
from admin.ingest import store_ratings
from admin.kiosks import KioskRef
from admin.models import DailyCount, DailyReasonCount, Kiosk, Officer, Rating, RatingReason, Setting
from admin.scale import load_scale
from admin.scores import (
    dashboard,
    integrity_complaints,
    officer_report,
    ranking,
    rebuild_daily_counts,
    report_columns,
    report_csv,
    report_json,
    round_ratio,
    scorecard,
    seq_gaps,
)

MON = date(2026, 11, 2)  # a Monday
WEEK = timedelta(days=7)


@pytest.fixture
def w(app, world):
    """The small province of ``world``, inside an app context."""
    with app.app_context():
        yield world


def add_counts(day: date, officer_id: int, desk_id: int, counts: dict[int, int]) -> None:
    db.session.add_all(
        DailyCount(day=day, officer_id=officer_id, desk_id=desk_id, score=score, count=n)
        for score, n in counts.items()
    )
    db.session.commit()


def add_reason_counts(day: date, officer_id: int, desk_id: int, counts: dict[str, int]) -> None:
    db.session.add_all(
        DailyReasonCount(day=day, officer_id=officer_id, desk_id=desk_id, reason_code=code, count=n)
        for code, n in counts.items()
    )
    db.session.commit()


def add_rating(kiosk_id: int, seq: int, score: int, day: date, officer_id: int | None = None,
               reasons: tuple[str, ...] = (), received_at: datetime | None = None) -> Rating:
    kiosk = db.session.get(Kiosk, kiosk_id)
    at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc) + timedelta(minutes=seq)
    rating = Rating(
        uuid=uuid.uuid4(), kiosk_id=kiosk_id, desk_id=kiosk.desk_id, unit_id=kiosk.desk.unit_id,
        officer_id=officer_id, score=score, source="touch", seq=seq, created_at=at,
        received_at=received_at or at, clock_flag=False, day=day,
        reasons=[RatingReason(reason_code=code) for code in reasons],
    )
    db.session.add(rating)
    db.session.commit()
    return rating


def row_for(rows, officer_id):
    return next(r for r in rows if r.officer_id == officer_id)


def test_round_ratio_is_half_away_from_zero_and_exact():
    assert round_ratio(200, 3) == Decimal("66.67")
    assert round_ratio(100, 8) == Decimal("12.50")
    assert round_ratio(17, 8) == Decimal("2.13")  # 2.125; a binary float would give 2.12
    assert round(17 / 8, 2) == 2.12
    assert round_ratio(100, 3) == Decimal("33.33")
    assert round_ratio(0, 5) == Decimal("0.00")
    assert round_ratio(3, 0) is None


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


def test_scorecard_totals_and_every_week_of_the_range(w):
    add_counts(MON + timedelta(days=2), w.officer_a_id, w.desk_a_id, {3: 2, 1: 1})
    add_counts(MON + 2 * WEEK, w.officer_a_id, w.desk_a_id, {2: 1})
    add_counts(MON + 2 * WEEK + timedelta(days=5), w.officer_a_id, w.desk_a_id, {1: 1})  # after the range
    card = scorecard(w.officer_a_id, MON + timedelta(days=1), MON + 2 * WEEK + timedelta(days=1), True)
    assert card.officer.name == "Nguyễn Văn An"
    assert (card.ratings, card.satisfied, card.satisfaction_pct, card.mean_score) == (
        4, 3, Decimal("75.00"), Decimal("2.25"))
    assert card.counts == {1: 1, 2: 1, 3: 2}
    assert [(wk.monday, wk.iso_week, wk.ratings, wk.satisfaction_pct, wk.mean_score) for wk in card.weeks] == [
        (MON, 45, 3, Decimal("66.67"), Decimal("2.33")),
        (MON + WEEK, 46, 0, None, None),
        (MON + 2 * WEEK, 47, 1, Decimal("100.00"), Decimal("2.00")),
    ]
    assert card.weeks[1].counts == {1: 0, 2: 0, 3: 0}


def test_scorecard_hides_integrity_reasons_from_officers(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {1: 3})
    add_reason_counts(MON, w.officer_a_id, w.desk_a_id, {"slow": 2, "bribe": 1, "harassment": 1})
    hidden = scorecard(w.officer_a_id, MON, MON, include_integrity=False)
    shown = dict((r.code, n) for r, n in hidden.reasons)
    assert shown == {"slow": 2, "attitude": 0, "unclear": 0, "extra_papers": 0, "other": 0}
    assert not any(r.integrity for r, _ in hidden.reasons)
    assert "bribe" not in repr(hidden) and "harassment" not in repr(hidden)
    full = scorecard(w.officer_a_id, MON, MON, include_integrity=True)
    assert [(r.code, n) for r, n in full.reasons] == [
        ("slow", 2), ("attitude", 0), ("unclear", 0), ("extra_papers", 0), ("harassment", 1), ("bribe", 1), ("other", 0)]
    assert (hidden.ratings, hidden.counts) == (full.ratings, full.counts)


def test_scorecard_unknown_officer_raises_lookup_error(w):
    with pytest.raises(LookupError, match="No officer 99999"):
        scorecard(99999, MON, MON, False)


def test_ranking_leaves_officers_with_too_few_ratings_unranked(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 9, 1: 1})   # 10 ratings, 90 %
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {3: 9})        # 9 ratings, 100 %
    add_counts(MON, w.officer_b_id, w.desk_b_id, {3: 12})        # 12 ratings, 100 %
    ranked, too_few = ranking(None, MON, MON, min_ratings=10)
    assert [(r.rank, r.officer_id) for r in ranked] == [(1, w.officer_b_id), (2, w.officer_a_id)]
    assert [r.officer_id for r in too_few] == [w.officer_a2_id]
    assert too_few[0].rank is None
    ranked, too_few = ranking(w.commune_a_id, MON, MON, min_ratings=9)
    assert [(r.rank, r.officer_id) for r in ranked] == [(1, w.officer_a2_id), (2, w.officer_a_id)]
    assert too_few == []


def test_ranking_ties_share_a_rank_and_break_on_ratings_then_name(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 10})    # 100 %, 10 ratings
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {3: 10})   # 100 %, 10 ratings
    add_counts(MON, w.officer_b_id, w.desk_b_id, {3: 20})    # 100 %, 20 ratings
    ranked, _ = ranking(None, MON, MON)
    assert [(r.rank, r.officer_name) for r in ranked] == [
        (1, "Lê Văn Cường"), (2, "Nguyễn Văn An"), (2, "Trần Thị Bình")]


def test_ranking_sort_keys(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {3: 5, 1: 5})      # 50 %, mean 2.00, 10
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {2: 12})          # 100 %, mean 2.00, 12
    add_counts(MON, w.officer_b_id, w.desk_b_id, {3: 8, 1: 3})      # 72.73 %, mean 2.45, 11
    order = lambda sort: [r.officer_name for r in ranking(None, MON, MON, sort=sort)[0]]  # noqa: E731
    assert order("satisfaction") == ["Trần Thị Bình", "Lê Văn Cường", "Nguyễn Văn An"]
    assert order("mean") == ["Lê Văn Cường", "Trần Thị Bình", "Nguyễn Văn An"]
    assert order("ratings") == ["Trần Thị Bình", "Lê Văn Cường", "Nguyễn Văn An"]
    assert order("name") == ["Lê Văn Cường", "Nguyễn Văn An", "Trần Thị Bình"]
    assert [r.rank for r in ranking(None, MON, MON, sort="name")[0]] == [1, 2, 3]
    with pytest.raises(ValueError, match="Unknown sort"):
        ranking(None, MON, MON, sort="age")


def test_dashboard_counts_today_period_and_kiosks(app, w):
    today = MON + timedelta(days=3)
    add_counts(today, w.officer_a_id, w.desk_a_id, {3: 1, 1: 1})
    add_counts(today, 0, w.desk_a_id, {2: 1})                    # nobody on duty still counts here
    add_counts(MON, w.officer_b_id, w.desk_b_id, {1: 3})
    now = datetime(2026, 11, 5, 3, 0, tzinfo=timezone.utc)
    offline_after = timedelta(seconds=app.config["KIOSK_OFFLINE_AFTER_S"])
    db.session.get(Kiosk, w.kiosk_a_id).last_seen_at = now - offline_after + timedelta(seconds=1)
    db.session.get(Kiosk, w.kiosk_b_id).last_seen_at = now - offline_after - timedelta(seconds=1)
    db.session.commit()

    d = dashboard(None, MON, today, today, now=now)
    assert (d["ratings_today"], d["satisfied_today"], d["pct_today"]) == (3, 2, Decimal("66.67"))
    assert (d["ratings_period"], d["pct_period"]) == (6, Decimal("33.33"))
    assert (d["kiosks_online"], d["kiosks_offline"]) == (1, 1)
    [off] = d["offline_kiosks"]
    assert (off.kiosk.id, off.desk.id, off.last_seen_at) == (w.kiosk_b_id, w.desk_b_id, now - offline_after - timedelta(seconds=1))

    d = dashboard(w.commune_b_id, MON, today, today, now=now)
    assert (d["ratings_today"], d["pct_today"], d["ratings_period"], d["pct_period"]) == (0, None, 3, Decimal("0.00"))
    assert (d["kiosks_online"], d["kiosks_offline"]) == (0, 1)


def test_dashboard_never_seen_kiosk_is_offline_and_revoked_one_left_out(w):
    db.session.get(Kiosk, w.kiosk_b_id).enabled = False
    db.session.commit()
    d = dashboard(None, MON, MON, MON)
    assert (d["kiosks_online"], d["kiosks_offline"]) == (0, 1)
    assert d["offline_kiosks"][0].kiosk.id == w.kiosk_a_id
    assert d["offline_kiosks"][0].last_seen_at is None


def test_seq_gaps_lists_missing_ranges(w):
    for seq in (3, 4, 7, 8, 12, 13):
        add_rating(w.kiosk_a_id, seq, 3, MON)
    add_rating(w.kiosk_b_id, 1, 3, MON)
    add_rating(w.kiosk_b_id, 2, 3, MON)
    assert seq_gaps(w.kiosk_a_id) == [(1, 2), (5, 6), (9, 11)]
    assert seq_gaps(w.kiosk_a_id, limit=2) == [(1, 2), (5, 6)]
    assert seq_gaps(w.kiosk_b_id) == []


def test_seq_gaps_of_kiosk_without_ratings_is_empty(w):
    assert seq_gaps(w.kiosk_a_id) == []


def test_seq_gaps_include_the_tail_the_heartbeat_reports(w):
    for seq in (1, 2, 3):
        add_rating(w.kiosk_a_id, seq, 3, MON)
    assert seq_gaps(w.kiosk_a_id, last_seq=50) == [(4, 50)]
    assert seq_gaps(w.kiosk_a_id, last_seq=3) == []
    assert seq_gaps(w.kiosk_b_id, last_seq=7) == [(1, 7)]


def test_integrity_complaints_lists_only_misconduct_newest_first(w):
    t0 = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)
    add_rating(w.kiosk_a_id, 1, 1, MON, w.officer_a_id, ("slow",), t0)
    older = add_rating(w.kiosk_a_id, 2, 1, MON, w.officer_a_id, ("bribe", "slow"), t0 + timedelta(minutes=1))
    newer = add_rating(w.kiosk_b_id, 1, 1, MON, w.officer_b_id, ("harassment",), t0 + timedelta(minutes=2))
    add_rating(w.kiosk_b_id, 2, 1, MON + WEEK, w.officer_b_id, ("bribe",), t0 + WEEK)  # outside the range
    found = integrity_complaints(None, MON, MON + timedelta(days=6))
    assert [c.rating_id for c in found] == [newer.id, older.id]
    first, second = found
    assert (first.officer.name, first.desk.name, first.unit.name, first.kiosk.name) == (
        "Lê Văn Cường", "Quầy 1 — Tư pháp", "UBND xã Hợp Thịnh", "Hợp Thịnh — quầy 1")
    assert [r.code for r in second.reasons] == ["slow", "bribe"]
    assert second.received_at == t0 + timedelta(minutes=1)
    assert [c.rating_id for c in integrity_complaints(w.commune_a_id, MON, MON)] == [older.id]
    assert [c.rating_id for c in integrity_complaints(w.district_id, MON, MON, limit=1)] == [newer.id]


def counts_table():
    return (
        sorted(db.session.execute(select(DailyCount.day, DailyCount.officer_id, DailyCount.desk_id,
                                         DailyCount.score, DailyCount.count)).all()),
        sorted(db.session.execute(select(DailyReasonCount.day, DailyReasonCount.officer_id,
                                         DailyReasonCount.desk_id, DailyReasonCount.reason_code,
                                         DailyReasonCount.count)).all()),
    )


def test_rebuild_daily_counts_equals_counts_kept_by_ingestion(w):
    kiosk = db.session.get(Kiosk, w.kiosk_a_id)
    kiosk.created_at = datetime(2026, 10, 1, tzinfo=timezone.utc)
    db.session.commit()
    items = [
        {"id": str(uuid.uuid4()), "seq": seq, "score": score, "officer_id": officer, "reasons": reasons,
         "source": "touch", "created_at": f"2026-11-{day:02d}T{8 + seq % 8:02d}:15:00+07:00"}
        for seq, (score, officer, reasons, day) in enumerate([
            (3, w.officer_a_id, [], 2), (1, w.officer_a_id, ["slow", "bribe"], 2), (2, None, [], 2),
            (1, None, ["attitude"], 3), (1, w.officer_a2_id, ["slow"], 3), (3, w.officer_a2_id, [], 3),
            (3, w.officer_a_id, [], 4), (1, w.officer_a_id, ["slow"], 4),
        ], start=1)
    ]
    result = store_ratings(KioskRef.of(kiosk), items, received_at=datetime(2026, 11, 4, 12, 0, tzinfo=timezone.utc))
    db.session.commit()
    assert len(result.accepted) == 8
    incremental = counts_table()
    assert rebuild_daily_counts() == 8
    assert counts_table() == incremental
    assert (MON, 0, w.desk_a_id, "attitude", 1) not in incremental[1]
    assert (date(2026, 11, 3), 0, w.desk_a_id, "attitude", 1) in incremental[1]


def test_rebuild_daily_counts_from_ratings(w):
    add_rating(w.kiosk_a_id, 1, 3, MON, w.officer_a_id)
    add_rating(w.kiosk_a_id, 2, 3, MON, w.officer_a_id)
    add_rating(w.kiosk_a_id, 3, 1, MON, None, ("slow", "bribe"))
    add_rating(w.kiosk_b_id, 1, 1, MON + timedelta(days=1), w.officer_b_id, ("slow",))
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {2: 50})  # wrong: nothing backs it
    assert rebuild_daily_counts() == 4
    scores, reasons = counts_table()
    assert scores == [
        (MON, 0, w.desk_a_id, 1, 1),
        (MON, w.officer_a_id, w.desk_a_id, 3, 2),
        (MON + timedelta(days=1), w.officer_b_id, w.desk_b_id, 1, 1),
    ]
    assert reasons == [
        (MON, 0, w.desk_a_id, "bribe", 1),
        (MON, 0, w.desk_a_id, "slow", 1),
        (MON + timedelta(days=1), w.officer_b_id, w.desk_b_id, "slow", 1),
    ]
