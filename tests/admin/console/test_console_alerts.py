"""The alert pages: each role sees and handles its own alerts; closing needs a note."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.db import db
from admin.models import AuditEntry, WatchAlert
from admin.watch import raise_alert

from .console_support import signed_in, submit, text


@pytest.fixture
def raised(app, world) -> dict[str, int]:
    """One alert of each audience: a manager's in commune A, an inspector's in commune A, an administrator's in B."""
    with app.app_context():
        ids = {}
        for rule, key, unit, where in (
            ("low_satisfaction", "low", world.commune_a_id, {"officer_id": world.officer_a_id}),
            ("desk_closed", "closed", world.commune_a_id, {"desk_id": world.desk_a_id}),
            ("clock_off", "clock", world.commune_b_id, {"kiosk_id": world.kiosk_b_id}),
        ):
            details = {
                "low": {"ratings": 30, "satisfied": 5, "rate_pct": 16.7, "upper_bound_pct": 33.2,
                        "threshold_pct": 70, "since": "2030-01-01"},
                "closed": {"day": "2030-01-07", "closed_pct": 80.0, "open_hours": 9.5},
                "clock": {"offset_s": 900},
            }[key]
            ids[rule] = raise_alert(rule, key, unit, details, timedelta(hours=24), **where).id
        db.session.commit()
        return ids


def test_manager_sees_the_managers_alerts_of_their_tree_only(app, world, raised):
    client = signed_in(app, "manager", world.commune_a_id)
    page = text(client.get("/alerts"))
    assert "Nguyễn Văn An (MT-001)" in page and "16,7% hài lòng" in page
    assert "Quầy 1 — Đất đai" not in page and "Hợp Thịnh" not in page
    assert "Cảnh báo (1)" in text(client.get("/"))
    assert client.get(f"/alerts/{raised['desk_closed']}").status_code == 404
    assert client.get(f"/alerts/{raised['clock_off']}").status_code == 404


def test_inspector_sees_the_inspectors_alerts(app, world, raised):
    client = signed_in(app, "inspector", world.district_id)
    page = text(client.get("/alerts"))
    assert "Quầy 1 — Đất đai" in page and "80,0%" in page
    assert "Nguyễn Văn An" not in page
    assert client.get(f"/alerts/{raised['low_satisfaction']}").status_code == 404


def test_admin_sees_every_alert_and_counts_their_own(app, world, raised):
    client = signed_in(app, "admin")
    page = text(client.get("/alerts"))
    assert "Nguyễn Văn An" in page and "Quầy 1 — Đất đai" in page and "900 giây" in page
    assert "Cảnh báo (1)" in text(client.get("/"))


def test_viewer_has_no_alerts(app, world, raised):
    client = signed_in(app, "viewer")
    assert client.get("/alerts").status_code == 403
    assert "Cảnh báo" not in text(client.get("/"))


def test_acknowledge_then_close_with_a_note(app, world, raised):
    client = signed_in(app, "inspector", world.commune_a_id)
    url = f"/alerts/{raised['desk_closed']}"
    assert submit(client, url, f"{url}/acknowledge", {"note": ""}).status_code == 302
    refused = submit(client, url, f"{url}/close", {"note": "   "})
    assert refused.status_code == 400 and "Hãy ghi việc đã làm." in text(refused)
    assert submit(client, url, f"{url}/close", {"note": "x" * 2001}).status_code == 400
    done = submit(client, url, f"{url}/close", {"note": "Đã hỏi: quầy thiếu người do nghỉ phép."}, follow_redirects=True)
    assert "Đã đóng cảnh báo." in text(done) and "quầy thiếu người do nghỉ phép" in text(done)
    with app.app_context():
        alert = db.session.get(WatchAlert, raised["desk_closed"])
        assert (alert.status, alert.open_key) == ("closed", None)
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "watch_alert", AuditEntry.entity_id == str(alert.id))
            .order_by(AuditEntry.id)
        ).all()
        assert actions == ["open", "acknowledge", "close"]
    # Closed: no more forms, a second close is refused.
    assert submit(client, url, f"{url}/close", {"note": "lại"}).status_code == 400


def test_a_role_cannot_handle_another_roles_alert(app, world, raised):
    manager = signed_in(app, "manager", world.commune_a_id)
    assert submit(manager, "/alerts", f"/alerts/{raised['desk_closed']}/close", {"note": "x"}).status_code == 404
    inspector = signed_in(app, "inspector", world.commune_a_id)
    assert submit(inspector, "/alerts", f"/alerts/{raised['low_satisfaction']}/close", {"note": "x"}).status_code == 404
    assert inspector.get("/alerts/99999999999999999999").status_code == 404


def test_watch_alert_is_mailed_to_its_role(app, world, raised):
    """An alert opened while e-mail is set up is queued for the people of its role with an address."""
    from admin.models import Delivery, User
    from admin.users import hash_password

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=25, SMTP_SECURITY="none", SMTP_FROM="canhbao@tinh.gov.vn")
    with app.app_context():
        for name, role, unit in (("ql", "manager", world.commune_a_id), ("tt", "inspector", world.commune_a_id),
                                 ("ql_b", "manager", world.commune_b_id)):
            db.session.add(User(username=name, password_hash=hash_password("x" * 12), role=role, unit_id=unit,
                                email=f"{name}@tinh.gov.vn"))
        db.session.commit()
        raise_alert("low_satisfaction", "low2", world.commune_a_id,
                    {"ratings": 30, "satisfied": 3, "rate_pct": 10.0, "upper_bound_pct": 25.0, "threshold_pct": 70,
                     "since": "2030-01-01"}, timedelta(hours=24), officer_id=world.officer_a2_id)
        db.session.commit()
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert delivery.recipient == "ql@tinh.gov.vn"
        assert "Trần Thị Bình" in delivery.body and "Satisfaction confidently below the threshold" in delivery.subject


def test_admin_reads_an_alert_of_a_kiosk_naming_an_officer_not_on_duty(app, world):
    """The watch's newest kind has an audience, a title and a sentence (a kind missing from WATCH_RULES gave 500)."""
    with app.app_context():
        details = {"ratings": 2, "first": "2030-01-07T02:00:00Z", "last": "2030-01-07T02:05:00Z",
                   "officer_id": world.officer_a_id}
        alert_id = raise_alert("officer_not_on_duty", f"ood:{world.kiosk_b_id}:{world.officer_a_id}", world.commune_b_id,
                               details, timedelta(hours=24), officer_id=world.officer_a_id, kiosk_id=world.kiosk_b_id).id
        db.session.commit()
    page = text(signed_in(app, "admin").get(f"/alerts/{alert_id}"))
    assert "không có người trực" in page
    assert signed_in(app, "manager", world.commune_b_id).get(f"/alerts/{alert_id}").status_code == 404
