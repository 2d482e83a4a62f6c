"""admin/users.py: the one set of rules for console accounts, used by the console page and the CLI."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from admin.db import db
from admin.models import AuditEntry, User
from admin.users import UserRefused, create_user

GOOD = "mat-khau-dai-du"


def users() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world


def test_create_user_stores_a_salted_hash_and_an_audit_entry(ctx):
    user = create_user("  quanly.mt  ", GOOD, "manager", ctx.commune_a_id, actor="cli")
    db.session.commit()
    assert (user.username, user.role, user.unit_id, user.active) == ("quanly.mt", "manager", ctx.commune_a_id, True)
    assert user.password_hash.startswith("scrypt:") and check_password_hash(user.password_hash, GOOD)
    entry = db.session.execute(select(AuditEntry)).scalar_one()
    assert (entry.action, entry.entity, entry.entity_id, entry.actor) == ("create", "user", str(user.id), "cli")
    assert entry.after == {
        "username": "quanly.mt", "role": "manager", "unit_id": ctx.commune_a_id, "active": True, "email": None
    }


def test_the_service_stores_passwords_with_scrypt_at_its_full_cost(tmp_path):
    """The tests' apps lower the cost (tests/admin/conftest.py); the service as installed keeps werkzeug's."""
    from admin import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'default.db'}", "SECRET_KEY": "x"})
    with app.app_context():
        db.create_all()
        user = create_user("quantri.mt", GOOD, "admin", None, actor="cli")
        assert user.password_hash.startswith("scrypt:32768:8:1$") and check_password_hash(user.password_hash, GOOD)
        db.engine.dispose()


@pytest.mark.parametrize(
    "username, password, role, unit, field",
    [
        ("", GOOD, "viewer", None, "username"),
        ("x" * 81, GOOD, "viewer", None, "username"),
        ("người.dùng", GOOD, "viewer", None, "username"),
        ("có dấu cách", GOOD, "viewer", None, "username"),
        ("ok", "ngan", "viewer", None, "password"),
        ("ok", "x" * 201, "viewer", None, "password"),
        ("ok", GOOD, "boss", None, "role"),
        ("ok", GOOD, "manager", None, "unit_id"),
        ("ok", GOOD, "inspector", None, "unit_id"),
        ("ok", GOOD, "admin", "A", "unit_id"),
        ("ok", GOOD, "viewer", 999_999, "unit_id"),
    ],
)
def test_create_user_refuses_with_the_field_to_change_and_stores_nothing(ctx, username, password, role, unit, field):
    unit_id = ctx.commune_a_id if unit == "A" else unit
    with pytest.raises(UserRefused) as refused:
        create_user(username, password, role, unit_id)
    assert refused.value.field == field
    assert str(refused.value.message)
    db.session.rollback()
    assert users() == 0


def test_create_user_name_taken_is_refused_on_the_name(ctx):
    create_user("thanhtra", GOOD, "viewer", None)
    db.session.commit()
    with pytest.raises(UserRefused) as refused:
        create_user("thanhtra", GOOD + "x", "viewer", None)
    assert refused.value.field == "username"
    db.session.rollback()
    assert users() == 1


def test_create_user_name_saved_meanwhile_is_refused_not_an_integrity_error(ctx, monkeypatch):
    create_user("thanhtra", GOOD, "viewer", None)
    db.session.commit()
    # Another administrator saves the same name between our look-up and our insert.
    real_execute = db.session.execute
    monkeypatch.setattr(db.session, "execute", lambda stmt, *a, **k: _NoRow() if "users.username" in str(stmt)
                        else real_execute(stmt, *a, **k))
    with pytest.raises(UserRefused) as refused:
        create_user("thanhtra", GOOD, "viewer", None)
    monkeypatch.undo()
    assert refused.value.field == "username"
    db.session.rollback()
    assert users() == 1


class _NoRow:
    def first(self):
        return None


@pytest.mark.parametrize("username, password, why", [
    ("canbo1", "aaaaaaaaaa", "ít nhất 5 ký tự khác nhau"),
    ("canbo1", "abababababab", "ít nhất 5 ký tự khác nhau"),
    ("canbo1", "1212121212", "ít nhất 5 ký tự khác nhau"),
    ("canbo1", "1234567890", "kẻ tấn công thử đầu tiên"),
    ("canbo1", "MatKhau123", "kẻ tấn công thử đầu tiên"),
    ("nguyenvana", "nguyenvana2026", "không được chứa tên đăng nhập"),
    ("nguyenvana", "2026-NguyenVanA!", "không được chứa tên đăng nhập"),
])
def test_create_user_refuses_passwords_easy_to_guess(ctx, username, password, why):
    from flask_babel import force_locale

    with pytest.raises(UserRefused) as refused:
        create_user(username, password, "viewer", None)
    assert refused.value.field == "password"
    with force_locale("vi"):
        assert why in str(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == username)) == 0
