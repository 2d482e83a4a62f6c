"""The inspectors' list of misconduct complaints."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from admin.reports.complaints import integrity_complaints

from .reports_support import MON, WEEK, add_rating


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
