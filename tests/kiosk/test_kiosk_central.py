"""kiosk/central.py: the HTTP client against the real central service, and against answers it must survive."""
from __future__ import annotations

import uuid
from email.utils import formatdate
from typing import Iterator

import pytest

from kiosk.central import (
    Central,
    Refused,
    Unauthorized,
    Unavailable,
    check_batch_result,
    parse_server_time,
    retry_after_s,
)

from ..ports_support import free_port
from .kiosk_support import Canned


def rating(**fields) -> dict:
    return {"id": str(uuid.uuid4()), "seq": 1, "score": 3, "officer_id": None, "reasons": [],
            "source": "touch", "created_at": "2026-11-27T09:15:02+07:00", **fields}


@pytest.fixture
def client(central) -> Iterator[Central]:
    c = Central(central.url, central.token)
    yield c
    c.close()


def test_central_config_then_not_modified(client):
    config, etag = client.get_config(None)
    assert config["config_version"] == etag
    assert config["desk"]["id"] == 1 and config["settings"]["cooldown_s"] == 0
    assert client.get_config(etag) == (None, etag)


def test_central_photo_of_a_listed_officer(client):
    config, _ = client.get_config(None)
    with_photo = [o for o in config["officers"] if o["photo_url"]]
    data, content_type = client.get_photo(with_photo[0]["photo_url"])
    assert content_type == "image/png" and data.startswith(b"\x89PNG")


def test_central_ratings_accepted_duplicate_rejected(client):
    good, bad = rating(), rating(seq=2, reasons=["nope"])
    result = client.post_ratings([good, bad])
    assert result["acknowledged"] == [good["id"]]
    assert [(r["id"], r["error"]["code"]) for r in result["rejected"]] == [(bad["id"], "unknown_reason")]
    assert client.post_ratings([good])["acknowledged"] == [good["id"]], "a duplicate is acknowledged too"


def test_central_whole_request_refused(client):
    with pytest.raises(Refused) as refused:
        client.post_ratings([rating(seq=i + 1) for i in range(501)])
    assert refused.value.status == 413 and refused.value.error["code"] == "too_many_items"


def test_central_duty_and_heartbeat(client, central):
    officer_id = client.get_config(None)[0]["officers"][0]["id"]
    event = {"id": str(uuid.uuid4()), "officer_id": officer_id, "action": "sign_in", "at": "2026-11-27T08:00:05+07:00"}
    assert client.post_duty([event])["acknowledged"] == [event["id"]]
    answer = client.heartbeat({"version": "0.1.0", "outbox_depth": 0, "rejected": 0, "last_seq": 0,
                               "uptime_s": 1, "clock": "2026-11-27T09:20:00+07:00", "on_duty_officer_id": None})
    assert parse_server_time(answer["server_time"]) is not None
    assert answer["config_version"] == client.get_config(None)[1]


def test_central_wrong_token_is_unauthorized(central):
    client = Central(central.url, "not-a-token")
    with pytest.raises(Unauthorized):
        client.get_config(None)
    with pytest.raises(Unauthorized):
        client.post_ratings([rating()])
    client.close()


def test_central_nobody_listening_is_unavailable():
    client = Central(f"http://127.0.0.1:{free_port()}", "t", timeout_s=2)
    with pytest.raises(Unavailable) as caught:
        client.get_config(None)
    assert caught.value.retry_after is None


def test_central_https_checks_certificates(tmp_path):
    # A server speaking plain HTTP on an https:// URL fails the TLS handshake: no silent fallback.
    canned = Canned()
    client = Central(canned.url.replace("http://", "https://"), "t", timeout_s=2)
    assert client.session.verify is True
    with pytest.raises(Unavailable):
        client.get_config(None)
    canned.server.shutdown()
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert Central("https://x", "t", ca_file=ca).session.verify == str(ca)


@pytest.mark.parametrize("status", [429, 503])
def test_central_retry_after_seconds(canned, status):
    canned.answer(status, {"error": {"code": "busy", "message": "Busy."}}, **{"Retry-After": "7"})
    with pytest.raises(Unavailable) as caught:
        Central(canned.url, "t").post_ratings([rating()])
    assert caught.value.retry_after == 7.0 and "Busy." in str(caught.value)


def test_central_retry_after_http_date(canned):
    canned.answer(503, b"<html>down</html>", **{"Retry-After": formatdate(2_000_000_030, usegmt=True)})
    with pytest.raises(Unavailable) as caught:
        Central(canned.url, "t", clock=lambda: 2_000_000_000).get_config(None)
    assert caught.value.retry_after == 30.0


@pytest.mark.parametrize("body", [b"<html>proxy</html>", b"[]", b'{"accepted": []}', b'{"accepted": 1, "duplicates": [], "rejected": []}'])
def test_central_answer_not_of_the_protocol_is_unavailable(canned, body):
    canned.answer(200, body)
    with pytest.raises(Unavailable):
        Central(canned.url, "t").post_ratings([rating()])


def test_central_config_not_an_object_is_unavailable(canned):
    canned.answer(200, b"[1, 2]")
    with pytest.raises(Unavailable):
        Central(canned.url, "t").get_config(None)


def test_central_photo_of_wrong_type_is_unavailable(canned):
    canned.answer(200, b"<svg/>", **{"Content-Type": "image/svg+xml"})
    with pytest.raises(Unavailable):
        Central(canned.url, "t").get_photo("/api/v1/officers/1/photo")


@pytest.mark.parametrize("status, body, content_type", [
    (400, b"<html><body><h1>400 Bad Request</h1><hr>nginx</body></html>", "text/html"),
    (413, b"<html><head><title>413 Request Entity Too Large</title></head></html>", "text/html"),
    (422, b"Unprocessable", "text/plain"),
    (400, b'{"error": {"code": "invalid_id", "message": "x"}}', "text/html"),
    (413, b'{"message": "too big"}', "application/json"),
    (400, b'{"error": {"code": 7, "message": "x"}}', "application/json"),
    (400, b'{"error": "bad"}', "application/json"),
    (400, b"", "application/json"),
])
def test_central_refusal_not_in_the_protocols_shape_is_unavailable(canned, status, body, content_type):
    # A proxy's or a captive portal's page says nothing about the items sent: try again later.
    canned.answer(status, body, **{"Content-Type": content_type})
    with pytest.raises(Unavailable) as failed:
        Central(canned.url, "t").post_ratings([{"id": str(uuid.uuid4())}])
    assert f"HTTP {status} ({content_type}) is not the protocol's JSON error" in str(failed.value)


def test_batch_result_keeps_only_ids_sent():
    sent = ["a", "b", "c"]
    body = {"accepted": ["a", "zz", 5], "duplicates": ["b"], "rejected": [{"id": "c", "error": {}}, {"id": "q"}, "x"]}
    assert check_batch_result(body, sent) == {"acknowledged": ["a", "b"], "rejected": [{"id": "c", "error": {}}]}


@pytest.mark.parametrize("value, expected", [
    ("120", 120.0), (" 5 ", 5.0), ("", None), (None, None), ("soon", None), ("-3", None),
    ("Wed, 21 Oct 2015 07:28:00", None),
])
def test_retry_after_parsing(value, expected):
    assert retry_after_s(value, 0) == expected


@pytest.mark.parametrize("value, expected", [
    ("2026-11-27T02:10:00Z", 1795745400.0), ("2026-11-27T09:10:00+07:00", 1795745400.0),
    ("2026-11-27T02:10:00", None), ("yesterday", None), (5, None), (None, None),
])
def test_server_time_parsing(value, expected):
    assert parse_server_time(value) == expected
