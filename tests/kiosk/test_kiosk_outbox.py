"""kiosk/outbox.py: durable ratings, seq never reused, settle only what was acknowledged, the config cache."""
from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from kiosk.outbox import MAX_REASONS_WAIT_S, ConfigCache, Outbox, write_atomic

NOW = 1_800_000_000.0


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


def add(box: Outbox, score: int = 3, *, sendable_at: float = NOW, awaiting: bool = False) -> tuple[str, int]:
    return box.add_rating(score=score, officer_id=12, source="touch", created_at="2026-11-27T09:15:02.000+07:00",
                          sendable_at=sendable_at, awaiting_reasons=awaiting)


def test_outbox_uses_wal_and_full_sync(tmp_path, outbox):
    conn = sqlite3.connect(tmp_path / "outbox.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert outbox._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_outbox_rating_is_a_protocol_item(outbox):
    rating_id, seq = add(outbox, 2)
    assert seq == 1
    assert outbox.sendable_ratings(NOW, 10) == [{
        "id": rating_id, "seq": 1, "score": 2, "officer_id": 12, "reasons": [], "source": "touch",
        "created_at": "2026-11-27T09:15:02.000+07:00",
    }]


def test_outbox_seq_survives_restart_and_deletes(tmp_path):
    box = Outbox(tmp_path / "o.db")
    ids = [add(box)[0] for _ in range(3)]
    box.settle_ratings(ids, [])
    box.close()
    box = Outbox(tmp_path / "o.db")
    assert add(box)[1] == 4
    assert box.counts()["outbox_depth"] == 1
    box.close()


def test_outbox_seq_unique_under_concurrent_presses(outbox):
    seqs: list[int] = []

    def press() -> None:
        for _ in range(50):
            seqs.append(add(outbox)[1])

    threads = [threading.Thread(target=press) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(1, 201))
    assert outbox.pending_count() == 200


def test_outbox_sends_oldest_first_in_batches(outbox):
    for _ in range(7):
        add(outbox)
    assert [r["seq"] for r in outbox.sendable_ratings(NOW, 5)] == [1, 2, 3, 4, 5]


def test_outbox_settle_deletes_only_acknowledged_and_keeps_rejected(outbox):
    a, b, c = (add(outbox)[0] for _ in range(3))
    error = {"code": "unknown_reason", "message": "Unknown reason code 'x'."}
    outbox.settle_ratings([a, "not-ours"], [{"id": b, "error": error}])
    assert [r["id"] for r in outbox.sendable_ratings(NOW, 10)] == [c]
    assert outbox.rejected_ratings() == [{"id": b, "seq": 2, "score": 3, "error": error}]
    assert outbox.counts() == {"outbox_depth": 1, "rejected": 1, "duty_pending": 0, "duty_rejected": 0}
    assert outbox.pending_count() == 1


def test_outbox_low_score_waits_for_reasons(outbox):
    rating_id, _ = add(outbox, 1, sendable_at=NOW + 20, awaiting=True)
    assert outbox.sendable_ratings(NOW, 10) == []
    assert outbox.next_sendable_at(NOW) == NOW + 20
    assert outbox.set_reasons(rating_id, ["slow", "bribe"], NOW + 1)
    [item] = outbox.sendable_ratings(NOW + 1, 10)
    assert item["reasons"] == ["slow", "bribe"]
    assert not outbox.set_reasons(rating_id, ["other"], NOW + 2), "reasons are given once"
    assert outbox.next_sendable_at(NOW + 2) is None


def test_outbox_low_score_sendable_after_timeout_without_reasons(outbox):
    rating_id, _ = add(outbox, 1, sendable_at=NOW + 20, awaiting=True)
    [item] = outbox.sendable_ratings(NOW + 20, 10)
    assert item["reasons"] == []
    assert not outbox.set_reasons(rating_id, ["slow"], NOW + 21), "too late: it may be on its way"


def test_outbox_clock_jumping_back_does_not_hold_a_rating(outbox):
    add(outbox, 1, sendable_at=NOW + 20, awaiting=True)
    back = NOW - 2 * MAX_REASONS_WAIT_S
    assert len(outbox.sendable_ratings(back, 10)) == 1


def test_outbox_unknown_rating_takes_no_reasons(outbox):
    assert not outbox.set_reasons("7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11", ["slow"], NOW)


def test_outbox_duty_events_in_order_and_settled(outbox):
    first = outbox.add_duty_event(12, "sign_in", "2026-11-27T08:00:05+07:00", {"duty": {"officer_id": 12}})
    second = outbox.add_duty_event(12, "sign_out", "2026-11-27T11:00:00+07:00", {"duty": None})
    assert [e["id"] for e in outbox.sendable_duty_events(10)] == [first, second]
    assert outbox.get_meta("duty") is None
    outbox.settle_duty_events([first], [{"id": second, "error": {"code": "unknown_officer", "message": "x"}}])
    assert outbox.sendable_duty_events(10) == []
    assert outbox.counts()["duty_rejected"] == 1


def test_outbox_duty_event_with_a_bad_action_stores_nothing(outbox):
    with pytest.raises(sqlite3.IntegrityError):
        outbox.add_duty_event(12, "sign_sideways", "2026-11-27T08:00:05+07:00", {"duty": {"officer_id": 12}})
    assert outbox.sendable_duty_events(10) == [] and outbox.get_meta("duty") is None


def test_outbox_meta_values_and_counter(outbox):
    assert outbox.get_meta("central", "unknown") == "unknown"
    outbox.set_meta({"central": "ok", "pin": {"failures": 2}})
    assert outbox.increment_meta("ignored_presses") == 1
    assert outbox.increment_meta("ignored_presses") == 2
    assert outbox.all_meta() == {"central": "ok", "pin": {"failures": 2}, "ignored_presses": 2}


def test_outbox_unserialisable_meta_changes_nothing(outbox):
    with pytest.raises(TypeError):
        outbox.set_meta({"a": 1, "b": object()})
    assert outbox.all_meta() == {}


def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "f.json"
    write_atomic(path, b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_config_cache_keeps_config_and_etag(tmp_path):
    cache = ConfigCache(tmp_path)
    assert cache.load() is None
    cache.save({"config_version": "v1", "desk": {"name": "Quầy 2"}}, "v1")
    assert ConfigCache(tmp_path).load() == ({"config_version": "v1", "desk": {"name": "Quầy 2"}}, "v1")


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"etag": "x"}', b"\xff\xfe"])
def test_config_cache_damaged_file_is_no_config(tmp_path, content):
    cache = ConfigCache(tmp_path)
    cache.config_path.write_bytes(content)
    assert cache.load() is None


def test_config_cache_photos_by_type(tmp_path):
    cache = ConfigCache(tmp_path)
    assert cache.photo_path(12) is None
    assert cache.save_photo(12, b"\x89PNG", "image/png").name == "12.png"
    assert cache.save_photo(12, b"\xff\xd8", "image/jpeg; charset=binary").name == "12.jpg"
    assert cache.photo_path(12).read_bytes() == b"\xff\xd8"
    assert not (tmp_path / "photos" / "12.png").exists()
    cache.remove_photo(12)
    assert cache.photo_path(12) is None


def test_config_cache_file_is_json_with_vietnamese(tmp_path):
    cache = ConfigCache(tmp_path)
    cache.save({"desk": {"name": "Quầy 2 — Đất đai"}}, None)
    assert json.loads(cache.config_path.read_text("utf-8"))["config"]["desk"]["name"] == "Quầy 2 — Đất đai"


def test_outbox_made_before_tickets_gains_the_column_and_keeps_its_ratings(tmp_path):
    """An SD card from an earlier version: its outbox has no ticket column."""
    conn = sqlite3.connect(tmp_path / "outbox.db")
    conn.executescript(
        "CREATE TABLE ratings (uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, score INTEGER NOT NULL,"
        " officer_id INTEGER, reasons TEXT NOT NULL DEFAULT '[]', source TEXT NOT NULL, created_at TEXT NOT NULL,"
        " sendable_at REAL NOT NULL, awaiting_reasons INTEGER NOT NULL DEFAULT 0,"
        " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')), error TEXT);"
        "INSERT INTO ratings (uuid, seq, score, source, created_at, sendable_at)"
        " VALUES ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b', 1, 3, 'touch', '2026-11-27T09:15:02.000+07:00', 0);"
    )
    conn.close()
    box = Outbox(tmp_path / "outbox.db")
    try:
        [old] = box.sendable_ratings(NOW, 10)
        assert old["seq"] == 1 and "ticket" not in old
        box.set_meta({"last_seq": 1})  # kept in the meta table, which that version had too
        rating_id, _ = add(box, 1, sendable_at=NOW + 20, awaiting=True)
        assert box.set_reasons(rating_id, ["bribe"], NOW, ticket="17")
        assert box.sendable_ratings(NOW, 10)[1]["ticket"] == "17"
        # Sent again (an answer lost): the same ticket is still a yes, another is not.
        assert box.set_reasons(rating_id, ["bribe"], NOW + 1, ticket="17")
        assert not box.set_reasons(rating_id, ["bribe"], NOW + 1, ticket="18")
    finally:
        box.close()
