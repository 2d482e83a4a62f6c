"""Ranking officers: minimum sample, shared ranks, sort keys."""
from __future__ import annotations

import pytest

from admin.reports.ranking import ranking

from .reports_support import MON, add_counts


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
