"""Kiosks in the console: registration with a token shown once, rotation, revocation, health and gaps."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from admin.api.auth import authenticate
from admin.db import db
from admin.kiosks import hash_token
from admin.models import AuditEntry, Kiosk

from .console_support import add_ratings, signed_in, submit, text


@pytest.fixture
def manager(app, world):
    return signed_in(app, "manager", world.commune_a_id)


def shown_token(response) -> str:
    match = re.search(r'<p class="secret" id="token">([^<]+)</p>', response.get_data(as_text=True))
    assert match, "no token on the page"
    return match.group(1)


def test_register_shows_token_once_and_it_works(app, world, manager):
    response = submit(manager, "/kiosks/new", data={"desk_id": world.desk_a_id, "name": "Mai Trung — quầy 2"})
    assert response.status_code == 200
    assert "Mã chỉ hiện một lần" in text(response)
    token = shown_token(response)
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        kiosk = db.session.get(Kiosk, authenticate(token).id)
        assert kiosk.name == "Mai Trung — quầy 2"
        assert kiosk.token_hash == hash_token(token) != token
        kiosk_id = kiosk.id
    # Never again: not on the kiosk's page, not in the list, not in the audit log.
    for url in (f"/kiosks/{kiosk_id}", "/kiosks"):
        assert token not in manager.get(url).get_data(as_text=True)
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "kiosk")).all()
        assert entry.action == "create"
        assert token not in str(entry.after)
        assert entry.after["desk_id"] == world.desk_a_id


def test_register_only_at_own_desks(app, world, manager):
    response = submit(manager, "/kiosks/new", data={"desk_id": world.desk_b_id, "name": "Lạ"})
    assert "Hãy chọn một trong các mục có sẵn." in text(response)
    with app.app_context():
        assert db.session.execute(select(Kiosk).where(Kiosk.name == "Lạ")).first() is None


def test_api_post_needs_no_csrf_token(app, world):
    response = app.test_client().post(
        "/api/v1/kiosk/heartbeat",
        json={"version": "0.3.0", "outbox_depth": 4, "rejected": 2, "last_seq": 1042},
        headers={"Authorization": f"Bearer {world.token_a}"},
    )
    assert response.status_code == 200


def test_kiosk_page_shows_heartbeat_and_online(app, world, manager):
    app.test_client().post(
        "/api/v1/kiosk/heartbeat",
        json={"version": "0.3.0", "outbox_depth": 4, "rejected": 2, "last_seq": 1042},
        headers={"Authorization": f"Bearer {world.token_a}"},
    )
    page = text(manager.get(f"/kiosks/{world.kiosk_a_id}"))
    assert "Đang hoạt động" in page
    assert "Phiên bản phần mềm 0.3.0" in page
    assert "Lượt đánh giá chờ gửi 4" in page
    assert "Lượt đánh giá bị máy chủ từ chối 2" in page
    assert "Số thứ tự cuối cùng 1042" in page
    assert "Lý do gửi không được" not in page and "Hộp lưu hỏng" not in page


def test_kiosk_page_says_why_sending_fails_and_that_its_outbox_was_replaced(app, world, manager):
    app.test_client().post(
        "/api/v1/kiosk/heartbeat",
        json={"upload_error": "HTTP 413 <html>nginx</html>", "outbox_replaced_at": "2026-12-03T21:00:00Z"},
        headers={"Authorization": f"Bearer {world.token_a}"},
    )
    page = text(manager.get(f"/kiosks/{world.kiosk_a_id}"))
    assert "Lý do gửi không được HTTP 413 <html>nginx</html>" in page
    assert "Hộp lưu hỏng đã được thay 2026-12-03T21:00:00Z" in page


def test_kiosk_not_heard_from_is_offline(app, world, manager):
    with app.app_context():
        db.session.get(Kiosk, world.kiosk_a_id).last_seen_at = datetime.now(timezone.utc) - timedelta(hours=2)
        db.session.commit()
    assert "Mất kết nối" in text(manager.get(f"/kiosks/{world.kiosk_a_id}"))
    listing = text(manager.get("/kiosks"))
    assert "Mai Trung — quầy 1" in listing and "Mất kết nối" in listing


def test_kiosk_page_shows_sequence_gaps(app, world, manager):
    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, [])] * 2, first_seq=1)
    add_ratings(app, world.kiosk_a_id, [(2, world.officer_a_id, [])], first_seq=6)
    page = text(manager.get(f"/kiosks/{world.kiosk_a_id}"))
    assert "Lượt đánh giá bị thiếu" in page
    assert "3 5 3" in page  # from 3 to 5, three ratings missing


def test_rotate_token_replaces_the_old_one(app, world, manager):
    response = submit(manager, f"/kiosks/{world.kiosk_a_id}", f"/kiosks/{world.kiosk_a_id}/rotate")
    assert response.status_code == 200
    new_token = shown_token(response)
    with app.app_context():
        assert authenticate(world.token_a) is None
        assert authenticate(new_token).id == world.kiosk_a_id
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "rotate_token")).all()
        assert entry.before["token"] != entry.after["token"]


def test_revoke_stops_the_token(app, world, manager):
    response = submit(manager, f"/kiosks/{world.kiosk_a_id}", f"/kiosks/{world.kiosk_a_id}/revoke")
    assert response.status_code == 302
    page = text(manager.get(response.headers["Location"]))
    assert "Đã thu hồi thiết bị" in page
    heartbeat = app.test_client().post(
        "/api/v1/kiosk/heartbeat", json={}, headers={"Authorization": f"Bearer {world.token_a}"}
    )
    assert heartbeat.status_code == 401
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "revoke")).all()
        assert (entry.before["enabled"], entry.after["enabled"]) == (True, False)


def test_dashboard_lists_offline_kiosks(app, world, manager):
    app.test_client().post("/api/v1/kiosk/heartbeat", json={}, headers={"Authorization": f"Bearer {world.token_a}"})
    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, []), (1, world.officer_a_id, [])])
    admin = signed_in(app, "admin")
    page = text(admin.get("/"))
    assert "2 lượt đánh giá hôm nay" in page
    assert "50,00 % tỷ lệ hài lòng hôm nay" in page
    assert "1 đang hoạt động" in page
    assert "1 mất kết nối" in page
    assert "Hợp Thịnh — quầy 1" in page
    # The manager's overview counts only commune A: its one kiosk is online.
    mine = text(manager.get("/"))
    assert "0 mất kết nối" in mine
    assert "Hợp Thịnh" not in mine
