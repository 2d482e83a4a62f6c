"""POST /api/v1/ratings: the batch contract of docs/protocol.md §2."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from admin.db import db
from admin.models import DailyCount, DailyReasonCount, Rating, RatingReason
from admin.reports.daily_counts import rebuild_daily_counts

VN = timezone(timedelta(hours=7))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rating(seq: int = 1, **fields) -> dict:
    """A valid wire rating made a minute ago, officer-less unless given."""
    item = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "score": 3,
        "officer_id": None,
        "reasons": [],
        "source": "touch",
        "created_at": (datetime.now(VN) - timedelta(minutes=1)).isoformat(timespec="seconds"),
    }
    item.update(fields)
    return item


def post(client, token: str, items: list[dict]):
    return client.post("/api/v1/ratings", json={"ratings": items}, headers=auth(token))


def count(app, model=Rating) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_ratings_batch_accepted_and_stored(app, client, world):
    items = [rating(1, score=3, officer_id=world.officer_a_id), rating(2, score=1, reasons=["slow", "bribe"])]
    res = post(client, world.token_a, items)
    assert res.status_code == 200
    assert res.get_json() == {"accepted": [i["id"] for i in items], "duplicates": [], "rejected": []}
    with app.app_context():
        stored = db.session.scalars(select(Rating).order_by(Rating.seq)).all()
        assert [(r.seq, r.score, r.officer_id, r.clock_flag) for r in stored] == [
            (1, 3, world.officer_a_id, False),
            (2, 1, None, False),
        ]
        assert stored[0].kiosk_id == world.kiosk_a_id
        assert stored[0].desk_id == world.desk_a_id
        assert stored[0].unit_id == world.commune_a_id
        assert {rr.reason_code for rr in stored[1].reasons} == {"slow", "bribe"}
        assert stored[0].received_at >= stored[0].created_at


def test_ratings_same_id_ten_times_counted_once(app, client, world):
    item = rating(1, score=2, reasons=["slow"], officer_id=world.officer_a_id)
    answers = [post(client, world.token_a, [item]).get_json() for _ in range(10)]
    assert answers[0]["accepted"] == [item["id"]]
    assert all(a == {"accepted": [], "duplicates": [item["id"]], "rejected": []} for a in answers[1:])
    assert count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.sum(DailyCount.count))) == 1
        assert db.session.scalar(select(func.sum(DailyReasonCount.count))) == 1


def test_ratings_same_id_from_ten_threads_stored_once(app, world):
    item = rating(1, score=1, reasons=["harassment"])
    barrier = threading.Barrier(10)
    answers: list[dict] = []

    def send():
        client = app.test_client()
        barrier.wait()
        res = post(client, world.token_a, [item])
        answers.append((res.status_code, res.get_json()))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in answers] == [200] * 10
    assert sum(len(a["accepted"]) for _, a in answers) == 1
    assert sum(len(a["duplicates"]) for _, a in answers) == 9
    assert count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.sum(DailyCount.count))) == 1


def test_ratings_same_id_other_content_is_conflict(app, client, world):
    item = rating(1, score=3)
    post(client, world.token_a, [item])
    changed = {**item, "score": 1}
    res = post(client, world.token_a, [changed])
    assert res.status_code == 200
    body = res.get_json()
    assert body["accepted"] == [] and body["duplicates"] == []
    assert body["rejected"][0]["id"] == item["id"]
    assert body["rejected"][0]["error"]["code"] == "conflict"
    with app.app_context():
        assert db.session.scalar(select(Rating.score)) == 3


def test_ratings_duplicate_compares_times_as_instants_and_reasons_as_sets(client, world):
    created = datetime(2026, 11, 27, 9, 15, 2, tzinfo=VN)
    item = rating(1, score=1, reasons=["slow", "bribe"], created_at=created.isoformat())
    post(client, world.token_a, [item])
    same = {**item, "reasons": ["bribe", "slow", "bribe"], "created_at": "2026-11-27T02:15:02Z"}
    assert post(client, world.token_a, [same]).get_json()["duplicates"] == [item["id"]]


def test_ratings_same_id_from_another_kiosk_is_conflict(client, world):
    item = rating(1)
    post(client, world.token_a, [item])
    body = post(client, world.token_b, [item]).get_json()
    assert body["rejected"][0]["error"]["code"] == "conflict"


def test_ratings_repeated_id_in_one_request_listed_once(app, client, world):
    item = rating(1)
    body = post(client, world.token_a, [item, item, {**item, "score": 1}]).get_json()
    assert body == {"accepted": [item["id"]], "duplicates": [], "rejected": []}
    assert count(app) == 1


BAD_ITEMS = [
    ({"seq": 0}, "invalid_seq"),
    ({"seq": "3"}, "invalid_seq"),
    ({"seq": True}, "invalid_seq"),
    ({"score": 4}, "invalid_score"),
    ({"score": 0}, "invalid_score"),
    ({"score": 2.5}, "invalid_score"),
    ({"score": None}, "invalid_score"),
    ({"officer_id": "12"}, "unknown_officer"),
    ({"officer_id": 999999}, "unknown_officer"),
    ({"seq": 2**63}, "invalid_seq"),
    ({"officer_id": 2**40}, "unknown_officer"),
    ({"source": "keyboard"}, "invalid_source"),
    ({"source": []}, "invalid_source"),
    ({"source": {}}, "invalid_source"),
    ({"reasons": ["slow"] * 51}, "invalid_reasons"),
    ({"comment": "bad\x00byte"}, "invalid_comment"),
    ({"ticket": "A\x00"}, "invalid_ticket"),
    ({"created_at": "0001-01-01T00:00:00+14:00"}, "invalid_time"),
    ({"created_at": "9999-12-31T23:59:59-14:00"}, "invalid_time"),
    ({"reasons": "slow"}, "invalid_reasons"),
    ({"reasons": [1]}, "invalid_reasons"),
    ({"reasons": ["slow", "rude_words"]}, "unknown_reason"),
    ({"ticket": 12}, "invalid_ticket"),
    ({"comment": "x" * 501}, "invalid_comment"),
    ({"created_at": "2026-11-27T09:15:02"}, "invalid_time"),
    ({"created_at": "27/11/2026 09:15"}, "invalid_time"),
    ({"created_at": 1764209702}, "invalid_time"),
    ({"created_at": None}, "invalid_time"),
]


@pytest.mark.parametrize("change, code", BAD_ITEMS)
def test_ratings_bad_item_rejected_and_good_ones_stored(app, client, world, change, code):
    good1, good2 = rating(1), rating(3)
    bad = {**rating(2), **change}
    body = post(client, world.token_a, [good1, bad, good2]).get_json()
    assert body["accepted"] == [good1["id"], good2["id"]]
    assert body["duplicates"] == []
    assert len(body["rejected"]) == 1
    assert body["rejected"][0]["id"] == bad["id"]
    assert body["rejected"][0]["error"]["code"] == code
    assert body["rejected"][0]["error"]["message"].endswith(".")
    assert count(app) == 2


def test_ratings_same_uuid_in_other_letter_case_handled_once(app, client, world):
    item = rating(1)
    upper = {**item, "id": item["id"].upper(), "score": 1}
    body = post(client, world.token_a, [item, upper]).get_json()
    assert body == {"accepted": [item["id"]], "duplicates": [], "rejected": []}
    with app.app_context():
        assert db.session.scalar(select(Rating.score)) == 3


def test_ratings_missing_fields_rejected(client, world):
    item = {"id": str(uuid.uuid4())}
    body = post(client, world.token_a, [item]).get_json()
    assert body["rejected"][0]["error"]["code"] == "invalid_seq"


def test_ratings_officer_of_another_unit_rejected(client, world):
    body = post(client, world.token_a, [rating(1, officer_id=world.officer_b_id)]).get_json()
    assert body["rejected"][0]["error"]["code"] == "unknown_officer"


def test_ratings_comment_and_ticket_kept(app, client, world):
    item = rating(1, score=1, ticket="A-015", comment="Phải chờ quá lâu")
    post(client, world.token_a, [item])
    with app.app_context():
        stored = db.session.scalars(select(Rating)).one()
        assert (stored.ticket, stored.comment) == ("A-015", "Phải chờ quá lâu")


@pytest.mark.parametrize(
    "id_value", [None, 17, "not-a-uuid", ["7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11"]]
)
def test_ratings_item_without_uuid_fails_whole_request(app, client, world, id_value):
    items = [rating(1), {**rating(2), "id": id_value}]
    res = post(client, world.token_a, items)
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "invalid_id"
    assert count(app) == 0


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (b"[]", 400, "bad_shape"),
        (b'{"ratings": {}}', 400, "bad_shape"),
        (b'{"items": []}', 400, "bad_shape"),
        (b'{"ratings": [1, 2]}', 400, "bad_shape"),
        (b'{"ratings": []}', 422, "empty_batch"),
    ],
)
def test_ratings_malformed_request_clear_error(app, client, world, body, status, code):
    res = client.post(
        "/api/v1/ratings", data=body, headers={**auth(world.token_a), "Content-Type": "application/json"}
    )
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code
    assert res.get_json()["error"]["message"]
    assert count(app) == 0


def test_ratings_over_500_items_is_413(app, client, world):
    res = post(client, world.token_a, [rating(i) for i in range(1, 502)])
    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "too_many_items"
    assert count(app) == 0


def test_ratings_500_items_accepted(app, client, world):
    items = [rating(i, score=1 + i % 3, reasons=["slow"] if i % 3 == 0 else []) for i in range(1, 501)]
    res = post(client, world.token_a, items)
    assert res.status_code == 200
    assert len(res.get_json()["accepted"]) == 500
    assert count(app) == 500
    # Written in several statements (at most 256 ratings each): every rating counted once, as a recount finds.
    with app.app_context():
        kept = sorted((c.score, c.count) for c in db.session.scalars(select(DailyCount)))
        slow = sum(c.count for c in db.session.scalars(select(DailyReasonCount)))
        assert sum(n for _, n in kept) == 500 and slow == 166
        rebuild_daily_counts()
        assert sorted((c.score, c.count) for c in db.session.scalars(select(DailyCount))) == kept


def test_ratings_body_over_1_mib_is_413(app, client, world):
    items = [rating(1, comment="x" * 400) for _ in range(3000)]
    data = json.dumps({"ratings": items}).encode()
    assert len(data) > 1024 * 1024
    res = client.post("/api/v1/ratings", data=data, headers={**auth(world.token_a), "Content-Type": "application/json"})
    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "too_large"
    assert count(app) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_ratings_without_valid_token_is_401(app, client, world, headers):
    res = client.post("/api/v1/ratings", json={"ratings": [rating(1)]}, headers=headers)
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "unauthorized"
    assert "Bearer" in res.headers["WWW-Authenticate"]
    assert count(app) == 0


def test_ratings_revoked_kiosk_is_401(app, client, world):
    from admin.kiosks import revoke
    from admin.models import Kiosk

    with app.app_context():
        revoke(db.session.get(Kiosk, world.kiosk_a_id))
        db.session.commit()
    res = post(client, world.token_a, [rating(1)])
    assert res.status_code == 401
    assert count(app) == 0


def test_ratings_future_time_stored_and_flagged(app, client, world):
    future = datetime.now(VN) + timedelta(hours=3)
    item = rating(1, created_at=future.isoformat())
    assert post(client, world.token_a, [item]).get_json()["accepted"] == [item["id"]]
    with app.app_context():
        stored = db.session.scalars(select(Rating)).one()
        assert stored.clock_flag is True
        # A flagged rating counts on the day it was received.
        assert stored.day == stored.received_at.astimezone(app.config["TZ"]).date()


def test_ratings_late_because_offline_not_flagged(app, client, world):
    with app.app_context():
        from admin.models import Kiosk

        kiosk = db.session.get(Kiosk, world.kiosk_a_id)
        kiosk.created_at = datetime.now(timezone.utc) - timedelta(days=30)
        db.session.commit()
    three_days_ago = datetime.now(VN) - timedelta(days=3)
    item = rating(1, created_at=three_days_ago.isoformat())
    post(client, world.token_a, [item])
    with app.app_context():
        stored = db.session.scalars(select(Rating)).one()
        assert stored.clock_flag is False
        assert stored.day == three_days_ago.date()


def test_ratings_from_before_the_kiosk_existed_flagged(app, client, world):
    item = rating(1, created_at="1970-01-01T00:00:42+00:00")
    post(client, world.token_a, [item])
    with app.app_context():
        assert db.session.scalar(select(Rating.clock_flag)) is True


def test_ratings_after_heartbeat_with_wrong_clock_flagged(app, client, world):
    wrong = datetime.now(VN) - timedelta(hours=2)
    hb = client.post("/api/v1/kiosk/heartbeat", json={"clock": wrong.isoformat()}, headers=auth(world.token_a))
    assert hb.status_code == 200
    item = rating(1, created_at=(wrong + timedelta(seconds=5)).isoformat())
    post(client, world.token_a, [item])
    with app.app_context():
        assert db.session.scalar(select(Rating.clock_flag)) is True


def test_ratings_daily_counts_follow_ratings(app, client, world):
    # Ten days ago at 23:30 UTC, 06:30 the next day in Vietnam: inside the world's duty period whatever today is.
    day = (datetime.now(timezone.utc) - timedelta(days=10)).replace(hour=23, minute=30, second=0, microsecond=0)
    in_vietnam = day.astimezone(VN).date().isoformat()
    with app.app_context():
        from admin.models import Kiosk

        db.session.get(Kiosk, world.kiosk_a_id).created_at = day - timedelta(days=1)
        db.session.commit()
    items = [
        rating(1, score=3, officer_id=world.officer_a_id, created_at=day.isoformat()),
        rating(2, score=3, officer_id=world.officer_a_id, created_at=day.isoformat()),
        rating(3, score=1, officer_id=world.officer_a_id, reasons=["slow"], created_at=day.isoformat()),
        rating(4, score=2, created_at=day.isoformat()),
    ]
    post(client, world.token_a, items)
    with app.app_context():
        counts = {
            (c.day.isoformat(), c.officer_id, c.score): c.count
            for c in db.session.scalars(select(DailyCount))
        }
        reasons = [(c.officer_id, c.reason_code, c.count) for c in db.session.scalars(select(DailyReasonCount))]
    assert counts == {
        (in_vietnam, world.officer_a_id, 3): 2,
        (in_vietnam, world.officer_a_id, 1): 1,
        (in_vietnam, 0, 2): 1,
    }
    assert reasons == [(world.officer_a_id, "slow", 1)]


def test_ratings_failure_midway_stores_nothing(app, client, world, monkeypatch):
    import admin.api.rating_store

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # Runs after the ratings, their reasons and counts are written, on both databases.
    monkeypatch.setattr(admin.api.rating_store, "_record_officers_not_on_duty", broken)
    res = post(client, world.token_a, [rating(1, reasons=["slow"])])
    assert res.status_code == 500
    assert res.get_json()["error"]["code"] == "internal_error"
    assert count(app) == 0
    assert count(app, RatingReason) == 0


def test_ratings_get_is_405_json(client, world):
    res = client.get("/api/v1/ratings", headers=auth(world.token_a))
    assert res.status_code == 405
    assert res.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in res.headers["Allow"]


def test_integrity_complaint_sent_twice_is_filed_once_and_ordinary_ratings_not_at_all(app, world, client):
    from admin.cases import file_complaints
    from admin.models import Case, ComplaintIntake

    bribe = rating(1, score=1, officer_id=world.officer_a_id, reasons=["bribe", "slow"])
    slow = rating(2, score=1, officer_id=world.officer_a_id, reasons=["slow"])
    for _ in range(2):
        assert post(client, world.token_a, [bribe, slow]).status_code == 200
    assert count(app, ComplaintIntake) == 1
    with app.app_context():
        assert file_complaints() == 1
        case = db.session.scalars(select(Case)).one()
        assert (case.officer_id, case.complaints) == (world.officer_a_id, 1)
    assert count(app, ComplaintIntake) == 0
