"""kiosk/ids.py: rating and duty ids are UUID version 7, unique, ordered by the time they were made."""
from __future__ import annotations

import time
import uuid

from kiosk import ids
from kiosk.outbox import Outbox


def test_new_id_is_a_canonical_version_7_uuid():
    made = ids.new_id()
    parsed = uuid.UUID(made)
    assert str(parsed) == made  # lower case, hyphenated: the form the central service takes without parsing
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_new_id_starts_with_the_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(ids.new_id())
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_new_ids_are_unique_and_ordered_by_millisecond(monkeypatch):
    clock = iter(range(1_800_000_000_000_000_000, 1_800_000_000_000_000_000 + 10_000 * 1_000_000, 1_000_000))
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(clock))
    made = [ids.new_id() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made)  # one per millisecond: text order is time order


def test_new_ids_in_one_millisecond_differ(monkeypatch):
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_800_000_000_000_000_000)
    made = {ids.new_id() for _ in range(10_000)}
    assert len(made) == 10_000
    assert len({m[:13] for m in made}) == 1  # same time part, different random part


def test_outbox_gives_ratings_and_duty_events_version_7_ids(tmp_path):
    box = Outbox(tmp_path / "outbox.db")
    try:
        rating_id, _ = box.add_rating(score=3, officer_id=None, source="touch",
                                      created_at="2026-11-27T09:15:02+07:00", sendable_at=0.0, awaiting_reasons=False)
        event_id = box.add_duty_event(12, "sign_in", "2026-11-27T08:00:05+07:00", {})
    finally:
        box.close()
    assert uuid.UUID(rating_id).version == 7
    assert uuid.UUID(event_id).version == 7
