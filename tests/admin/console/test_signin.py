"""Signing in and out of the console: passwords, throttling, CSRF, headers, language."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.db import db, utcnow
from admin.models import LoginFailure, User

from .console_support import PASSWORD, add_user, csrf_token, login, submit, text

LOCKED_VI = "Đăng nhập sai quá nhiều lần"
WRONG_VI = "Sai tên đăng nhập hoặc mật khẩu."


@pytest.fixture
def few_failures(app):
    """Lock after three failures, so the tests stay short."""
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_ADDRESS_MAX_FAILURES=3, LOGIN_ACCOUNT_MAX_FAILURES=6)
    return app


def test_login_success_opens_overview(app, client):
    add_user(app, "quanly", "admin")
    response = login(client, "quanly")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Tổng quan" in text(page)
    assert "quanly" in text(page)


def test_login_wrong_password_shows_message(app, client):
    add_user(app, "quanly", "admin")
    response = login(client, "quanly", "wrong password")
    assert response.status_code == 200
    assert WRONG_VI in text(response)
    assert client.get("/").status_code == 302


def test_login_unknown_user_same_message_as_wrong_password(app, client):
    response = login(client, "nobody")
    assert WRONG_VI in text(response)


def test_login_inactive_user_refused(app, client):
    user_id = add_user(app, "nghiviec", "manager")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert WRONG_VI in text(login(client, "nghiviec"))


def test_console_pages_need_sign_in(client, app):
    response = client.get("/officers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_throttle_locks_user_after_failures_even_with_right_password(few_failures, client):
    add_user(few_failures, "canbo", "manager")
    for _ in range(2):
        assert WRONG_VI in text(login(client, "canbo", "nope"))
    third = login(client, "canbo", "nope")
    assert LOCKED_VI in text(third)
    # Locked now: the right password does not get in either.
    locked = login(client, "canbo", PASSWORD)
    assert LOCKED_VI in text(locked)
    assert client.get("/").status_code == 302


def test_throttle_message_same_for_unknown_user(few_failures, client):
    for _ in range(3):
        response = login(client, "khongco", "nope")
    assert LOCKED_VI in text(response)
    assert "15 phút" in text(response)


def test_throttle_counts_per_address_across_user_names(few_failures, client):
    add_user(few_failures, "canbo", "manager")
    for name in ("a1", "a2", "a3"):
        login(client, name, "nope")
    # The address is locked: even a correct sign-in from it waits.
    assert LOCKED_VI in text(login(client, "canbo"))


def test_throttle_lock_ends_after_lock_time(few_failures, client):
    add_user(few_failures, "canbo", "manager")
    for _ in range(3):
        login(client, "canbo", "nope")
    with few_failures.app_context():
        for row in db.session.scalars(select(LoginFailure)):
            row.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, "canbo").status_code == 302


def test_success_clears_the_counter_of_its_address_and_takes_its_attempt_back_from_the_shared_ones(few_failures, client):
    add_user(few_failures, "canbo", "manager")
    login(client, "canbo", "nope")
    login(client, "canbo", "nope")
    assert login(client, "canbo").status_code == 302
    with few_failures.app_context():
        counts = dict(db.session.execute(select(LoginFailure.key, LoginFailure.failures)).all())
    # The two failures still count for the account and the address; the success does not.
    assert counts == {"user:canbo": 2, "addr:127.0.0.1": 2}


def test_post_without_csrf_token_rejected(app):
    add_user(app, "quanly", "admin")
    client = app.test_client()
    login(client, "quanly")
    response = client.post("/units/new", data={"name": "Xã Mới", "kind": "commune", "parent": "0"})
    assert response.status_code == 400
    assert "tải lại trang" in text(response)


def test_login_without_csrf_token_rejected(app, client):
    add_user(app, "quanly", "admin")
    response = client.post("/login", data={"username": "quanly", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_is_a_post(app, client):
    add_user(app, "quanly", "admin")
    login(client, "quanly")
    assert client.get("/logout").status_code == 405
    response = submit(client, "/", "/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_security_headers_on_console_pages(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_vietnamese_by_default_english_on_request(app, client):
    page = client.get("/login")
    assert '<html lang="vi">' in page.get_data(as_text=True)
    assert "Đăng nhập" in text(page)
    assert "Tên đăng nhập" in text(page)
    response = client.post(
        "/language", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "lang": "en", "next": "/login"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    english = client.get("/login")
    assert "Sign in" in text(english)
    assert "User name" in text(english)
    assert "Đăng nhập" not in text(english)


def test_english_choice_survives_sign_out(app, client):
    add_user(app, "quanly", "admin")
    login(client, "quanly")
    submit(client, "/", "/language", {"lang": "en", "next": "/"})
    assert "Overview" in text(client.get("/"))
    submit(client, "/", "/logout")
    assert "Sign in" in text(client.get("/login"))


def test_language_switch_refuses_other_sites(app, client):
    response = submit(client, "/login", "/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_error_messages_in_english_after_switch(app, client):
    submit(client, "/login", "/language", {"lang": "en", "next": "/login"})
    response = login(client, "nobody")
    assert "Wrong user name or password." in text(response)


def test_sign_in_returns_to_the_page_asked_for(app, client):
    add_user(app, "quanly", "admin")
    asked = client.get("/officers")
    page = client.get(asked.headers["Location"])
    assert "Vui lòng đăng nhập để xem trang này." in text(page)
    response = client.post(asked.headers["Location"], data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "quanly", "password": PASSWORD,
    })
    assert response.headers["Location"] == "/officers"


def test_sign_in_never_redirects_off_site(app, client):
    add_user(app, "quanly", "admin")
    page = client.get("/login?next=//evil.example/")
    response = client.post("/login?next=//evil.example/", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "quanly", "password": PASSWORD,
    })
    assert response.headers["Location"] == "/"


def test_throttle_counts_guesses_sent_in_parallel(few_failures):
    import threading

    add_user(few_failures, "canbo", "manager")
    answers: list[str] = []
    barrier = threading.Barrier(12)

    def guess(password: str) -> None:
        client = few_failures.test_client()
        client.get("/login")
        barrier.wait()
        answers.append(text(login(client, "canbo", password)))

    threads = [threading.Thread(target=guess, args=("nope",)) for _ in range(11)]
    threads.append(threading.Thread(target=guess, args=(PASSWORD,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # At most three passwords were checked (LOGIN_MAX_FAILURES = 3): the rest were refused unchecked.
    assert sum(WRONG_VI in a for a in answers) <= 3
    assert sum(LOCKED_VI in a for a in answers) >= 8


def test_success_does_not_count_against_a_shared_address(few_failures, client):
    add_user(few_failures, "quantri", "admin")
    for _ in range(6):
        assert login(client, "quantri").status_code == 302
        page = client.get("/").get_data(as_text=True)
        assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert login(client, "quantri").status_code == 302


def test_session_cookie_is_secure_unless_the_demo_allows_plain_http(tmp_path, monkeypatch):
    from admin import create_app

    monkeypatch.delenv("ADMIN_INSECURE_COOKIES", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})
    res = app.test_client().get("/login")
    cookie = res.headers["Set-Cookie"]  # the CSRF token lives in the session
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]

    monkeypatch.setenv("ADMIN_INSECURE_COOKIES", "1")
    demo = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.db'}"})
    assert "Secure" not in demo.test_client().get("/login").headers["Set-Cookie"]
