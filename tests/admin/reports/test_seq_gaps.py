"""Gaps in a kiosk's sequence numbers."""
from __future__ import annotations

from admin.reports.seq_gaps import seq_gaps

from .reports_support import MON, add_rating


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
