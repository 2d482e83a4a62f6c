"""Console sessions end on the server: a copied cookie is worth nothing after sign-out, a reset or idleness."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from admin.db import db, utcnow
from admin.models import SignInSession, User

from .console_support import add_user, csrf_token, login, signed_in, submit, text

NEW_PASSWORD = "mật khẩu mới 2026"


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def refused(client, path: str = "/") -> bool:
    response = client.get(path)
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.fixture
def canbo(app) -> int:
    return add_user(app, "canbo", "viewer")


def test_cookie_copied_before_sign_out_is_refused_after(app, canbo):
    client = app.test_client()
    assert login(client, "canbo").status_code == 302
    thief = copy_of_cookie(app, client)
    assert thief.get("/").status_code == 200
    submit(client, "/", "/logout")
    assert refused(thief)
    assert refused(client)


def test_cookie_copied_before_a_password_reset_is_refused_after(app, canbo):
    admin = signed_in(app, "admin", username="quantri")
    client = app.test_client()
    login(client, "canbo")
    thief = copy_of_cookie(app, client)
    submit(admin, f"/users/{canbo}", f"/users/{canbo}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused(thief)
    with app.app_context():
        assert db.session.scalars(select(SignInSession).where(SignInSession.user_id == canbo)).one().ended_at


def test_cookie_copied_before_deactivation_is_refused_after_reactivation(app, canbo):
    admin = signed_in(app, "admin", username="quantri")
    client = app.test_client()
    login(client, "canbo")
    thief = copy_of_cookie(app, client)
    submit(admin, f"/users/{canbo}", f"/users/{canbo}/active")
    submit(admin, f"/users/{canbo}", f"/users/{canbo}/active")
    assert refused(thief)
    assert login(app.test_client(), "canbo").status_code == 302


def test_session_ends_after_idle_time(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(update(SignInSession).values(
            last_seen_at=utcnow() - timedelta(seconds=app.config["SESSION_IDLE_S"] + 1)))
        db.session.commit()
    assert refused(client)
    with app.app_context():
        assert db.session.scalars(select(SignInSession)).one().ended_at is not None


def test_session_ends_after_its_longest_life_however_busy(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    with app.app_context():
        db.session.execute(update(SignInSession).values(
            started_at=utcnow() - timedelta(seconds=app.config["SESSION_MAX_S"] + 1)))
        db.session.commit()
    assert refused(client)


def test_use_keeps_a_session_alive(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    long_ago = utcnow() - timedelta(seconds=app.config["SESSION_IDLE_S"] - 60)
    with app.app_context():
        db.session.execute(update(SignInSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(SignInSession)).one().last_seen_at > long_ago + timedelta(seconds=30)


def test_the_cookie_holds_no_user_id_and_the_table_no_token(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    from flask.sessions import SecureCookieSessionInterface

    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    token = signer.loads(client.get_cookie("session").value)["_user_id"]
    assert len(token) >= 40 and not token.startswith(f"{canbo}:")
    with app.app_context():
        row = db.session.scalars(select(SignInSession)).one()
    assert token not in row.token_hash


def test_a_user_sees_their_sessions_and_ends_another(app, canbo):
    office, phone = app.test_client(), app.test_client()
    login(office, "canbo")
    login(phone, "canbo")
    page = office.get("/account/sessions")
    assert page.status_code == 200
    assert "Phiên này" in text(page) and text(page).count("Kết thúc") >= 1
    with app.app_context():
        ids = db.session.scalars(select(SignInSession.id).order_by(SignInSession.id)).all()
    response = office.post(f"/account/sessions/{ids[1]}/end", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert refused(phone)
    assert office.get("/").status_code == 200


def test_a_user_cannot_end_someone_elses_session(app, canbo):
    other = signed_in(app, "viewer", username="khac")
    mine = app.test_client()
    login(mine, "canbo")
    with app.app_context():
        theirs = db.session.scalars(
            select(SignInSession.id).where(SignInSession.user_id != canbo)).one()
    page = mine.get("/account/sessions").get_data(as_text=True)
    assert mine.post(f"/account/sessions/{theirs}/end", data={"csrf_token": csrf_token(page)}).status_code == 404
    assert other.get("/").status_code == 200


def test_ending_a_session_needs_the_csrf_token(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    with app.app_context():
        mine = db.session.scalars(select(SignInSession.id)).one()
    assert client.post(f"/account/sessions/{mine}/end").status_code == 400
    assert client.get("/").status_code == 200


def test_sessions_page_needs_sign_in(app):
    assert refused(app.test_client(), "/account/sessions")


def test_admin_signs_an_account_out_of_every_browser_keeping_its_password(app, canbo):
    from admin.models import AuditEntry

    admin = signed_in(app, "admin", username="quantri")
    office, phone = app.test_client(), app.test_client()
    login(office, "canbo")
    login(phone, "canbo")
    assert "Phiên đang mở 2" in text(admin.get(f"/users/{canbo}"))
    response = submit(admin, f"/users/{canbo}", f"/users/{canbo}/sessions/end")
    assert "Đã kết thúc 2 phiên của canbo." in text(admin.get(response.headers["Location"]))
    assert refused(office) and refused(phone)
    assert admin.get("/").status_code == 200
    assert login(app.test_client(), "canbo").status_code == 302
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "end_sessions")).all()
        assert (entry.actor, entry.entity_id, entry.before) == ("quantri", str(canbo), {"open_sessions": 2})


@pytest.mark.parametrize("role", ["manager", "inspector", "viewer"])
def test_only_an_administrator_ends_someone_elses_sessions(app, world, canbo, role):
    victim = app.test_client()
    login(victim, "canbo")
    other = signed_in(app, role, world.province_id)
    assert submit(other, "/", f"/users/{canbo}/sessions/end").status_code == 403
    assert victim.get("/").status_code == 200


def test_signing_out_of_one_browser_leaves_the_others_signed_in(app, canbo):
    office, phone = app.test_client(), app.test_client()
    login(office, "canbo")
    login(phone, "canbo")
    submit(office, "/", "/logout")
    assert refused(office)
    assert phone.get("/").status_code == 200


def test_a_user_ends_all_their_other_sessions_at_once(app, canbo):
    office, phone, laptop = app.test_client(), app.test_client(), app.test_client()
    for client in (office, phone, laptop):
        login(client, "canbo")
    response = submit(office, "/account/sessions", "/account/sessions/end-others")
    assert "Đã kết thúc 2 phiên khác." in text(office.get(response.headers["Location"]))
    assert refused(phone) and refused(laptop)
    assert office.get("/").status_code == 200
    assert "Kết thúc mọi phiên khác" not in text(office.get("/account/sessions"))


def test_a_cookie_of_the_old_kind_naming_a_user_id_is_refused(app, canbo):
    from flask.sessions import SecureCookieSessionInterface

    with app.app_context():
        fingerprint = db.session.get(User, canbo).session_fingerprint()
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    old = app.test_client()
    old.set_cookie("session", signer.dumps({"_user_id": f"{canbo}:{fingerprint}", "_fresh": True}))
    assert refused(old)


def test_ending_a_session_is_a_post_and_an_unknown_one_is_404(app, canbo):
    client = app.test_client()
    login(client, "canbo")
    assert client.get("/account/sessions/1/end").status_code == 405
    assert submit(client, "/account/sessions", "/account/sessions/999999/end").status_code == 404
    assert client.get("/").status_code == 200
