"""kiosk/uploader.py: draining the outbox into the real central service, and waiting well when it cannot."""
from __future__ import annotations

import json
import time
import uuid
from typing import Iterator

import pytest

from kiosk.central import Central
from kiosk.service import REASONS_GRACE_S, KioskService, local_now_iso
from kiosk.uploader import Uploader, backoff_s

from ..ports_support import free_port
from .kiosk_support import RefusingProxy, wait_for


@pytest.fixture
def kiosk(central, tmp_path) -> Iterator[tuple[KioskService, Uploader, int]]:
    """A kiosk of its own on the running central service: its service, uploader (not started) and id."""
    token, kiosk_id = central.add_kiosk(f"Uploader {uuid.uuid4().hex[:6]}")
    service = KioskService.open(tmp_path / "kiosk")
    uploader = Uploader(service, Central(central.url, token), retry_max_s=2)
    yield service, uploader, kiosk_id
    uploader.stop()
    uploader.central.close()
    service.close()


def queue_ratings(service: KioskService, n: int, **fields) -> None:
    for _ in range(n):
        service.outbox.add_rating(score=fields.get("score", 3), officer_id=None, source="button",
                                  created_at="2026-11-27T09:15:02.000+07:00", sendable_at=0, awaiting_reasons=False)


def heartbeat_on_central(central, kiosk_id: int) -> dict:
    [(raw,)] = central.query("SELECT last_heartbeat FROM kiosks WHERE id = ?", (kiosk_id,))
    return json.loads(raw) if raw else {}


def test_uploader_first_round_takes_config_photos_and_sends(kiosk, central):
    service, uploader, kiosk_id = kiosk
    assert service.screen_state()["view"] == "waiting"
    uploader.round()
    state = service.screen_state()
    assert state["view"] == "idle" and state["desk"]["id"] == 1
    assert state["officer"] is None or state["officer"]["photo_url"].startswith(f"/photos/{state['officer']['id']}?v=")
    listed = service.config_snapshot()[0]["officers"]
    assert all(service.photo_path(o["id"]) is not None for o in listed if o["photo_url"])
    assert service.press(3, "touch").recorded and service.press(2, "button").recorded
    uploader.round()
    assert central.rating_counts(kiosk_id) == (2, 2, 2)
    assert service.pending_count() == 0
    meta = service.outbox.all_meta()
    assert meta["central"] == "ok"
    assert {"last_upload", "last_config", "last_heartbeat"} <= set(meta)
    assert abs(meta["clock_offset_s"]) < 5
    beat = heartbeat_on_central(central, kiosk_id)
    assert beat["version"] == "0.1.0" and beat["outbox_depth"] == 0 and beat["last_seq"] == 0


def test_uploader_batches_of_500_oldest_first(kiosk, central):
    service, uploader, kiosk_id = kiosk
    queue_ratings(service, 1203)
    sent: list[list[int]] = []
    post = uploader.central.post_ratings
    uploader.central.post_ratings = lambda items: (sent.append([i["seq"] for i in items]), post(items))[1]
    uploader.round()
    assert [len(b) for b in sent] == [500, 500, 203]
    assert sum(sent, []) == list(range(1, 1204))
    assert central.rating_counts(kiosk_id) == (1203, 1203, 1203)
    assert service.pending_count() == 0


def test_uploader_rejected_rating_set_aside_and_reported(kiosk, central):
    service, uploader, kiosk_id = kiosk
    queue_ratings(service, 2)
    service.outbox.add_rating(score=1, officer_id=None, source="touch", created_at="not a time",
                              sendable_at=0, awaiting_reasons=False)
    uploader.round()
    assert central.rating_counts(kiosk_id)[0] == 2
    [rejected] = service.outbox.rejected_ratings()
    assert rejected["seq"] == 3 and rejected["error"]["code"] == "invalid_time"
    uploader._next_heartbeat = 0
    uploader.round()
    assert heartbeat_on_central(central, kiosk_id)["rejected"] == 1
    assert service.outbox.counts()["rejected"] == 1, "never silently deleted"


def test_uploader_splits_a_request_the_server_refuses_to_find_the_bad_item(kiosk, central):
    service, uploader, kiosk_id = kiosk
    queue_ratings(service, 5)
    # An id that is no UUID makes the whole request 400 on the central service.
    service.outbox._write(lambda conn: conn.execute("UPDATE ratings SET uuid = 'not-a-uuid' WHERE seq = 4"))
    uploader.round()
    assert central.rating_counts(kiosk_id)[0] == 4
    [rejected] = service.outbox.rejected_ratings()
    assert rejected["seq"] == 4 and rejected["error"]["code"] == "invalid_id"
    assert service.pending_count() == 0


def test_uploader_wrong_token_deletes_nothing(central, tmp_path):
    service = KioskService.open(tmp_path)
    queue_ratings(service, 3)
    uploader = Uploader(service, Central(central.url, "wrong-token"), retry_max_s=4)
    delay = uploader.round()
    assert 0 < delay <= 4
    assert service.outbox.get_meta("central") == "unauthorized"
    assert service.pending_count() == 3
    service.close()


def test_uploader_central_down_backs_off_up_to_the_cap(tmp_path):
    service = KioskService.open(tmp_path)
    uploader = Uploader(service, Central(f"http://127.0.0.1:{free_port()}", "t", timeout_s=1),
                        retry_max_s=8, rng=lambda: 1.0)
    delays = [uploader.round() for _ in range(6)]
    assert delays == [1, 2, 4, 8, 8, 8]
    assert service.outbox.get_meta("central") == "unreachable"
    assert "ConnectionError" in service.outbox.get_meta("central_error")
    service.close()


def test_uploader_honours_retry_after(canned, tmp_path):
    canned.answer(503, {"error": {"code": "maintenance", "message": "Back soon."}}, **{"Retry-After": "45"})
    service = KioskService.open(tmp_path)
    uploader = Uploader(service, Central(canned.url, "t"), retry_max_s=2)
    assert uploader.round() == 45
    canned.answer(429, {"error": {"code": "slow_down", "message": "Slow down."}}, **{"Retry-After": "99999"})
    assert uploader.round() == 600, "at most ten minutes, whatever the server says"
    service.close()


def test_uploader_partial_answer_settles_what_it_names_and_waits(canned, tmp_path):
    from .kiosk_support import central_config

    service = KioskService.open(tmp_path)
    service.apply_config(central_config(), etag="test-1")
    queue_ratings(service, 3)
    first = service.outbox.sendable_ratings(9e12, 1)[0]["id"]
    canned.answer(200, {"accepted": [first], "duplicates": [], "rejected": []})
    uploader = Uploader(service, Central(canned.url, "t"), retry_max_s=2)
    uploader._config_stale = False
    assert uploader.round() <= 2
    assert service.pending_count() == 2
    assert "left 2 of 3 items unanswered" in service.outbox.get_meta("central_error")
    service.close()


def test_uploader_bad_config_keeps_the_old_one(canned, tmp_path):
    from .kiosk_support import central_config

    service = KioskService.open(tmp_path)
    service.apply_config(central_config())
    canned.answer(200, {"config_version": "x", "scale": "three"}, ETag='"x"')
    uploader = Uploader(service, Central(canned.url, "t"), retry_max_s=2)
    assert uploader.round() <= 2
    assert service.config_snapshot()[0]["config_version"] == "test-1"
    assert "cannot be used" in service.outbox.get_meta("central_error")
    service.close()


def test_uploader_duty_events_sent_and_config_follows(kiosk, central):
    service, uploader, _ = kiosk
    uploader.round()
    officer = service.config_snapshot()[0]["officers"][-1]
    # A second ago, whatever today is: the central service applies it as the desk's duty from now on.
    service.outbox.add_duty_event(officer["id"], "sign_in", local_now_iso(time.time() - 1),
                                  {"duty": {"officer_id": officer["id"], "config_on_duty": "before"}})
    assert service.on_duty_officer_id() == officer["id"]
    uploader._next_heartbeat = 0
    uploader.round()
    assert service.outbox.sendable_duty_events(10) == []
    config = service.config_snapshot()[0]
    periods = central.query("SELECT officer_id, starts_at, ends_at, origin FROM duty_periods WHERE desk_id = 1 "
                            "ORDER BY starts_at DESC, id DESC LIMIT 4")
    assert config["on_duty"]["officer_id"] == officer["id"], f"the heartbeat saw a new config_version: {periods}"
    assert service.outbox.get_meta("duty") is None, "the central config now says who is on duty"


def test_uploader_a_sign_in_made_while_ratings_go_out_arrives_before_the_ratings_after_it(kiosk, central):
    """An officer signs in and is rated while a backlog uploads: the sign-in goes before the next batch.

    Sent after it, the rating would reach a central service that does not
    know the officer is on duty, and be kept for nobody.
    """
    service, uploader, kiosk_id = kiosk
    uploader.round()
    officer_id = service.config_snapshot()[0]["officers"][-1]["id"]
    queue_ratings(service, 600)
    post = uploader.central.post_ratings
    calls: list[str] = []

    def post_while_the_desk_works(items):
        if not calls:
            service.outbox.add_duty_event(officer_id, "sign_in", local_now_iso(time.time() - 1),
                                          {"duty": {"officer_id": officer_id, "config_on_duty": "before"}})
            service.outbox.add_rating(score=3, officer_id=officer_id, source="button",
                                      created_at=local_now_iso(time.time()), sendable_at=0, awaiting_reasons=False)
        calls.append(f"ratings {items[0]['seq']}-{items[-1]['seq']}")
        return post(items)

    post_duty = uploader.central.post_duty
    uploader.central.post_ratings = post_while_the_desk_works
    uploader.central.post_duty = lambda items: (calls.append("duty"), post_duty(items))[1]
    uploader.round()
    assert calls == ["ratings 1-500", "duty", "ratings 501-601"]
    assert central.query("SELECT officer_id FROM ratings WHERE kiosk_id = ? AND seq = 601", (kiosk_id,)) == [
        (officer_id,)
    ]


def test_uploader_a_sign_in_refused_as_on_duty_elsewhere_stops_showing_the_officer(kiosk, central):
    """The officer is on duty at another desk: the central service refuses the sign-in, the kiosk lets it go."""
    from datetime import datetime, timedelta, timezone

    from werkzeug.security import generate_password_hash

    from admin import create_app
    from admin.db import db, write_transaction
    from admin.duty import schedule
    from admin.models import Desk, DutyPeriod, Officer

    service, uploader, _ = kiosk
    uploader.round()
    config = service.config_snapshot()[0]
    [(unit_id,)] = central.query("SELECT unit_id FROM desks WHERE id = 1")
    on_duty_here = (config["on_duty"] or {}).get("officer_id")
    officer_id = next(o["id"] for o in config["officers"] if o["id"] != on_duty_here)
    now = datetime.now(timezone.utc)
    app = create_app({"SQLALCHEMY_DATABASE_URI": central.env["ADMIN_DATABASE_URL"], "SECRET_KEY": "kiosk-tests"})
    with app.app_context():
        write_transaction()
        # A desk of its own beside ours, where the officer is on duty now.
        other_desk = Desk(unit_id=unit_id, name="Quầy bên cạnh / Next desk")
        db.session.add(other_desk)
        db.session.flush()
        period = schedule(other_desk.id, officer_id, now - timedelta(minutes=5), now + timedelta(minutes=5))
        db.session.get(Officer, officer_id).pin_hash = generate_password_hash("2468")
        db.session.commit()
        period_id, desk_id = period.id, other_desk.id
        db.engine.dispose()
    try:
        uploader._next_heartbeat = 0
        uploader.round()
        assert service.sign_in(officer_id, "2468").ok and service.on_duty_officer_id() == officer_id
        uploader.round()
        [event] = service.outbox.rejected_duty_events()
        assert event["error"]["code"] == "on_duty_elsewhere"
        assert service.on_duty_officer_id() == on_duty_here
        assert central.query("SELECT officer_id FROM duty_periods WHERE id = ?", (period_id,)) == [(officer_id,)]
    finally:
        with app.app_context():
            write_transaction()
            db.session.delete(db.session.get(DutyPeriod, period_id))
            db.session.delete(db.session.get(Desk, desk_id))
            db.session.commit()
            db.engine.dispose()


def test_uploader_thread_sends_soon_after_a_press_and_stops(kiosk, central):
    service, uploader, kiosk_id = kiosk
    uploader.start()
    wait_for(lambda: service.screen_state()["view"] == "idle", 30, "the first config")
    assert service.press(3, "touch").recorded
    wait_for(lambda: central.rating_counts(kiosk_id)[0] == 1, 10, "the rating on the central service")
    uploader.stop()
    assert not uploader.is_alive()


def test_uploader_waits_for_a_low_score_reasons_timeout(kiosk):
    service, uploader, _ = kiosk
    uploader.retry_max_s = 60
    uploader.round()
    assert service.press(1, "touch").ask_reasons
    delay = uploader.round()
    # The screen's time for the reasons, and the grace for a screen that must ask again.
    timeout = service.config_snapshot()[0]["settings"]["reasons_timeout_s"] + REASONS_GRACE_S
    assert timeout - 5 < delay <= timeout + 0.1
    assert service.pending_count() == 1


@pytest.mark.parametrize("failures, cap, rng, expected", [
    (1, 60, 0.0, 0.5), (1, 60, 1.0, 1.0), (3, 60, 1.0, 4.0), (7, 60, 1.0, 60.0), (500, 60, 0.5, 45.0),
])
def test_backoff_doubles_with_jitter_up_to_cap(failures, cap, rng, expected):
    assert backoff_s(failures, cap, lambda: rng) == expected


@pytest.fixture
def behind_proxy(central, tmp_path) -> Iterator[tuple[KioskService, Uploader, int, RefusingProxy]]:
    """A kiosk of its own whose requests go through a proxy to the real central service."""
    token, kiosk_id = central.add_kiosk(f"Proxy {uuid.uuid4().hex[:6]}")
    proxy = RefusingProxy(central.url)
    service = KioskService.open(tmp_path / "kiosk")
    uploader = Uploader(service, Central(proxy.url, token), retry_max_s=2, rng=lambda: 1.0)
    yield service, uploader, kiosk_id, proxy
    uploader.stop()
    uploader.central.close()
    service.close()
    proxy.close()


NGINX_413 = (413, b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413"
                  b" Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
             "text/html")
PORTAL_400 = (400, b"<!doctype html><title>Wi-Fi</title><p>Please sign in to the network.", "text/html; charset=utf-8")
NOT_THE_SHAPE = (400, b'{"status": "error", "reason": "blocked by policy"}', "application/json")
BAD_GATEWAY = (502, b"<html><h1>502 Bad Gateway</h1></html>", "text/html")


@pytest.mark.parametrize("refusal", [NGINX_413, PORTAL_400, NOT_THE_SHAPE, BAD_GATEWAY],
                         ids=["nginx-413", "portal-400", "json-not-the-shape", "502"])
def test_uploader_answer_not_the_protocols_keeps_every_rating(behind_proxy, central, refusal):
    service, uploader, kiosk_id, proxy = behind_proxy
    uploader.round()
    queue_ratings(service, 7)
    proxy.refusal = refusal
    delays = [uploader.round() for _ in range(3)]
    assert service.outbox.rejected_ratings() == [] and service.pending_count() == 7
    assert delays == [1, 2, 2], "a transport failure: backoff, up to retry_max_s"
    assert proxy.refused == 3, "one request a round: no halving on a page that names no rating"
    assert service.outbox.get_meta("central") == "unreachable"
    status = refusal[0]
    assert f"HTTP {status}" in service.outbox.get_meta("central_error")
    # The heartbeat went through meanwhile and said why nothing arrives.
    uploader._next_heartbeat = 0
    uploader.round()
    assert f"HTTP {status}" in proxy.heartbeats[-1]["upload_error"]
    assert proxy.heartbeats[-1]["outbox_depth"] == 7
    proxy.refusal = None
    uploader._next_heartbeat = 0
    uploader.round()
    assert central.rating_counts(kiosk_id) == (7, 7, 7)
    assert service.pending_count() == 0 and proxy.heartbeats[-1]["upload_error"] is None


def test_uploader_a_413_for_one_rating_keeps_it(behind_proxy, central):
    service, uploader, kiosk_id, proxy = behind_proxy
    uploader.round()
    queue_ratings(service, 3)
    # The protocol's own JSON 413 (as deploy/nginx answers it), from a proxy with a smaller limit:
    # halving goes down to one rating, which is no fault of that rating's.
    proxy.refusal = (413, json.dumps({"error": {"code": "too_large", "message": "The body is over 1 MiB."}}).encode(),
                     "application/json")
    uploader.round()
    assert service.outbox.rejected_ratings() == [] and service.pending_count() == 3
    assert proxy.refused == 2, "3, then 1 (halved), then kept"
    assert "too_large" not in json.dumps(service.outbox.rejected_duty_events())
    assert "it is kept and sent again later" in service.outbox.get_meta("central_error")
    proxy.refusal = None
    uploader.round()
    assert central.rating_counts(kiosk_id) == (3, 3, 3)


def test_uploader_sign_ins_kept_through_a_proxys_page(behind_proxy, central):
    service, uploader, _, proxy = behind_proxy
    uploader.round()
    officer = service.config_snapshot()[0]["officers"][-1]
    service.outbox.add_duty_event(officer["id"], "sign_in", local_now_iso(time.time() - 1),
                                  {"duty": {"officer_id": officer["id"], "config_on_duty": "before"}})
    queue_ratings(service, 2)
    proxy.paths = ("/api/v1/kiosk/duty", "/api/v1/ratings")
    proxy.refusal = PORTAL_400
    uploader.round()
    assert proxy.refused == 1, "the duty events' page ends the round; the ratings wait"
    assert service.outbox.rejected_duty_events() == [] and service.outbox.counts()["duty_pending"] == 1
    proxy.refusal = None
    uploader.round()
    assert service.outbox.counts() == {"outbox_depth": 0, "rejected": 0, "duty_pending": 0, "duty_rejected": 0}
