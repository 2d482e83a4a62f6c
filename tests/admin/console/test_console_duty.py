"""Duty at a desk in the console: scheduling officers, ending a period, and what the kiosk then shows."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from admin.db import db
from admin.models import AuditEntry, DutyPeriod

from .console_support import signed_in, submit, text


def local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def kiosk_on_duty(client, token: str):
    config = client.get("/api/v1/kiosk/config", headers={"Authorization": f"Bearer {token}"}).get_json()
    return config["on_duty"]


def test_manager_schedules_officer_and_kiosk_shows_them(app, world):
    client = signed_in(app, "manager", world.commune_b_id)
    start = datetime.now() - timedelta(hours=1)
    response = submit(client, f"/desks/{world.desk_b_id}/duty",
                      data={"officer_id": world.officer_b_id, "starts_at": local(start), "ends_at": ""})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Đã xếp lịch trực." in page
    assert "Lê Văn Cường (HT-001) — đang trực" in page
    assert kiosk_on_duty(app.test_client(), world.token_b)["officer_id"] == world.officer_b_id
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "duty")).all()
        assert entry.action == "create" and entry.after["officer_id"] == world.officer_b_id


def test_overlapping_schedule_refused_beside_the_field(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    # Officer A is on duty at desk A from 400 days ago, open-ended (the world fixture).
    start = datetime.now() + timedelta(days=1)
    response = submit(client, f"/desks/{world.desk_a_id}/duty",
                      data={"officer_id": world.officer_a2_id, "starts_at": local(start),
                            "ends_at": local(start + timedelta(hours=4))})
    assert response.status_code == 200
    assert "Trong thời gian này đã có cán bộ khác trực tại quầy." in text(response)
    with app.app_context():
        assert db.session.scalar(select(DutyPeriod).where(DutyPeriod.officer_id == world.officer_a2_id)) is None


def test_end_now_closes_the_period_and_kiosk_shows_nobody(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    with app.app_context():
        period_id = db.session.scalar(select(DutyPeriod.id).where(DutyPeriod.desk_id == world.desk_a_id))
    response = submit(client, f"/desks/{world.desk_a_id}/duty", f"/desks/{world.desk_a_id}/duty/{period_id}/end")
    assert response.status_code == 302
    assert kiosk_on_duty(app.test_client(), world.token_a) is None
    assert "Đã kết thúc ca trực." in text(client.get(response.headers["Location"]))


def test_schedule_bad_input_shown_beside_fields(app, world):
    client = signed_in(app, "manager", world.commune_b_id)
    start = datetime.now()
    cases = [
        ({"officer_id": world.officer_b_id, "starts_at": "", "ends_at": ""}, "Hãy nhập thời điểm bắt đầu trực."),
        ({"officer_id": world.officer_b_id, "starts_at": local(start), "ends_at": local(start - timedelta(hours=1))},
         "Thời điểm kết thúc phải sau thời điểm bắt đầu."),
        # An officer of another unit cannot be chosen at this desk.
        ({"officer_id": world.officer_a_id, "starts_at": local(start), "ends_at": ""}, "Hãy chọn một trong các mục có sẵn."),
    ]
    for data, message in cases:
        response = submit(client, f"/desks/{world.desk_b_id}/duty", data=data)
        assert response.status_code == 200
        assert message in text(response), message
    with app.app_context():
        assert db.session.scalar(select(DutyPeriod).where(DutyPeriod.desk_id == world.desk_b_id)) is None


def test_duty_of_another_unit_is_404_and_viewer_cannot_schedule(app, world):
    manager = signed_in(app, "manager", world.commune_a_id)
    assert manager.get(f"/desks/{world.desk_b_id}/duty").status_code == 404
    viewer = signed_in(app, "viewer", world.commune_a_id, username="xem")
    page = viewer.get(f"/desks/{world.desk_a_id}/duty")
    assert page.status_code == 200
    assert "Xếp lịch trực" not in text(page)
    with app.app_context():
        period_id = db.session.scalar(select(DutyPeriod.id).where(DutyPeriod.desk_id == world.desk_a_id))
    assert viewer.post(f"/desks/{world.desk_a_id}/duty/{period_id}/end").status_code in (400, 403)
