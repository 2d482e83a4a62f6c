"""Console accounts: administrators create them, deactivate them and reset their passwords."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from admin.db import db
from admin.models import AuditEntry, LoginFailure, User

from .console_support import add_user, login, signed_in, submit, text

NEW_PASSWORD = "mật khẩu mới 2026"


@pytest.fixture
def admin_client(app):
    return signed_in(app, "admin", username="quantri")


def test_create_manager_account_who_can_sign_in(app, world, admin_client):
    response = submit(admin_client, "/users/new", data={
        "username": "lanhdao.maitrung", "role": "manager", "unit_id": world.commune_a_id,
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert "Đã tạo tài khoản lanhdao.maitrung." in text(admin_client.get(response.headers["Location"]))
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "lanhdao.maitrung")).scalar_one()
        assert user.password_hash.startswith("scrypt:")
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user")).all()
        assert entry.after == {"username": "lanhdao.maitrung", "role": "manager", "unit_id": world.commune_a_id,
                               "active": True, "email": None}
        assert entry.actor == "quantri"
    client = app.test_client()
    assert login(client, "lanhdao.maitrung", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "data, message",
    [
        ({"role": "manager", "unit_id": 0}, "Tài khoản quản lý hoặc thanh tra phải thuộc một đơn vị."),
        ({"role": "inspector", "unit_id": 0}, "Tài khoản quản lý hoặc thanh tra phải thuộc một đơn vị."),
        ({"password": "ngắn", "confirm": "ngắn"}, "Mật khẩu phải có từ 10 đến 200 ký tự."),
        ({"role": "admin", "unit_id": "UNIT"}, "Quản trị viên xem được mọi đơn vị: không chọn đơn vị."),
        ({"username": "x" * 81}, "Tên đăng nhập phải có từ 1 đến 80 ký tự."),
        ({"confirm": "khác hẳn mật khẩu"}, "Hai mật khẩu không giống nhau."),
        ({"username": "người dùng"}, "Chỉ dùng chữ không dấu"),
        ({"username": "quantri"}, "Tên đăng nhập này đã có người dùng."),
    ],
)
def test_account_form_errors(app, world, admin_client, data, message):
    fields = {"username": "moi", "role": "viewer", "unit_id": 0, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    if data.get("unit_id") == "UNIT":
        data = {**data, "unit_id": world.province_id}
    response = submit(admin_client, "/users/new", data={**fields, **data})
    assert response.status_code == 200
    assert message in text(response)
    with app.app_context():
        assert db.session.execute(select(User).where(User.username == "moi")).first() is None


def test_deactivated_account_is_signed_out_and_refused(app, admin_client):
    user_id = add_user(app, "canbo", "viewer")
    client = app.test_client()
    login(client, "canbo")
    assert client.get("/").status_code == 200
    response = submit(admin_client, f"/users/{user_id}", f"/users/{user_id}/active")
    assert "Đã khóa tài khoản canbo." in text(admin_client.get(response.headers["Location"]))
    assert client.get("/").status_code == 302
    assert "Sai tên đăng nhập hoặc mật khẩu." in text(login(client, "canbo"))
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user")).all()
        assert (entry.before["active"], entry.after["active"]) == (True, False)


def test_admin_cannot_deactivate_self(app, admin_client):
    with app.app_context():
        me = db.session.execute(select(User.id).where(User.username == "quantri")).scalar_one()
    response = submit(admin_client, f"/users/{me}", f"/users/{me}/active")
    assert "Bạn không thể tự khóa tài khoản của mình." in text(admin_client.get(response.headers["Location"]))


def test_reset_password_lifts_lock_and_logs_no_secret(app, admin_client):
    app.config["LOGIN_MAX_FAILURES"] = 2
    user_id = add_user(app, "canbo", "viewer")
    client = app.test_client()
    login(client, "canbo", "sai")
    login(client, "canbo", "sai")
    response = submit(admin_client, f"/users/{user_id}", f"/users/{user_id}/password",
                      {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "Đã đặt mật khẩu mới cho canbo." in text(admin_client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(LoginFailure, "user:canbo") is None
        # The address the failures came from is still counted; clear it, as a new day would.
        db.session.execute(delete(LoginFailure))
        db.session.commit()
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reset_password")).all()
        assert entry.before["password"] != entry.after["password"]
        assert "scrypt" not in str(entry.before) + str(entry.after)
    assert login(app.test_client(), "canbo", NEW_PASSWORD).status_code == 302


def test_accounts_page_lists_roles(app, world, admin_client):
    add_user(app, "thanhtra", "inspector", world.district_id)
    page = text(admin_client.get("/users"))
    assert "thanhtra Thanh tra Huyện Hiệp Hoà" in page
    assert "quantri Quản trị hệ thống Tất cả đơn vị" in page


def test_reset_password_signs_out_open_sessions(app, world, admin_client):
    user_id = add_user(app, "canbo", "viewer", world.province_id)
    victim = app.test_client()
    assert login(victim, "canbo").status_code == 302
    assert victim.get("/officers").status_code == 200
    submit(admin_client, f"/users/{user_id}", f"/users/{user_id}/password",
           {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    after = victim.get("/officers")
    assert after.status_code == 302
    assert "/login" in after.headers["Location"]


def test_admin_sets_and_clears_the_alert_address_of_an_account(app, world):
    client = signed_in(app, "admin")
    inspector = add_user(app, "thanhtra", "inspector", world.commune_a_id)
    page = f"/users/{inspector}"
    refused = submit(client, page, f"{page}/email", {"email": "thanhtra at xa.gov.vn\r\nBcc: x@y.z"})
    assert refused.status_code == 400
    assert "Nhập địa chỉ thư điện tử" in text(refused)
    assert submit(client, page, f"{page}/email", {"email": " tt@maitrung.gov.vn "}).status_code == 302
    with app.app_context():
        assert db.session.get(User, inspector).email == "tt@maitrung.gov.vn"
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user").order_by(AuditEntry.id.desc())).first()
        assert (entry.before["email"], entry.after["email"]) == (None, "tt@maitrung.gov.vn")
    assert submit(client, page, f"{page}/email", {"email": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(User, inspector).email is None


@pytest.mark.parametrize("password, why", [
    ("zzzzzzzzzzzz", "Mật khẩu cần ít nhất 5 ký tự khác nhau."),
    ("Canbo.Moi.2027", "Mật khẩu không được chứa tên đăng nhập."),
    ("qwertyuiop", "Mật khẩu này nằm trong số những mật khẩu kẻ tấn công thử đầu tiên."),
])
def test_reset_refuses_a_password_easy_to_guess(app, admin_client, password, why):
    user_id = add_user(app, "canbo", "viewer")
    with app.app_context():
        before = db.session.get(User, user_id).password_hash
    response = submit(admin_client, f"/users/{user_id}", f"/users/{user_id}/password",
                      {"password": password, "confirm": password})
    assert why in text(response)
    with app.app_context():
        assert db.session.get(User, user_id).password_hash == before
    # The new-account form refuses the same.
    refused = submit(admin_client, "/users/new", "/users/new",
                     {"username": "canbo2", "password": "aaaaabbbbb", "confirm": "aaaaabbbbb", "role": "viewer"})
    assert "Mật khẩu cần ít nhất 5 ký tự khác nhau." in text(refused)
