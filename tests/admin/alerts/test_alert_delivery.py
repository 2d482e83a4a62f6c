"""Alerts of new cases reach the inspectors by e-mail and the province by a signed webhook, once, whatever the outages."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from admin.alerts.deliveries import LEASE, backoff
from admin.alerts.worker import AlertWorker, run_pass
from admin.db import db, utcnow
from admin.models import Case, Delivery, Rating, User
from admin.users import hash_password

from ..console.console_support import add_ratings
from .receivers_support import WEBHOOK_SECRET, alert_config


@pytest.fixture
def inspectors(app, world):
    """Inspectors of commune A and of the province with addresses, one of commune B, one without an address."""
    with app.app_context():
        for name, unit, email in (
            ("tt_xa_a", world.commune_a_id, "tt.xa.a@example.gov.vn"),
            ("tt_tinh", world.province_id, "tt.tinh@example.gov.vn"),
            ("tt_xa_b", world.commune_b_id, "tt.xa.b@example.gov.vn"),
            ("tt_khong_thu", world.commune_a_id, None),
        ):
            db.session.add(User(username=name, password_hash=hash_password("x" * 12), role="inspector",
                                unit_id=unit, email=email))
        # A manager with an address hears nothing of cases.
        db.session.add(User(username="ql", password_hash=hash_password("x" * 12), role="manager",
                            unit_id=world.commune_a_id, email="ql@example.gov.vn"))
        db.session.commit()
    return world


def complain(app, world, reasons=("bribe", "slow"), comment="Cán bộ gợi ý đưa 500 nghìn", kiosk=None, officer=...):
    officer_id = world.officer_a_id if officer is ... else officer
    add_ratings(app, kiosk or world.kiosk_a_id, [(1, officer_id, list(reasons))])
    with app.app_context():
        rating = db.session.scalars(select(Rating).order_by(Rating.id.desc())).first()
        rating.comment, rating.ticket = comment, "A-017"
        db.session.commit()


def deliveries(app) -> list[Delivery]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        return rows


def time_passes(app) -> None:
    """Every waiting retry falls due (instead of waiting out the backoff)."""
    with app.app_context():
        db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_new_case_mails_the_inspectors_above_the_desk_and_calls_the_webhook(app, inspectors, mailbox, webhook):
    app.config.update(alert_config(mailbox, webhook))
    complain(app, inspectors)
    done = run_pass(app)
    assert (done.filed, done.sent, done.failed) == (1, 3, 0)

    assert sorted(rcpt for rcpts, _ in mailbox.messages for rcpt in rcpts) == [
        "tt.tinh@example.gov.vn", "tt.xa.a@example.gov.vn"
    ]
    [message] = mailbox.to("tt.xa.a@example.gov.vn")
    with app.app_context():
        case_id = db.session.scalars(select(Case.id)).one()
    assert message["Subject"] == f"[Hài Lòng] Hồ sơ phản ánh mới #{case_id} / New misconduct case #{case_id}"
    assert message["From"] == "canhbao@danhgia.example.gov.vn"
    body = message.get_content()
    assert "Nguyễn Văn An (MT-001)" in body and "Quầy 1 — Đất đai" in body and "UBND xã Mai Trung" in body
    assert "Vòi vĩnh, đòi tiền ngoài quy định" in body and "Asked for an unofficial payment" in body
    assert f"https://danhgia.example.gov.vn/cases/{case_id}" in body
    # The citizen's words and ticket stay in the console.
    assert "500 nghìn" not in body and "A-017" not in body

    [call] = webhook.calls
    headers = {k.lower(): v for k, v in call["headers"].items()}
    expected = hmac.new(WEBHOOK_SECRET.encode(), headers["x-hailong-timestamp"].encode() + b"." + call["body"],
                        hashlib.sha256).hexdigest()
    assert headers["x-hailong-signature"] == f"sha256={expected}"
    document = json.loads(call["body"])
    assert document["event"] == "case.opened"
    assert document["case"]["id"] == case_id
    assert document["case"]["officer"] == {"id": inspectors.officer_a_id, "code": "MT-001", "name": "Nguyễn Văn An"}
    assert document["complaint"]["integrity_reasons"] == ["bribe"]
    assert sorted(document["complaint"]) == ["at", "clock_flag", "id", "integrity_reasons", "reasons", "score", "source"]

    # Nothing is sent twice.
    assert run_pass(app)[:3] == (0, 0, 0)
    assert len(mailbox.messages) == 2 and len(webhook.calls) == 1


def test_a_complaint_joining_a_case_is_announced_too(app, inspectors, mailbox):
    app.config.update(alert_config(mailbox, None))
    complain(app, inspectors)
    run_pass(app)
    complain(app, inspectors, reasons=("harassment",))
    run_pass(app)
    subjects = [m["Subject"] for m in mailbox.to("tt.xa.a@example.gov.vn")]
    assert len(subjects) == 2
    assert "Phản ánh mới trong hồ sơ" in subjects[1] and "New complaint in misconduct case" in subjects[1]


def test_smtp_outage_loses_nothing_and_sends_once_when_it_is_back(app, inspectors, mailbox):
    app.config.update(alert_config(mailbox, None))
    mailbox.stop()
    complain(app, inspectors)
    assert run_pass(app)[:3] == (1, 0, 2)
    rows = deliveries(app)
    assert all(row.sent_at is None and row.attempts == 1 and "SMTP" in row.last_error for row in rows)
    assert all(row.next_attempt_at > utcnow() + timedelta(seconds=20) for row in rows)
    # Not due yet: nothing is tried.
    assert run_pass(app)[:3] == (0, 0, 0)

    time_passes(app)
    assert run_pass(app)[:3] == (0, 0, 2)
    assert [row.attempts for row in deliveries(app)] == [2, 2]
    mailbox.start()
    time_passes(app)
    assert run_pass(app)[:3] == (0, 2, 0)
    time_passes(app)
    assert run_pass(app)[:3] == (0, 0, 0)
    assert len(mailbox.messages) == 2
    assert all(row.sent_at is not None and row.last_error is None for row in deliveries(app))


def test_webhook_outage_is_retried_with_the_same_delivery_id(app, inspectors, webhook):
    app.config.update(alert_config(None, webhook))
    webhook.failing = True
    complain(app, inspectors)
    assert run_pass(app)[:3] == (1, 0, 1)
    assert "503" in deliveries(app)[0].last_error
    webhook.failing = False
    time_passes(app)
    assert run_pass(app)[:3] == (0, 1, 0)
    [call] = webhook.calls
    assert {k.lower(): v for k, v in call["headers"].items()}["x-hailong-delivery"] == str(deliveries(app)[0].id)


def test_a_delivery_another_process_holds_is_left_until_its_lease_ends(app, inspectors, webhook):
    app.config.update(alert_config(None, webhook))
    complain(app, inspectors)
    with app.app_context():
        from admin.cases import file_complaints
        file_complaints()
        db.session.execute(update(Delivery).values(lease_until=utcnow() + LEASE, attempts=1))
        db.session.commit()
    assert run_pass(app)[:3] == (0, 0, 0)
    with app.app_context():
        db.session.execute(update(Delivery).values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert run_pass(app)[:3] == (0, 1, 0)


def test_nothing_is_queued_on_channels_that_are_not_set_up(app, inspectors):
    complain(app, inspectors)
    assert run_pass(app)[:3] == (1, 0, 0)
    assert deliveries(app) == []


def test_a_channel_removed_after_queueing_keeps_its_deliveries_waiting(app, inspectors, webhook):
    app.config.update(alert_config(None, webhook))
    complain(app, inspectors)
    with app.app_context():
        from admin.cases import file_complaints
        file_complaints()
    app.config["WEBHOOK_URL"] = None
    assert run_pass(app)[:3] == (0, 0, 1)
    assert "not set up" in deliveries(app)[0].last_error


def test_backoff_doubles_up_to_the_longest_wait():
    settings = {"retry_s": 30, "retry_max_s": 3600}
    assert [backoff(n, settings).total_seconds() for n in (1, 2, 3, 4, 8, 200)] == [30, 60, 120, 240, 3600, 3600]


def test_the_worker_alerts_within_seconds_of_the_rating_reaching_the_service(app, inspectors, mailbox, client):
    """The API wakes this process's worker: no waiting for the poll (60 s here)."""
    from ..api.test_rating_endpoint import rating

    app.config.update(alert_config(mailbox, None))
    with app.app_context():
        from admin.alerts import ALERT_SETTINGS
        ALERT_SETTINGS.store({"poll_s": 300})
        db.session.commit()
    worker = AlertWorker(app)
    app.extensions["hailong.alerts"] = worker
    worker.start()
    try:
        assert mailbox.wait_for(0, 0)
        item = rating(1, score=1, officer_id=inspectors.officer_a_id, reasons=["bribe"])
        assert client.post("/api/v1/ratings", json={"ratings": [item]},
                           headers={"Authorization": f"Bearer {inspectors.token_a}"}).status_code == 200
        # Generous for a slow machine; the point is that it does not wait for the 300 s poll.
        assert mailbox.wait_for(2, timeout=30), mailbox.messages
    finally:
        worker.stop()
