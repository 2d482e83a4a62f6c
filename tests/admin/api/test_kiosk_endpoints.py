"""The kiosk API besides ratings: config, photos, duty events, heartbeat, errors."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from admin.db import db, utcnow
from admin.models import DutyEvent, DutyPeriod, Kiosk, Officer, OfficerPhoto, Setting

VN = timezone(timedelta(hours=7))
PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_config_has_every_field_of_the_contract(client, world):
    res = client.get("/api/v1/kiosk/config", headers=auth(world.token_a))
    assert res.status_code == 200
    body = res.get_json()
    assert set(body) >= {"config_version", "server_time", "kiosk", "desk", "scale", "reasons", "officers", "on_duty", "settings"}
    assert body["kiosk"] == {"id": world.kiosk_a_id, "name": "Mai Trung — quầy 1"}
    assert body["desk"] == {
        "id": world.desk_a_id,
        "name": "Quầy 1 — Đất đai",
        "unit": {"id": world.commune_a_id, "name": "UBND xã Mai Trung"},
    }
    assert body["scale"]["satisfied_from"] == 2
    assert body["scale"]["ask_reasons_at_or_below"] == 1
    assert [(lv["score"], lv["label"]["vi"]) for lv in body["scale"]["levels"]] == [
        (1, "Không hài lòng"),
        (2, "Hài lòng"),
        (3, "Rất hài lòng"),
    ]
    codes = {r["code"]: r["integrity"] for r in body["reasons"]}
    assert codes == {
        "slow": False, "attitude": False, "unclear": False, "extra_papers": False,
        "harassment": True, "bribe": True, "other": False,
    }
    assert {o["id"] for o in body["officers"]} == {world.officer_a_id, world.officer_a2_id}
    assert body["on_duty"]["officer_id"] == world.officer_a_id
    assert body["settings"] == {
        "cooldown_s": 5, "thanks_s": 4, "reasons_timeout_s": 20, "heartbeat_s": 60, "languages": ["vi", "en"],
        "accept_without_officer": False, "reasons_after_every_score": True, "tracking_s": 30,
    }
    assert body["server_time"].endswith("Z")
    assert res.headers["ETag"].strip('"') == body["config_version"]


def test_config_public_board_url_is_null_without_admin_public_url(client, world):
    body = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert body["public_board_url"] is None


def test_config_public_board_url_is_the_board_under_admin_public_url(app, client, world):
    app.config["PUBLIC_URL"] = "https://danhgia.example.gov.vn/"
    body = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert body["public_board_url"] == "https://danhgia.example.gov.vn/cong-khai"


def test_config_etag_gives_304_until_something_changes(app, client, world):
    first = client.get("/api/v1/kiosk/config", headers=auth(world.token_a))
    etag = first.headers["ETag"]
    again = client.get("/api/v1/kiosk/config", headers={**auth(world.token_a), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    with app.app_context():
        db.session.add(Setting(key="kiosk", value={"cooldown_s": 0, "thanks_s": 0}))
        db.session.commit()
    changed = client.get("/api/v1/kiosk/config", headers={**auth(world.token_a), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["settings"]["cooldown_s"] == 0
    assert changed.headers["ETag"] != etag


def test_config_on_duty_null_when_nobody_scheduled(client, world):
    body = client.get("/api/v1/kiosk/config", headers=auth(world.token_b)).get_json()
    assert body["on_duty"] is None
    assert [o["code"] for o in body["officers"]] == ["HT-001"]


def test_config_without_token_is_401(client, world):
    res = client.get("/api/v1/kiosk/config")
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "unauthorized"


def add_photo(app, officer_id: int) -> None:
    with app.app_context():
        db.session.add(OfficerPhoto(officer_id=officer_id, content_type="image/png", data=PNG_1PX))
        db.session.commit()


def test_photo_served_for_listed_officer(app, client, world):
    add_photo(app, world.officer_a_id)
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    url = next(o["photo_url"] for o in config["officers"] if o["id"] == world.officer_a_id)
    assert url.startswith(f"/api/v1/officers/{world.officer_a_id}/photo")
    res = client.get(url, headers=auth(world.token_a))
    assert res.status_code == 200
    assert res.mimetype == "image/png"
    assert res.data == PNG_1PX
    cached = client.get(url, headers={**auth(world.token_a), "If-None-Match": res.headers["ETag"]})
    assert cached.status_code == 304


def test_photo_of_officer_not_in_config_is_404(app, client, world):
    add_photo(app, world.officer_b_id)
    res = client.get(f"/api/v1/officers/{world.officer_b_id}/photo", headers=auth(world.token_a))
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "not_found"
    # Listed officer without a photo.
    res = client.get(f"/api/v1/officers/{world.officer_a2_id}/photo", headers=auth(world.token_a))
    assert res.status_code == 404


def duty_event(officer_id, action="sign_in", at=None, **extra):
    at = at or datetime.now(VN)
    return {"id": str(uuid.uuid4()), "officer_id": officer_id, "action": action, "at": at.isoformat(), **extra}


def test_duty_sign_in_puts_officer_on_duty(app, client, world):
    event = duty_event(world.officer_a2_id, at=datetime.now(VN) - timedelta(seconds=30))
    res = client.post("/api/v1/kiosk/duty", json={"events": [event]}, headers=auth(world.token_a))
    assert res.get_json() == {"accepted": [event["id"]], "duplicates": [], "rejected": []}
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert config["on_duty"]["officer_id"] == world.officer_a2_id
    with app.app_context():
        period = db.session.scalars(select(DutyPeriod).where(DutyPeriod.officer_id == world.officer_a2_id)).one()
        assert period.origin == "kiosk"
        assert period.ends_at is None


def test_duty_sign_out_leaves_desk_empty(client, world):
    start = datetime.now(VN) - timedelta(minutes=5)
    events = [
        duty_event(world.officer_a2_id, "sign_out", start + timedelta(minutes=1)),
        duty_event(world.officer_a2_id, "sign_in", start),
    ]
    body = client.post("/api/v1/kiosk/duty", json={"events": events}, headers=auth(world.token_a)).get_json()
    assert len(body["accepted"]) == 2
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert config["on_duty"] is None


def test_duty_event_sent_twice_counted_once_and_conflict_on_change(app, client, world):
    event = duty_event(world.officer_a2_id)
    client.post("/api/v1/kiosk/duty", json={"events": [event]}, headers=auth(world.token_a))
    again = client.post("/api/v1/kiosk/duty", json={"events": [event]}, headers=auth(world.token_a)).get_json()
    assert again["duplicates"] == [event["id"]]
    changed = {**event, "action": "sign_out"}
    body = client.post("/api/v1/kiosk/duty", json={"events": [changed]}, headers=auth(world.token_a)).get_json()
    assert body["rejected"][0]["error"]["code"] == "conflict"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DutyEvent)) == 1


@pytest.mark.parametrize(
    "change, code",
    [
        ({"officer_id": 999}, "unknown_officer"),
        ({"officer_id": "1"}, "unknown_officer"),
        ({"officer_id": []}, "unknown_officer"),
        ({"action": ["sign_in"]}, "invalid_action"),
        ({"action": "lunch"}, "invalid_action"),
        ({"at": "08:00"}, "invalid_time"),
        ({"at": "2026-11-27T08:00:05"}, "invalid_time"),
    ],
)
def test_duty_bad_event_rejected_others_applied(app, client, world, change, code):
    good = duty_event(world.officer_a2_id)
    bad = {**duty_event(world.officer_a_id), **change}
    body = client.post("/api/v1/kiosk/duty", json={"events": [bad, good]}, headers=auth(world.token_a)).get_json()
    assert body["accepted"] == [good["id"]]
    assert body["rejected"][0]["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DutyEvent)) == 1


def test_duty_late_sign_in_never_overlaps_a_later_period(app, client, world):
    now = datetime.now(VN)
    later = duty_event(world.officer_a2_id, at=now - timedelta(minutes=10))
    client.post("/api/v1/kiosk/duty", json={"events": [later]}, headers=auth(world.token_a))
    late = duty_event(world.officer_a_id, at=now - timedelta(minutes=30))
    client.post("/api/v1/kiosk/duty", json={"events": [late]}, headers=auth(world.token_a))
    with app.app_context():
        periods = db.session.scalars(
            select(DutyPeriod).where(DutyPeriod.desk_id == world.desk_a_id).order_by(DutyPeriod.starts_at)
        ).all()
        spans = [(p.officer_id, p.starts_at, p.ends_at) for p in periods]
    for (_, _, end), (_, next_start, _) in zip(spans, spans[1:]):
        assert end is not None and end <= next_start
    assert spans[-1][0] == world.officer_a2_id and spans[-1][2] is None


def test_duty_event_from_a_clock_in_the_future_takes_effect_now(app, client, world):
    event = duty_event(world.officer_a2_id, at=datetime.now(VN) + timedelta(days=2))
    body = client.post("/api/v1/kiosk/duty", json={"events": [event]}, headers=auth(world.token_a)).get_json()
    assert body["accepted"] == [event["id"]]
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert config["on_duty"]["officer_id"] == world.officer_a2_id


def test_duty_officer_of_other_unit_rejected(client, world):
    event = duty_event(world.officer_b_id)
    body = client.post("/api/v1/kiosk/duty", json={"events": [event]}, headers=auth(world.token_a)).get_json()
    assert body["rejected"][0]["error"]["code"] == "unknown_officer"


@pytest.mark.parametrize(
    "data, status",
    [(b"nope", 400), (b'{"events": "x"}', 400), (b'{"events": []}', 422), (b'{"events": [{"officer_id": 1}]}', 400)],
)
def test_duty_malformed_request_stores_nothing(app, client, world, data, status):
    res = client.post(
        "/api/v1/kiosk/duty", data=data, headers={**auth(world.token_a), "Content-Type": "application/json"}
    )
    assert res.status_code == status
    assert "error" in res.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DutyEvent)) == 0


HEARTBEAT = {
    "version": "0.3.0",
    "outbox_depth": 4,
    "rejected": 1,
    "last_seq": 1042,
    "uptime_s": 3600,
    "on_duty_officer_id": None,
}


def test_heartbeat_records_state_and_answers_config_version(app, client, world):
    clock = datetime.now(VN) + timedelta(seconds=30)
    res = client.post("/api/v1/kiosk/heartbeat", json={**HEARTBEAT, "clock": clock.isoformat()}, headers=auth(world.token_a))
    assert res.status_code == 200
    body = res.get_json()
    config = client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).get_json()
    assert body["config_version"] == config["config_version"]
    assert body["server_time"].endswith("Z")
    with app.app_context():
        kiosk = db.session.get(Kiosk, world.kiosk_a_id)
        assert kiosk.last_heartbeat["outbox_depth"] == 4
        assert kiosk.last_heartbeat["version"] == "0.3.0"
        assert kiosk.last_seen_at > utcnow() - timedelta(minutes=1)
        assert 25 < kiosk.clock_offset_s < 35


@pytest.mark.parametrize(
    "change, status",
    [
        ({"outbox_depth": "4"}, 400),
        ({"outbox_depth": True}, 400),
        ({"version": 3}, 400),
        ({"clock": "yesterday"}, 400),
        ({"rejected": -1}, 422),
        ({"uptime_s": float("nan")}, 400),
        ({"uptime_s": float("inf")}, 400),
        ({"upload_error": 502}, 400),
        ({"upload_error": "x" * 301}, 422),
        ({"outbox_replaced_at": "2026-12-03T21:00:00Z" * 3}, 422),
    ],
)
def test_heartbeat_bad_field_clear_error_and_nothing_stored(app, client, world, change, status):
    res = client.post("/api/v1/kiosk/heartbeat", json={**HEARTBEAT, **change}, headers=auth(world.token_a))
    assert res.status_code == status
    assert res.get_json()["error"]["message"]
    with app.app_context():
        kiosk = db.session.get(Kiosk, world.kiosk_a_id)
        assert kiosk.last_heartbeat is None
        assert kiosk.last_seen_at is None


@pytest.mark.parametrize("body", [HEARTBEAT, {"outbox_depth": "4"}, "not json"], ids=["good", "bad-field", "not-json"])
@pytest.mark.parametrize("token", [None, "unknown", "revoked"])
def test_heartbeat_without_a_valid_token_is_401_whatever_its_body_and_writes_nothing(app, client, world, body, token):
    """The heartbeat's body is read before its token (one statement checks the token and writes): 401 still comes first."""
    from admin.kiosks import revoke

    if token == "revoked":
        with app.app_context():
            revoke(db.session.get(Kiosk, world.kiosk_a_id))
            db.session.commit()
    headers = {} if token is None else auth(world.token_a if token == "revoked" else "x" * 43)
    if isinstance(body, str):
        res = client.post("/api/v1/kiosk/heartbeat", data=body, headers={**headers, "Content-Type": "application/json"})
    else:
        res = client.post("/api/v1/kiosk/heartbeat", json=body, headers=headers)
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "unauthorized"
    assert res.headers["WWW-Authenticate"] == 'Bearer realm="hailong"'
    with app.app_context():
        kiosk = db.session.get(Kiosk, world.kiosk_a_id)
        assert (kiosk.last_heartbeat, kiosk.last_seen_at) == (None, None)


def test_heartbeat_keeps_why_uploads_fail_and_when_the_outbox_was_replaced(app, client, world):
    """A proxy's page in answer to uploads, and a new outbox, reach the console through the heartbeat."""
    told = {"upload_error": "HTTP 413 <html>Request Entity Too Large</html>"[:300],
            "outbox_replaced_at": "2026-12-03T21:00:00Z"}
    res = client.post("/api/v1/kiosk/heartbeat", json={**HEARTBEAT, **told}, headers=auth(world.token_a))
    assert res.status_code == 200
    with app.app_context():
        assert db.session.get(Kiosk, world.kiosk_a_id).last_heartbeat.items() >= told.items()


def test_heartbeat_config_version_changes_with_officer(app, client, world):
    before = client.post("/api/v1/kiosk/heartbeat", json=HEARTBEAT, headers=auth(world.token_a)).get_json()
    with app.app_context():
        db.session.get(Officer, world.officer_a2_id).title = "Phó chủ tịch"
        db.session.commit()
    after = client.post("/api/v1/kiosk/heartbeat", json=HEARTBEAT, headers=auth(world.token_a)).get_json()
    assert before["config_version"] != after["config_version"]


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("get", "/api/v1/nothing-here", 404, "not_found"),
        ("get", "/api/v2/ratings", 404, "not_found"),
        ("put", "/api/v1/kiosk/config", 405, "method_not_allowed"),
        ("delete", "/api/v1/kiosk/heartbeat", 405, "method_not_allowed"),
        ("get", "/api/v1/kiosk/duty", 405, "method_not_allowed"),
        ("get", "/api/v1/officers/abc/photo", 404, "not_found"),
    ],
)
def test_api_errors_are_json_never_html(client, world, method, path, status, code):
    res = getattr(client, method)(path, headers=auth(world.token_a))
    assert res.status_code == status
    assert res.mimetype == "application/json"
    assert res.get_json()["error"]["code"] == code
    assert b"<html" not in res.data.lower()


def test_rotated_token_replaces_old_one(app, client, world):
    from admin.kiosks import rotate_token

    with app.app_context():
        new = rotate_token(db.session.get(Kiosk, world.kiosk_a_id))
        db.session.commit()
    assert client.get("/api/v1/kiosk/config", headers=auth(world.token_a)).status_code == 401
    assert client.get("/api/v1/kiosk/config", headers=auth(new)).status_code == 200


def test_heartbeat_body_over_1_mib_is_413(client, world):
    res = client.post(
        "/api/v1/kiosk/heartbeat",
        data=io.BytesIO(b'{"version": "' + b"x" * (1024 * 1024) + b'"}'),
        headers={**auth(world.token_a), "Content-Type": "application/json"},
    )
    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "too_large"


def test_client_address_taken_from_proxy_only_when_configured(db_url, tmp_path):
    from flask import request

    from admin import create_app

    from ..conftest import app_config_for

    seen = {}
    for hops in (0, 1):
        app = create_app(app_config_for(db_url, PROXY_HOPS=hops))
        app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
        res = app.test_client().get(
            "/whoami", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        )
        seen[hops] = res.get_data(as_text=True)
    assert seen == {0: "10.0.0.2", 1: "203.0.113.9"}
