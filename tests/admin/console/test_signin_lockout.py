"""Sign-in throttling that an attacker cannot turn against a real user, and the administrator's way back.

Failures lock the pair (account, address) and, higher up, an address trying
many names and an account guessed at from many addresses; a browser where
the account signed in before (its device cookie) has a counter of its own,
so none of those locks keep the owner out of it. An administrator sees a
throttled account and clears it, in the console or with ``unlock-user``.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from admin.db import db, utcnow
from admin.models import AuditEntry, LoginFailure

from .console_support import PASSWORD, add_user, csrf_token, signed_in, submit, text

LOCKED_VI = "Đăng nhập sai quá nhiều lần"
WRONG_VI = "Sai tên đăng nhập hoặc mật khẩu."
ATTACKER = "203.0.113.9"
OFFICE = "198.51.100.7"


def login_from(client, address: str, username: str, password: str = PASSWORD):
    """Sign in through the form as a browser at ``address`` would."""
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env).get_data(as_text=True)
    return client.post(
        "/login", data={"csrf_token": csrf_token(page), "username": username, "password": password}, environ_base=env
    )


def sign_out(client, address: str = OFFICE) -> None:
    page = client.get("/", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302


def lock_account_from_many_addresses(app, username: str) -> None:
    """Wrong passwords for ``username`` from as many addresses as it takes to lock the account for new browsers."""
    for n in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"]):
        login_from(app.test_client(), f"192.0.2.{n + 1}", username, "nope")


@pytest.fixture
def canbo(app) -> int:
    return add_user(app, "canbo", "viewer")


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(app, canbo):
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login_from(attacker, ATTACKER, "canbo", "nope")
    assert LOCKED_VI in text(login_from(attacker, ATTACKER, "canbo"))
    owner = app.test_client()
    assert login_from(owner, OFFICE, "canbo").status_code == 302
    assert owner.get("/").status_code == 200


def test_wrong_passwords_lock_the_account_from_that_address_even_with_the_right_password(app, canbo):
    attacker = app.test_client()
    answers = [text(login_from(attacker, ATTACKER, "canbo", "nope")) for _ in range(app.config["LOGIN_MAX_FAILURES"])]
    assert all(WRONG_VI in a for a in answers[:-1]) and LOCKED_VI in answers[-1]
    assert LOCKED_VI in text(login_from(app.test_client(), ATTACKER, "canbo"))


def test_an_address_trying_many_names_is_locked_for_every_name(app, canbo):
    for n in range(app.config["LOGIN_ADDRESS_MAX_FAILURES"]):
        login_from(app.test_client(), ATTACKER, f"ten{n}", "nope")
    assert LOCKED_VI in text(login_from(app.test_client(), ATTACKER, "canbo"))
    assert login_from(app.test_client(), OFFICE, "canbo").status_code == 302


def test_account_guessed_from_many_addresses_is_paused_for_new_browsers_not_for_the_owners(app, canbo):
    owner = app.test_client()
    assert login_from(owner, OFFICE, "canbo").status_code == 302
    sign_out(owner)
    lock_account_from_many_addresses(app, "canbo")
    # A browser never signed in to this account waits, from any address...
    assert LOCKED_VI in text(login_from(app.test_client(), "198.51.100.50", "canbo"))
    # ...but the owner's browser, which signed in before, gets in from anywhere.
    assert login_from(owner, "198.51.100.51", "canbo").status_code == 302
    assert owner.get("/").status_code == 200


def test_device_cookie_has_its_own_lock(app, canbo):
    owner = app.test_client()
    assert login_from(owner, OFFICE, "canbo").status_code == 302
    sign_out(owner)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login_from(owner, OFFICE, "canbo", "nope")
    assert LOCKED_VI in text(login_from(owner, OFFICE, "canbo"))


def test_device_cookie_of_another_account_or_forged_is_not_trusted(app, canbo):
    add_user(app, "khac", "viewer")
    browser = app.test_client()
    assert login_from(browser, OFFICE, "khac").status_code == 302
    sign_out(browser)
    lock_account_from_many_addresses(app, "canbo")
    assert LOCKED_VI in text(login_from(browser, OFFICE, "canbo"))
    forged = app.test_client()
    forged.set_cookie("hl_device", "W1siY2FuYm8iLCAiMDAwMCJdXQ.forged", path="/login")
    assert LOCKED_VI in text(login_from(forged, OFFICE, "canbo"))


def test_locks_are_audited_without_the_name_typed_for_an_unknown_account(app, canbo):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login_from(app.test_client(), ATTACKER, "canbo", "nope")
        login_from(app.test_client(), ATTACKER, "hunter2-typed-as-a-name", "nope")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "lock_sign_in")).all()
    assert {(e.after["account"], e.after["address"]) for e in entries} == {("canbo", ATTACKER), (None, ATTACKER)}
    assert all(e.actor == "system" and e.entity == "sign_in" for e in entries)
    assert "hunter2" not in str([e.after for e in entries])


def test_a_lock_ends_by_itself_after_its_time(app, canbo):
    lock_account_from_many_addresses(app, "canbo")
    assert LOCKED_VI in text(login_from(app.test_client(), OFFICE, "canbo"))
    with app.app_context():
        db.session.execute(update(LoginFailure).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert login_from(app.test_client(), OFFICE, "canbo").status_code == 302


def test_admin_sees_the_throttled_account_and_unlocks_it_with_an_audit_entry(app, canbo):
    admin = signed_in(app, "admin", username="quantri")
    lock_account_from_many_addresses(app, "canbo")
    assert "Tạm dừng đăng nhập" in text(admin.get("/users"))
    page = text(admin.get(f"/users/{canbo}"))
    assert "Tạm dừng đăng nhập" in page and "mọi trình duyệt mới" in page
    response = submit(admin, f"/users/{canbo}", f"/users/{canbo}/unlock")
    assert response.status_code == 302
    assert "Đã mở lại đăng nhập cho canbo." in text(admin.get(response.headers["Location"]))
    assert "Tạm dừng đăng nhập" not in text(admin.get("/users"))
    assert login_from(app.test_client(), OFFICE, "canbo").status_code == 302
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unlock_sign_in")).all()
        assert (entry.actor, entry.entity, entry.entity_id) == ("quantri", "user", str(canbo))
        assert entry.before["locks"] and entry.after is None


def test_unlock_needs_the_csrf_token(app, canbo):
    admin = signed_in(app, "admin", username="quantri")
    lock_account_from_many_addresses(app, "canbo")
    assert admin.post(f"/users/{canbo}/unlock").status_code == 400
    assert LOCKED_VI in text(login_from(app.test_client(), OFFICE, "canbo"))


@pytest.mark.parametrize("role", ["manager", "inspector", "viewer"])
def test_only_an_administrator_may_unlock(app, world, canbo, role):
    lock_account_from_many_addresses(app, "canbo")
    other = signed_in(app, role, world.province_id)
    response = submit(other, "/", f"/users/{canbo}/unlock")
    assert response.status_code == 403
    assert LOCKED_VI in text(login_from(app.test_client(), OFFICE, "canbo"))
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unlock_sign_in")).all()


def test_unlock_of_an_unknown_account_is_404(app):
    admin = signed_in(app, "admin", username="quantri")
    assert submit(admin, "/users", "/users/999999/unlock").status_code == 404


def test_unlock_user_command(app, canbo, runner):
    lock_account_from_many_addresses(app, "canbo")
    result = runner.invoke(args=["unlock-user", "canbo"])
    assert result.exit_code == 0, result.output
    assert "Đã mở lại đăng nhập cho canbo" in result.output and "Sign-in unlocked for canbo" in result.output
    assert login_from(app.test_client(), OFFICE, "canbo").status_code == 302
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unlock_sign_in")).all()
        assert entry.actor == "cli" and entry.entity_id == str(canbo)
    again = runner.invoke(args=["unlock-user", "canbo"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_unlock_user_command_refuses_an_unknown_name(app, runner):
    result = runner.invoke(args=["unlock-user", "khongco"])
    assert result.exit_code == 1
    assert "Không có tài khoản 'khongco'. / There is no account 'khongco'." in result.output
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry)).all()


def test_device_cookie_goes_only_to_the_sign_in_page_and_never_to_scripts(app, canbo):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf_token(page), "username": "canbo", "password": PASSWORD})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hl_device=")]
    assert "Path=/login" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "canbo" not in cookie.split(";")[0].split(".")[-1]


def test_every_kind_of_lock_is_audited_once(app, canbo):
    app.config.update(LOGIN_ADDRESS_MAX_FAILURES=6, LOGIN_ACCOUNT_MAX_FAILURES=6)
    owner = app.test_client()
    login_from(owner, OFFICE, "canbo")
    sign_out(owner)
    for _ in range(5):
        login_from(owner, OFFICE, "canbo", "nope")  # the owner's browser: its own lock
    for n in range(6):
        login_from(app.test_client(), f"192.0.2.{n + 1}", "canbo", "nope")  # many addresses: the account's lock
    for n in range(6):
        login_from(app.test_client(), ATTACKER, f"ten{n}", "nope")  # one address, many names: the address's lock
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "lock_sign_in")).all()
    kinds = [(e.after["account"], e.after["address"], e.after.get("device", False)) for e in entries]
    assert len(kinds) == 3
    assert set(kinds) == {("canbo", OFFICE, True), ("canbo", None, False), (None, ATTACKER, False)}
    assert all(e.after["failures"] and e.after["until"] for e in entries)


def test_the_attempt_that_reaches_the_limit_with_the_right_password_signs_in_and_locks_nothing(app, canbo):
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login_from(client, OFFICE, "canbo", "nope")
    assert login_from(client, OFFICE, "canbo").status_code == 302
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "lock_sign_in")).all()
        assert not db.session.scalars(select(LoginFailure).where(LoginFailure.locked_until.is_not(None))).all()
