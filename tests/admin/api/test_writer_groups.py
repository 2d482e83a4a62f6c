"""admin/api/rating_store.py and admin/api/writer.py: several requests' batches written in one transaction.

The writer hands ``write_ratings`` the batches of every request that queued
up; these tests call it with such groups directly, on SQLite and PostgreSQL,
and check each request gets the answer it would get alone.
"""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from admin.api.auth import KioskRef
from admin.api.rating_store import MAX_INSERT_ROWS, _chunks, write_ratings
from admin.api.validation import prepare_ratings
from admin.api.writer import GroupWriter, group_writer
from admin.db import db, utcnow
from admin.models import DailyCount, DailyReasonCount, Kiosk, Rating, RatingReason

VN = timezone(timedelta(hours=7))


def item(seq: int, **fields) -> dict:
    made = {"id": str(uuid.uuid4()), "seq": seq, "score": 3, "officer_id": None, "reasons": [], "source": "touch",
            "created_at": (datetime.now(VN) - timedelta(minutes=1)).isoformat(timespec="seconds")}
    made.update(fields)
    return made


def prepared(world, items, kiosk_id=None):
    kiosk = db.session.get(Kiosk, kiosk_id or world.kiosk_a_id)
    return prepare_ratings(KioskRef.of(kiosk), items, utcnow())


def write_group(batches):
    """``write_ratings`` in a transaction of its own, as the writer runs it; the answers as JSON."""
    with db.engine.connect() as conn, conn.begin():
        answers = [result.as_json() for result in write_ratings(conn, batches)]
    db.session.rollback()  # read what was just written, not the session's older snapshot
    return answers


def stored(model=Rating) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_group_of_two_requests_stores_both(app, world):
    with app.test_request_context():
        first = [item(1, officer_id=world.officer_a_id), item(2, score=1, reasons=["slow", "bribe"])]
        second = [item(1, ticket="A-17", comment="Nhanh, chu đáo")]
        answers = write_group([prepared(world, first), prepared(world, second, world.kiosk_b_id)])
        assert answers == [
            {"accepted": [i["id"] for i in first], "duplicates": [], "rejected": []},
            {"accepted": [second[0]["id"]], "duplicates": [], "rejected": []},
        ]
        rows = {str(r.uuid): r for r in db.session.scalars(select(Rating))}
        assert rows[first[0]["id"]].officer_id == world.officer_a_id
        assert (rows[first[0]["id"]].ticket, rows[first[0]["id"]].comment) == (None, None)
        assert (rows[second[0]["id"]].ticket, rows[second[0]["id"]].comment) == ("A-17", "Nhanh, chu đáo")
        assert rows[second[0]["id"]].kiosk_id == world.kiosk_b_id
        assert rows[second[0]["id"]].officer_id is None
        assert {r.reason_code for r in rows[first[1]["id"]].reasons} == {"slow", "bribe"}
        assert stored(RatingReason) == 2


def test_same_uuid_in_two_requests_of_a_group_is_stored_once(app, world):
    with app.test_request_context():
        same = item(1, score=1, reasons=["slow"])
        other_content = {**same, "score": 2, "reasons": []}
        answers = write_group([prepared(world, [same]), prepared(world, [dict(same)]), prepared(world, [other_content])])
        assert answers[0]["accepted"] == [same["id"]]
        assert answers[1] == {"accepted": [], "duplicates": [same["id"]], "rejected": []}
        assert answers[2]["rejected"][0]["error"]["code"] == "conflict"
        assert stored() == 1
        assert stored(RatingReason) == 1
        assert db.session.scalar(select(func.sum(DailyCount.count))) == 1
        assert db.session.scalar(select(func.sum(DailyReasonCount.count))) == 1


def test_batch_partly_stored_before_keeps_the_stored_and_adds_the_new(app, world):
    with app.test_request_context():
        old = [item(1, reasons=["slow"], score=1), item(2)]
        write_group([prepared(world, old)])
        resent = [old[0], {**old[1], "score": 1}, item(3, score=1, reasons=["attitude"])]
        [answer] = write_group([prepared(world, resent)])
        assert answer["accepted"] == [resent[2]["id"]]
        assert answer["duplicates"] == [old[0]["id"]]
        assert [(r["id"], r["error"]["code"]) for r in answer["rejected"]] == [(old[1]["id"], "conflict")]
        assert stored() == 3
        assert stored(RatingReason) == 2
        assert db.session.scalar(select(func.sum(DailyCount.count))) == 3


def test_batch_larger_than_one_statement_is_stored_whole(app, world):
    with app.test_request_context():
        items = [item(seq, score=1 + seq % 3, reasons=["slow"] if seq % 3 == 0 else []) for seq in range(1, 301)]
        [answer] = write_group([prepared(world, items)])
        assert len(answer["accepted"]) == 300
        assert stored() == 300
        assert stored(RatingReason) == 100
        seqs = db.session.scalars(select(Rating.seq).order_by(Rating.seq)).all()
        assert seqs == list(range(1, 301))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 100, 255, 256, 257, 500, 1000])
def test_chunks_are_powers_of_two_that_add_up(n):
    sizes = _chunks(n)
    assert sum(sizes) == n
    assert all(size & (size - 1) == 0 and size <= MAX_INSERT_ROWS for size in sizes)
    assert sizes == sorted(sizes, reverse=True)


def send_behind_first(writer: GroupWriter, send, payloads, started: threading.Event, release: threading.Event):
    """``send`` each payload on a thread of its own: the first until the writer holds it
    (its write sets ``started``, then waits for ``release``), the others queued up behind it."""
    threads = [threading.Thread(target=send, args=(payload,)) for payload in payloads]
    threads[0].start()
    assert started.wait(5)
    for t in threads[1:]:
        t.start()
    for _ in range(500):
        if len(writer._queue) >= len(payloads) - 1:
            break
        threading.Event().wait(0.01)
    else:
        raise AssertionError(f"{len(writer._queue)} jobs queued, not {len(payloads) - 1}")
    release.set()
    for t in threads:
        t.join(5)


def test_writer_hands_queued_payloads_to_one_call(app):
    calls: list[list[int]] = []
    started, release = threading.Event(), threading.Event()

    def write(conn, payloads):
        calls.append(list(payloads))
        if payloads == [0]:
            started.set()
            release.wait(5)  # hold the writer so that the others queue up behind it
        return [p * 10 for p in payloads]

    with app.app_context():
        writer = GroupWriter(db.engine, threading.Lock())
        results: dict[int, int] = {}
        send_behind_first(writer, lambda p: results.__setitem__(p, writer.submit(write, p)), range(4), started, release)
    assert results == {0: 0, 1: 10, 2: 20, 3: 30}
    assert calls == [[0], [1, 2, 3]]


def test_writer_failure_of_one_payload_fails_only_its_request(app):
    calls: list[list[str]] = []
    started, release = threading.Event(), threading.Event()

    def write(conn, payloads):
        calls.append(list(payloads))
        if payloads == ["first"]:
            started.set()
            release.wait(5)
        if "bad" in payloads:
            raise OSError("disk full")
        return [p.upper() for p in payloads]

    with app.app_context():
        writer = GroupWriter(db.engine, threading.Lock())
        outcome: dict[str, object] = {}

        def send(payload):
            try:
                outcome[payload] = writer.submit(write, payload)
            except OSError as err:
                outcome[payload] = err

        send_behind_first(writer, send, ["first", "good", "bad", "fine"], started, release)
    assert outcome["first"] == "FIRST"
    assert outcome["good"] == "GOOD" and outcome["fine"] == "FINE"
    assert isinstance(outcome["bad"], OSError)
    # Tried together once, then each alone.
    assert calls[1] == ["good", "bad", "fine"]
    assert sorted(calls[2:]) == [["bad"], ["fine"], ["good"]]


def test_api_group_writer_is_one_per_app(app):
    with app.app_context():
        assert group_writer() is group_writer()


def test_writer_replaces_a_connection_that_broke(app):
    def lose_connection(conn, payloads):
        conn.connection.driver_connection.close()  # as a restarted database leaves it
        conn.connection.driver_connection.execute("SELECT 1")
        return payloads

    def write(conn, payloads):
        conn.connection.driver_connection.execute("SELECT 1")
        return [p.upper() for p in payloads]

    with app.app_context():
        writer = GroupWriter(db.engine, threading.Lock())
        assert writer.submit(write, "before") == "BEFORE"
        with pytest.raises(Exception):
            writer.submit(lose_connection, "lost")
        assert writer.submit(write, "after") == "AFTER"
        assert writer.submit(write, "again") == "AGAIN"
