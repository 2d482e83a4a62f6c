"""The touch screen's HTTP side (kiosk/screen.py) on the real KioskService and a real SQLite outbox.

Every endpoint is tried with bad input: wrong types, missing fields, huge
bodies, each answered with JSON that has a code and a Vietnamese/English
sentence, and nothing stored. The event stream is read over a real socket
from waitress, to see that events leave at once and are not buffered.
"""
from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import Buttons
from kiosk.config import GpioConfig
from kiosk.screen import MAX_BODY, MAX_STREAMS, create_app
from kiosk.service import KioskService
from kiosk.tracking import lookup_url, qr_svg

from .kiosk_support import PIN_AN, PIN_BINH, central_config, open_service, serving, stored_ratings, wait_for

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d1e5"
    "a50000000049454e44ae426082"
)


@pytest.fixture
def service(tmp_path) -> Iterator[KioskService]:
    """Officer 12 on duty, cool-down 5 s."""
    service = open_service(tmp_path / "kiosk")
    yield service
    service.close()


@pytest.fixture
def client(service):
    return create_app(service).test_client()


def assert_error(response, status: int, code: str | None = None) -> None:
    """A JSON error with ``status``, a snake_case code and a sentence in Vietnamese then English."""
    assert response.status_code == status, response.data
    assert response.is_json
    error = response.get_json()["error"]
    assert re.fullmatch(r"[a-z_]+", error["code"])
    if code is not None:
        assert error["code"] == code
    vi, _, en = error["message"].partition(" / ")
    assert vi and en, error["message"]


def test_screen_page_has_the_hooks_and_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-view="waiting"' in html
    assert 'data-action="send-reasons"' in html
    assert 'data-action="open-pad"' in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    modules = [f"/static/screen/{p.name}" for p in Path(client.application.static_folder, "screen").glob("*.js")]
    assert "/static/screen/main.js" in modules
    for path in (*modules, "/static/screen.css", "/static/favicon.svg"):
        assert client.get(path).status_code == 200
    script = "".join(client.get(path).get_data(as_text=True) for path in modules)
    style = client.get("/static/screen.css").get_data(as_text=True)
    # Addresses elsewhere: in src/href, in CSS url() and @import, or in what the script fetches.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"url\(['\"]?(https?:)?//|@import", style)
    assert "http" not in script


def test_screen_state_is_the_services_without_pin_hashes(client, service):
    state = client.get("/state")
    assert state.status_code == 200
    assert state.headers["Cache-Control"] == "no-store"
    body = state.get_json()
    assert body["view"] == "idle"
    assert body["officer"]["id"] == 12
    assert [o["id"] for o in body["officers"]] == [12, 13]
    assert "pin_hash" not in state.get_data(as_text=True)
    assert body == service.screen_state() | {"cooldown_left_s": body["cooldown_left_s"]}


def test_screen_press_stores_the_rating_before_answering(client, service, tmp_path):
    answer = client.post("/press", json={"score": 3})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["recorded"] is True and body["ask_reasons"] is False and body["ignored"] is None
    assert body["cooldown_left_s"] == 5
    assert [(r["score"], r["source"]) for r in stored_ratings(tmp_path / "kiosk")] == [(3, "touch")]


def test_screen_press_inside_the_cooldown_is_ignored(client, service, tmp_path):
    client.post("/press", json={"score": 2})
    again = client.post("/press", json={"score": 1}).get_json()
    assert again["recorded"] is False and again["ignored"] == "cooldown"
    assert 0 < again["cooldown_left_s"] <= 5
    assert len(stored_ratings(tmp_path / "kiosk")) == 1


def test_screen_press_before_any_config_waits(tmp_path):
    service = KioskService.open(tmp_path / "empty")
    try:
        client = create_app(service).test_client()
        assert client.get("/state").get_json()["view"] == "waiting"
        answer = client.post("/press", json={"score": 3}).get_json()
        assert answer["recorded"] is False and answer["ignored"] == "waiting"
    finally:
        service.close()


@pytest.mark.parametrize(
    "body",
    [{}, {"score": "3"}, {"score": True}, {"score": 3.0}, {"score": None}, {"score": [3]}, [3], "3", 3, None],
)
def test_screen_press_with_a_wrong_shape_is_400(client, service, body, tmp_path):
    assert_error(client.post("/press", data=json.dumps(body), content_type="application/json"), 400)
    assert stored_ratings(tmp_path / "kiosk") == []


@pytest.mark.parametrize("score", [0, -1, 4, 11, 10**30])
def test_screen_press_off_the_scale_is_422(client, service, score, tmp_path):
    assert_error(client.post("/press", json={"score": score}), 422, "bad_score")
    assert stored_ratings(tmp_path / "kiosk") == []


def test_screen_press_malformed_huge_or_not_json_is_refused(client, service, tmp_path):
    assert_error(client.post("/press", data="{score: 3", content_type="application/json"), 400)
    huge = json.dumps({"score": 3, "pad": "x" * MAX_BODY})
    assert_error(client.post("/press", data=huge, content_type="application/json"), 413, "too_large")
    # A form post from another site's page is not JSON: refused before anything is read.
    assert_error(client.post("/press", data={"score": "3"}), 415, "json_required")
    assert_error(client.post("/press", data='{"score": 3}', content_type="text/plain"), 415)
    assert stored_ratings(tmp_path / "kiosk") == []


def test_screen_reasons_are_attached_once(client, service, tmp_path):
    low = client.post("/press", json={"score": 1}).get_json()
    assert low["recorded"] and low["ask_reasons"]
    given = client.post("/reasons", json={"rating_id": low["rating_id"], "reasons": ["slow", "bribe", "slow"]})
    assert given.status_code == 200 and given.get_json() == {"ok": True}
    again = client.post("/reasons", json={"rating_id": low["rating_id"], "reasons": ["other"]})
    assert again.get_json() == {"ok": False}
    assert json.loads(stored_ratings(tmp_path / "kiosk")[0]["reasons"]) == ["slow", "bribe"]


def test_screen_reasons_carry_the_queue_ticket_and_the_comment(client, service, tmp_path):
    low = client.post("/press", json={"score": 1}).get_json()
    given = client.post("/reasons", json={"rating_id": low["rating_id"], "reasons": ["bribe"], "ticket": "A-017",
                                          "comment": "Cán bộ gợi ý nộp thêm tiền"})
    assert given.get_json() == {"ok": True}
    [item] = service.outbox.sendable_ratings(time.time() + 1, 10)
    assert (item["reasons"], item["ticket"], item["comment"]) == (["bribe"], "A-017", "Cán bộ gợi ý nộp thêm tiền")


def test_screen_reasons_unknown_code_or_rating_stores_nothing(client, service, tmp_path):
    low = client.post("/press", json={"score": 1}).get_json()
    unknown = client.post("/reasons", json={"rating_id": low["rating_id"], "reasons": ["slow", "nonsense"]})
    assert unknown.get_json() == {"ok": False}
    missing = client.post("/reasons", json={"rating_id": "7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11", "reasons": []})
    assert missing.get_json() == {"ok": False}
    assert json.loads(stored_ratings(tmp_path / "kiosk")[0]["reasons"]) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reasons": ["slow"]},
        {"rating_id": "x"},
        {"rating_id": 5, "reasons": []},
        {"rating_id": "x", "reasons": "slow"},
        {"rating_id": "x", "reasons": [1, 2]},
        {"rating_id": "x", "reasons": [""]},
        {"rating_id": "", "reasons": []},
        {"rating_id": "x" * 65, "reasons": []},
        {"rating_id": "x", "reasons": ["slow"] * 51},
        ["x", ["slow"]],
        {"rating_id": "x", "reasons": [], "ticket": 17},
        {"rating_id": "x", "reasons": [], "ticket": ""},
        {"rating_id": "x", "reasons": [], "ticket": "A" * 21},
        {"rating_id": "x", "reasons": [], "ticket": "A 17"},
        {"rating_id": "x", "reasons": [], "ticket": "Số 5"},
        {"rating_id": "x", "reasons": [], "comment": 5},
        {"rating_id": "x", "reasons": [], "comment": ""},
        {"rating_id": "x", "reasons": [], "comment": "x" * 201},
        {"rating_id": "x", "reasons": [], "comment": "chậm\u0000"},
        {"rating_id": "x", "reasons": [], "comment": "hai\ndòng"},
    ],
)
def test_screen_reasons_with_a_wrong_shape_is_400(client, body):
    assert_error(client.post("/reasons", data=json.dumps(body), content_type="application/json"), 400)


def test_screen_sign_in_and_out_change_the_officer_shown(client, service):
    wrong = client.post("/duty/sign-in", json={"officer_id": 13, "pin": "0000"}).get_json()
    assert wrong == {"ok": False, "error": "wrong_pin", "locked_for_s": 0, "attempts_left": 4}
    right = client.post("/duty/sign-in", json={"officer_id": 13, "pin": PIN_BINH}).get_json()
    assert right["ok"] is True and right["error"] is None
    assert client.get("/state").get_json()["officer"]["name"] == "Trần Thị Bình"
    out = client.post("/duty/sign-out", json={"pin": PIN_BINH}).get_json()
    assert out["ok"] is True
    assert client.get("/state").get_json()["view"] == "closed"
    nobody = client.post("/duty/sign-out", json={"pin": PIN_AN}).get_json()
    assert nobody["ok"] is False and nobody["error"] == "nobody_on_duty"


def test_screen_five_wrong_pins_lock_the_pad(client, service):
    for left in (4, 3, 2, 1):
        answer = client.post("/duty/sign-in", json={"officer_id": 12, "pin": "1111"}).get_json()
        assert answer["error"] == "wrong_pin" and answer["attempts_left"] == left
    fifth = client.post("/duty/sign-in", json={"officer_id": 12, "pin": "1111"}).get_json()
    assert fifth["error"] == "locked" and fifth["locked_for_s"] == 300
    right = client.post("/duty/sign-in", json={"officer_id": 12, "pin": PIN_AN}).get_json()
    assert right["ok"] is False and right["error"] == "locked"
    assert 0 < client.get("/state").get_json()["pin_locked_for_s"] <= 300


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/duty/sign-in", {}, 400),
        ("/duty/sign-in", {"officer_id": 12}, 400),
        ("/duty/sign-in", {"pin": PIN_AN}, 400),
        ("/duty/sign-in", {"officer_id": "12", "pin": PIN_AN}, 400),
        ("/duty/sign-in", {"officer_id": True, "pin": PIN_AN}, 400),
        ("/duty/sign-in", {"officer_id": 12, "pin": 1234}, 400),
        ("/duty/sign-in", {"officer_id": 12, "pin": "12a4"}, 400),
        ("/duty/sign-in", {"officer_id": 12, "pin": "١٢٣٤"}, 400),
        ("/duty/sign-in", {"officer_id": 12, "pin": "1" * 13}, 400),
        ("/duty/sign-in", {"officer_id": 12, "pin": ""}, 400),
        ("/duty/sign-in", {"officer_id": 0, "pin": PIN_AN}, 422),
        ("/duty/sign-in", {"officer_id": 2**70, "pin": PIN_AN}, 422),
        ("/duty/sign-out", {}, 400),
        ("/duty/sign-out", {"pin": None}, 400),
        ("/duty/sign-out", {"pin": ["1234"]}, 400),
        ("/duty/sign-out", "1234", 400),
    ],
)
def test_screen_duty_with_bad_input_is_refused_and_counts_no_attempt(client, service, path, body, status):
    assert_error(client.post(path, data=json.dumps(body), content_type="application/json"), status)
    # A malformed request is not a guess at the PIN.
    assert service.outbox.get_meta("pin", {}).get("failures", 0) == 0
    assert client.get("/state").get_json()["officer"]["id"] == 12


def test_screen_duty_huge_body_is_413(client):
    huge = json.dumps({"officer_id": 12, "pin": "1" * (MAX_BODY * 4)})
    assert_error(client.post("/duty/sign-in", data=huge, content_type="application/json"), 413)


def test_screen_photo_is_the_cached_file(client, service):
    service.store_photo(12, "/api/v1/officers/12/photo?v=1", PNG, "image/png")
    url = client.get("/state").get_json()["officer"]["photo_url"]
    assert url.startswith("/photos/12?v=")
    photo = client.get(url)
    assert photo.status_code == 200 and photo.data == PNG
    assert photo.mimetype == "image/png"
    assert_error(client.get("/photos/13"), 404, "no_photo")
    assert_error(client.get("/photos/99999999999999999999999"), 404)
    assert_error(client.get("/photos/abc"), 404)


def test_screen_unknown_address_or_method_is_json(client):
    assert_error(client.get("/nowhere"), 404, "not_found")
    assert_error(client.get("/press"), 405, "method_not_allowed")
    assert_error(client.put("/reasons", json={}), 405)


def test_screen_dev_presses_the_mock_button(tmp_path, service):
    factory = MockFactory()
    buttons = Buttons(service, GpioConfig(buttons=[17, 27, 22]), pin_factory=factory)
    try:
        client = create_app(service, buttons=buttons).test_client()
        page = client.get("/dev")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'data-dev-score="3"' in html and "Rất hài lòng" in html
        assert client.post("/dev/press/3").get_json() == {"pressed": 3}
        assert [(r["score"], r["source"]) for r in stored_ratings(tmp_path / "kiosk")] == [(3, "button")]
        assert_error(client.post("/dev/press/4"), 404, "no_button")
        assert_error(client.post("/dev/press/x"), 404)
        assert_error(client.get("/dev/press/3"), 405)
    finally:
        buttons.close()
        factory.reset()


def test_screen_dev_without_buttons_says_so(client):
    assert_error(client.post("/dev/press/3"), 404, "no_buttons")
    assert "không có nút GPIO" in client.get("/dev").get_data(as_text=True)


def test_screen_dev_is_absent_without_mock_pins(service, monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    client = create_app(service).test_client()
    assert_error(client.get("/dev"), 404, "not_found")
    assert_error(client.post("/dev/press/3"), 404, "not_found")
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    client = create_app(service).test_client()
    assert_error(client.get("/dev"), 404, "not_found")


class EventReader:
    """``GET /events`` over a plain socket: what a browser's EventSource receives, chunk by chunk."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(f"GET /events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.buffer = b""

    def read_until(self, marker: bytes, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                chunk = None
            if chunk == b"" or time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} in {self.buffer!r}")
            self.buffer += chunk or b""
        return self.buffer

    def event(self, name: str, timeout: float = 10.0) -> dict:
        """The data of the first whole event called ``name``."""
        marker = f"event: {name}\ndata: ".encode()
        self.read_until(marker, timeout)
        start = self.buffer.index(marker) + len(marker)
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.buffer[start:]:
            self.read_until(self.buffer[start:] + b"\n\n", max(0.01, deadline - time.monotonic()))
        return json.loads(self.buffer[start:].split(b"\n\n")[0])

    def close(self) -> None:
        self.sock.close()


def test_screen_events_reach_every_page_at_once_under_waitress(service):
    app = create_app(service, keepalive_s=60)
    with serving(app) as url:
        pages = [EventReader(url), EventReader(url)]
        for page in pages:
            head = page.read_until(b"retry: 1000\n\n")
            assert b"200 OK" in head and b"text/event-stream" in head
        service.press(3, "button")
        for page in pages:
            # Far inside the 60 s keep-alive: the event was flushed, not held in a buffer.
            event = page.event("rated", timeout=5)
            # Which level was chosen is not told to the pages (an officer may be watching one).
            assert event["source"] == "button" and "score" not in event
        for page in pages:
            page.close()


def test_screen_events_send_keep_alives_and_end_at_shutdown(service):
    app = create_app(service, keepalive_s=0.2)
    with serving(app) as url:
        page = EventReader(url)
        page.read_until(b": keep-alive\n\n")
        app.extensions["kiosk_streams"].close()
        # The stream ends (chunked encoding's last chunk), so no waitress thread stays behind.
        page.read_until(b"0\r\n\r\n")
        page.close()


def test_screen_events_refuse_more_pages_than_threads_allow(service):
    app = create_app(service, keepalive_s=0.2)
    with serving(app) as url:
        pages = [EventReader(url) for _ in range(MAX_STREAMS)]
        for page in pages:
            page.read_until(b"retry:")
        extra = EventReader(url)
        assert b"503" in extra.read_until(b"too_many_pages")
        extra.close()
        # A page that goes away frees its place at the next keep-alive.
        pages.pop().close()
        streams = app.extensions["kiosk_streams"]
        wait_for(lambda: len(streams.queues) < MAX_STREAMS, 10, "the closed page's stream to end")
        again = EventReader(url)
        again.read_until(b"retry:")
        for page in [*pages, again]:
            page.close()


def test_screen_events_survive_a_page_that_stops_reading(service):
    app = create_app(service, keepalive_s=60)
    streams = app.extensions["kiosk_streams"]
    with serving(app) as url:
        page = EventReader(url)
        page.read_until(b"retry:")
        # Far more events than a stream holds: presses never wait for the page.
        for _ in range(500):
            streams.publish({"type": "state", "state_version": "x"})
        service.press(2, "touch")
        assert b"event: state" in page.read_until(b"event: state")
        page.close()



def test_screen_tracking_qr_is_the_boards_lookup_page_as_svg(client, service):
    answer = client.get("/tracking/8ZFW6-KRARH.svg")
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    assert answer.data == qr_svg(lookup_url("https://danhgia.example.gov.vn/cong-khai", "8ZFW6-KRARH"))
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    for code in ("8ZFW6KRARH", "8zfw6-krarh", "8ZFW6-KRARO", "8ZFW6-KRARH1"):
        assert_error(client.get(f"/tracking/{code}.svg"), 404, "no_board")


def test_screen_tracking_qr_without_a_board_is_404(tmp_path):
    config = central_config()
    config["public_board_url"] = None
    service = open_service(tmp_path / "kiosk", config)
    try:
        assert_error(create_app(service).test_client().get("/tracking/8ZFW6-KRARH.svg"), 404, "no_board")
    finally:
        service.close()
