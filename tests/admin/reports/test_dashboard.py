"""The dashboard's figures: today, the period, and kiosks online or not."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from admin.db import db
from admin.models import Kiosk
from admin.periods import Period, parse_period
from admin.reports.dashboard import dashboard_figures

from .reports_support import MON, add_counts


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

    d = dashboard_figures(None, Period("custom", MON, today), today, now=now)
    assert (d["ratings_today"], d["satisfied_today"], d["pct_today"]) == (3, 2, Decimal("66.67"))
    assert (d["ratings_period"], d["pct_period"]) == (6, Decimal("33.33"))
    assert (d["kiosks_online"], d["kiosks_offline"]) == (1, 1)
    [off] = d["offline_kiosks"]
    assert (off.kiosk.id, off.desk.id, off.last_seen_at) == (w.kiosk_b_id, w.desk_b_id, now - offline_after - timedelta(seconds=1))

    d = dashboard_figures(w.commune_b_id, Period("custom", MON, today), today, now=now)
    assert (d["ratings_today"], d["pct_today"], d["ratings_period"], d["pct_period"]) == (0, None, 3, Decimal("0.00"))
    assert (d["kiosks_online"], d["kiosks_offline"]) == (0, 1)


def test_dashboard_never_seen_kiosk_is_offline_and_revoked_one_left_out(w):
    db.session.get(Kiosk, w.kiosk_b_id).enabled = False
    db.session.commit()
    d = dashboard_figures(None, Period("custom", MON, MON), MON)
    assert (d["kiosks_online"], d["kiosks_offline"]) == (0, 1)
    assert d["offline_kiosks"][0].kiosk.id == w.kiosk_a_id
    assert d["offline_kiosks"][0].last_seen_at is None


def test_dashboard_period_beside_the_one_before(w):
    """The second half of 2025 beside the first: counts, rates and the changes."""
    add_counts(parse_period("2025-H1").start, w.officer_a_id, w.desk_a_id, {3: 3, 1: 1})   # 4 ratings, 75 %
    add_counts(parse_period("2025-H2").end, w.officer_a_id, w.desk_a_id, {3: 5, 1: 1})     # 6 ratings, 83.33 %
    d = dashboard_figures(None, parse_period("2025-H2"), MON)
    assert d["previous"].key == "2025-H1"
    assert (d["ratings_period"], d["ratings_previous"], d["ratings_change_pct"]) == (6, 4, Decimal("50.00"))
    assert (d["pct_period"], d["pct_previous"], d["pct_change_points"]) == (Decimal("83.33"), Decimal("75.00"), Decimal("8.33"))
    # Nothing before: no change to show.
    d = dashboard_figures(None, parse_period("2025-H1"), MON)
    assert (d["ratings_previous"], d["ratings_change_pct"], d["pct_change_points"]) == (0, None, None)
