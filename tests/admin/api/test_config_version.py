"""A kiosk's config version: read cheaply, changed by every change to what the config holds, and only then.

The version comes with the token look-up (``api.auth``), made of the config
stamps that every change draws (``config_stamps``) and of who is on duty
now (``api.kiosk_config``). These tests make changes the ways the service
makes them (the ORM as the commands and the demo do, the console's forms,
the operator commands, the kiosk API), move the clock with their own times,
and hold the version to the config's contents: one version never stands
for two contents.
"""
from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, text, update

from admin import create_app
from admin.api import auth, endpoints, hot_path
from admin.config_stamps import CONFIG_SETTINGS
from admin.db import db, utcnow
from admin.duty import schedule, sign_in, sign_out
from admin.kiosks import register_kiosk, rotate_token
from admin.models import ConfigStamp, Desk, Kiosk, Officer, OfficerPhoto, Reason, Setting, Unit
from admin.scale import KIOSK_SETTINGS
from admin.units import move_unit

from ..conftest import app_config_for
from ..console.console_support import signed_in, submit
from .test_kiosk_endpoints import PNG_1PX

CONFIG = "/api/v1/kiosk/config"
HEARTBEAT = "/api/v1/kiosk/heartbeat"
# The tests' own now, a month ahead of the clock's (inside the world's duty period at desk A, which began
# 400 days ago and is open): the service reads it as now, so what they check depends on no real time.
T0 = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock(monkeypatch):
    """The kiosk API's clock, set by the test: ``clock.now`` is what the service reads as now."""

    class Clock:
        now = T0

    # The config poll reads it with the token (``auth``), the heartbeat in its view.
    monkeypatch.setattr(auth, "utcnow", lambda: Clock.now)
    monkeypatch.setattr(endpoints, "utcnow", lambda: Clock.now)
    return Clock


def heartbeat_version(client, token: str) -> str:
    answer = client.post(HEARTBEAT, json={"uptime_s": 1}, headers=auth_header(token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["config_version"]


def contents(client, token: str) -> tuple[str, dict]:
    """The config's version and its contents (everything but the version and the server's time)."""
    answer = client.get(CONFIG, headers=auth_header(token))
    assert answer.status_code == 200
    body = answer.get_json()
    version = body.pop("config_version")
    body.pop("server_time")
    assert answer.headers["ETag"].strip('"') == version
    return version, body


def digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def change(app, fn) -> None:
    """Run ``fn()`` in the app and commit, as a command does."""
    with app.app_context():
        fn()
        db.session.commit()


def photo_of(officer_id: int, at: datetime) -> OfficerPhoto:
    return OfficerPhoto(officer_id=officer_id, content_type="image/png", data=PNG_1PX, updated_at=at)


def replace_photo(officer_id: int, at: datetime) -> None:
    photo = db.session.get(OfficerPhoto, officer_id)
    if photo is None:
        db.session.add(photo_of(officer_id, at))
    else:
        photo.updated_at = at


def get(model, key):
    return db.session.get(model, key)


def covered_changes(w) -> dict:
    """Changes to what kiosk A's config holds, each a function run in an app context."""
    return {
        "officer name": lambda: setattr(get(Officer, w.officer_a2_id), "name", "Trần Thị Bích"),
        "officer code": lambda: setattr(get(Officer, w.officer_a2_id), "code", "MT-902"),
        "officer title": lambda: setattr(get(Officer, w.officer_a2_id), "title", "Phó chủ tịch"),
        "officer PIN": lambda: setattr(get(Officer, w.officer_a2_id), "pin_hash", "scrypt:32768:8:1$x$y"),
        "officer retired": lambda: setattr(get(Officer, w.officer_a2_id), "active", False),
        "officer moved out": lambda: setattr(get(Officer, w.officer_a2_id), "unit_id", w.commune_b_id),
        "officer moved in": lambda: setattr(get(Officer, w.officer_b_id), "unit_id", w.commune_a_id),
        "officer moved in by relationship": lambda: setattr(get(Officer, w.officer_b_id), "unit",
                                                            get(Unit, w.commune_a_id)),
        "officer added": lambda: db.session.add(Officer(code="MT-003", name="Phạm Thị Dung", unit_id=w.commune_a_id)),
        "photo added": lambda: db.session.add(photo_of(w.officer_a2_id, T0)),
        "unit renamed": lambda: setattr(get(Unit, w.commune_a_id), "name", "UBND phường Mai Trung"),
        "desk renamed": lambda: setattr(get(Desk, w.desk_a_id), "name", "Quầy 9"),
        "desk moved": lambda: setattr(get(Desk, w.desk_a_id), "unit_id", w.commune_b_id),
        "kiosk renamed": lambda: setattr(get(Kiosk, w.kiosk_a_id), "name", "Mai Trung — quầy 9"),
        "kiosk moved": lambda: setattr(get(Kiosk, w.kiosk_a_id), "desk_id", w.desk_b_id),
        "kiosk moved by relationship": lambda: setattr(get(Kiosk, w.kiosk_a_id), "desk", get(Desk, w.desk_b_id)),
        "kiosk setting": lambda: KIOSK_SETTINGS.store({"cooldown_s": 9}),
        "scale": lambda: db.session.add(Setting(key="scale", value={"levels": [
            {"score": s, "label": {"vi": f"Mức {s}", "en": f"Level {s}"}} for s in range(1, 6)]})),
        "reason added": lambda: db.session.add(Reason(code="queue", label_vi="Xếp hàng lâu", label_en="Long queue",
                                                      position=9)),
        "reason relabelled": lambda: setattr(get(Reason, "slow"), "label_en", "Slow"),
        "reason retired": lambda: setattr(get(Reason, "other"), "active", False),
        "officer on duty signed out": lambda: sign_out(w.desk_a_id, w.officer_a_id, T0 - timedelta(minutes=1)),
        "another officer signed in": lambda: sign_in(w.desk_a_id, w.officer_a2_id, T0 - timedelta(minutes=1)),
    }


@pytest.mark.parametrize("name", list(covered_changes(None)))
def test_config_version_changes_with_each_change_to_what_the_config_holds(app, client, world, clock, name):
    before, old = contents(client, world.token_a)
    change(app, covered_changes(world)[name])
    after, new = contents(client, world.token_a)
    assert new != old, "the change must show in the config"
    assert after != before
    assert heartbeat_version(client, world.token_a) == after
    polled = client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{before}"'})
    assert polled.status_code == 200
    assert polled.get_json()["config_version"] == after


def test_config_version_of_a_photo_replaced_or_removed(app, client, world, clock):
    change(app, lambda: db.session.add(photo_of(world.officer_a_id, T0)))
    first, _ = contents(client, world.token_a)
    change(app, lambda: replace_photo(world.officer_a_id, T0 + timedelta(seconds=5)))
    replaced, body = contents(client, world.token_a)
    assert replaced != first
    assert any(o["photo_url"] and o["photo_url"].endswith(f"v={int(T0.timestamp()) + 5}") for o in body["officers"])

    def remove():
        get(Officer, world.officer_a_id).photo = None

    change(app, remove)
    removed, body = contents(client, world.token_a)
    assert removed not in (first, replaced)
    assert all(o["photo_url"] is None for o in body["officers"])


def test_config_version_follows_the_officer_on_duty_from_another_unit(app, client, world, clock):
    # Officer B (of commune B) signs in at desk A: commune A's kiosk lists them, and sees their changes.
    change(app, lambda: sign_in(world.desk_a_id, world.officer_b_id, T0 - timedelta(minutes=5)))
    before, body = contents(client, world.token_a)
    assert body["on_duty"]["officer_id"] == world.officer_b_id
    change(app, lambda: setattr(get(Officer, world.officer_b_id), "name", "Lê Văn Cường (phó)"))
    after, body = contents(client, world.token_a)
    assert after != before
    assert any(o["name"] == "Lê Văn Cường (phó)" for o in body["officers"])


def unrelated_changes(w) -> dict:
    """Changes to nothing kiosk A's config holds, each a function run in an app context."""
    return {
        "officer of another unit": lambda: setattr(get(Officer, w.officer_b_id), "title", "Phó chủ tịch"),
        "photo of an officer of another unit": lambda: db.session.add(photo_of(w.officer_b_id, T0)),
        "another unit renamed": lambda: setattr(get(Unit, w.commune_b_id), "name", "UBND xã Hợp Thịnh mới"),
        "unit kind": lambda: setattr(get(Unit, w.commune_a_id), "kind", "department"),
        "desk of another unit": lambda: setattr(get(Desk, w.desk_b_id), "name", "Quầy 7"),
        "desk closed": lambda: setattr(get(Desk, w.desk_a_id), "active", False),
        "another kiosk renamed": lambda: setattr(get(Kiosk, w.kiosk_b_id), "name", "Hợp Thịnh — quầy 7"),
        "token rotated": lambda: rotate_token(get(Kiosk, w.kiosk_b_id)),
        "kiosk added at the desk": lambda: register_kiosk(get(Desk, w.desk_a_id), "Mai Trung — quầy 1 bis"),
        "desk added to the unit": lambda: db.session.add(Desk(unit_id=w.commune_a_id, name="Quầy 3")),
        "unit added below": lambda: db.session.add(Unit(name="Tổ 1", kind="department", parent_id=w.commune_a_id,
                                                        path="")),
        "alert settings": lambda: db.session.add(Setting(key="alerts", value={"poll_s": 9})),
        "duty at another desk": lambda: sign_in(w.desk_b_id, w.officer_b_id, T0 - timedelta(minutes=1)),
        "duty scheduled later": lambda: schedule(w.desk_b_id, w.officer_b_id, T0 + timedelta(days=1), None),
        "heartbeat fields": lambda: setattr(get(Kiosk, w.kiosk_a_id), "last_heartbeat", {"outbox_depth": 3}),
        "seen": lambda: setattr(get(Kiosk, w.kiosk_a_id), "last_seen_at", T0),
        "same name again": lambda: setattr(get(Officer, w.officer_a_id), "name", get(Officer, w.officer_a_id).name),
    }


@pytest.mark.parametrize("name", list(unrelated_changes(None)))
def test_config_version_unchanged_by_what_the_config_does_not_hold(app, client, world, clock, name):
    before, old = contents(client, world.token_a)
    change(app, unrelated_changes(world)[name])
    after, new = contents(client, world.token_a)
    assert (after, new) == (before, old)
    polled = client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{before}"'})
    assert polled.status_code == 304


def test_config_version_unchanged_by_the_kiosk_api_traffic(app, client, world, clock):
    before = heartbeat_version(client, world.token_a)
    rating = {"id": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b", "seq": 1, "score": 3, "officer_id": world.officer_a_id,
              "source": "touch", "created_at": (T0 - timedelta(seconds=3)).isoformat()}
    stored = client.post("/api/v1/ratings", json={"ratings": [rating]}, headers=auth_header(world.token_a))
    assert stored.get_json()["accepted"] == [rating["id"]]
    for _ in range(3):
        assert heartbeat_version(client, world.token_a) == before
    assert client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{before}"'}).status_code == 304


def test_config_version_changes_at_duty_boundaries_without_any_write(app, client, world, clock):
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    change(app, lambda: schedule(world.desk_b_id, world.officer_b_id, start, end))
    with app.app_context():
        stamps = db.session.execute(select(ConfigStamp.scope, ConfigStamp.stamp)).all()

    def at(instant):
        clock.now = instant
        return contents(client, world.token_b)

    idle, body = at(start - timedelta(seconds=1))
    assert body["on_duty"] is None
    on, body = at(start)
    assert on != idle
    assert body["on_duty"] == {"officer_id": world.officer_b_id, "since": start.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert at(end - timedelta(seconds=1))[0] == on
    off, body = at(end)
    assert body["on_duty"] is None
    # Nobody on duty again, and nothing else changed: the version of the same contents.
    assert off == idle
    # A kiosk holding the version from before the start is told at its next heartbeat.
    clock.now = start + timedelta(minutes=1)
    assert heartbeat_version(client, world.token_b) == on
    with app.app_context():
        assert db.session.execute(select(ConfigStamp.scope, ConfigStamp.stamp)).all() == stamps


def test_config_version_changes_when_the_kiosk_signs_an_officer_in_and_out(app, client, world, clock):
    # The kiosk API takes the events' times against the real clock: these are the real now's.
    def duty(action: str, at: datetime) -> None:
        item = {"id": str(uuid.uuid4()), "officer_id": world.officer_b_id, "action": action, "at": at.isoformat()}
        answer = client.post("/api/v1/kiosk/duty", json={"events": [item]}, headers=auth_header(world.token_b))
        assert answer.get_json()["rejected"] == []

    clock.now = utcnow()
    empty = heartbeat_version(client, world.token_b)
    duty("sign_in", clock.now - timedelta(seconds=2))
    on = heartbeat_version(client, world.token_b)
    assert on != empty
    duty("sign_out", clock.now - timedelta(seconds=1))
    assert heartbeat_version(client, world.token_b) == empty


class Statements:
    """The statements a request runs: on the hot path (``hot_path``) and through SQLAlchemy."""

    def __init__(self, monkeypatch, app):
        self.hot: list[str] = []
        self.orm: list[str] = []
        run = hot_path._run

        def counted(conn, sql, params, fetch):
            self.hot.append(sql)
            return run(conn, sql, params, fetch)

        monkeypatch.setattr(hot_path, "_run", counted)
        with app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._orm)

    def _orm(self, _conn, _cursor, statement, *_args):
        self.orm.append(statement)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._orm)


def test_poll_and_heartbeat_read_the_version_in_one_statement_without_building_the_config(
    app, client, world, clock, monkeypatch
):
    etag = client.get(CONFIG, headers=auth_header(world.token_a)).headers["ETag"]

    def no_config(*_args):
        raise AssertionError("the config was built")

    monkeypatch.setattr(endpoints, "build_config", no_config)
    counted = Statements(monkeypatch, app)
    try:
        poll = client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": etag})
        assert poll.status_code == 304
        assert (len(counted.hot), counted.orm) == (1, [])
        beat = client.post(HEARTBEAT, json={"uptime_s": 60, "outbox_depth": 0}, headers=auth_header(world.token_a))
        assert beat.status_code == 200
        assert beat.get_json()["config_version"] == etag.strip('"')
        assert counted.orm == []
        # One statement for the heartbeat: on PostgreSQL its look-up writes it too, SQLite's goes to the group writer.
        assert len(counted.hot) == 2
    finally:
        counted.close()
    with app.app_context():
        kiosk = get(Kiosk, world.kiosk_a_id)
        assert (kiosk.last_seen_at, kiosk.last_heartbeat) == (T0, {"uptime_s": 60, "outbox_depth": 0})


def test_heartbeat_keeps_the_clock_offset_of_the_last_heartbeat_that_had_a_clock(app, client, world, clock):
    ahead = (T0 + timedelta(seconds=90)).astimezone(timezone(timedelta(hours=7))).isoformat()
    client.post(HEARTBEAT, json={"clock": ahead}, headers=auth_header(world.token_a))
    client.post(HEARTBEAT, json={"uptime_s": 5}, headers=auth_header(world.token_a))
    with app.app_context():
        kiosk = get(Kiosk, world.kiosk_a_id)
        assert kiosk.clock_offset_s == 90
        assert kiosk.last_heartbeat == {"uptime_s": 5}


def test_two_instances_on_one_database_agree_at_once(app, client, world, clock, db_url, tmp_path):
    other = create_app(app_config_for(db_url))
    other.instance_path = str(tmp_path / "other")
    other_client = other.test_client()
    try:
        first = heartbeat_version(client, world.token_a)
        assert heartbeat_version(other_client, world.token_a) == first
        # Changed through the other instance: this one sees it at the next request.
        change(other, lambda: setattr(get(Officer, world.officer_a_id), "title", "Chủ tịch"))
        polled = client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{first}"'})
        assert polled.status_code == 200
        assert polled.get_json()["officers"][0]["title"] == "Chủ tịch"
        second = polled.get_json()["config_version"]
        assert heartbeat_version(other_client, world.token_a) == second != first
        # And the other way round.
        change(app, lambda: KIOSK_SETTINGS.store({"thanks_s": 7}))
        answer = other_client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{second}"'})
        assert answer.status_code == 200
        assert answer.get_json()["settings"]["thanks_s"] == 7
        assert heartbeat_version(client, world.token_a) == answer.get_json()["config_version"] != second
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_console_changes_change_the_version_and_only_those(app, client, world, clock):
    admin = signed_in(app, "admin")
    versions = [heartbeat_version(client, world.token_a)]

    def changed() -> bool:
        versions.append(heartbeat_version(client, world.token_a))
        return versions[-1] != versions[-2]

    officer = f"/officers/{world.officer_a2_id}/edit"
    assert submit(admin, officer, data={"code": "MT-002", "name": "Trần Thị Bích", "title": "Công chức tư pháp",
                                        "unit_id": world.commune_a_id, "active": "y"}).status_code == 302
    assert changed()
    assert submit(admin, officer, f"/officers/{world.officer_a2_id}/pin",
                  {"pin": "482913", "confirm": "482913"}).status_code == 302
    assert changed()
    from ..console.test_console_officers import picture, upload

    assert upload(admin, world.officer_a2_id, picture("PNG"), "anh.png").status_code == 302
    assert changed()
    assert submit(admin, f"/desks/{world.desk_a_id}/edit",
                  data={"unit_id": world.commune_a_id, "name": "Quầy 1 — Địa chính", "active": "y"}).status_code == 302
    assert changed()
    assert submit(admin, f"/units/{world.commune_a_id}/edit",
                  data={"name": "UBND phường Mai Trung", "kind": "commune", "parent": world.district_id}
                  ).status_code == 302
    assert changed()
    # What the config does not hold: a new desk, a new kiosk, another kiosk's new token, duty scheduled later.
    assert submit(admin, "/desks/new", data={"unit_id": world.commune_a_id, "name": "Quầy 2", "active": "y"}
                  ).status_code == 302
    assert submit(admin, "/kiosks/new", data={"desk_id": world.desk_a_id, "name": "Mai Trung — quầy 1 bis"}
                  ).status_code == 200
    assert submit(admin, f"/kiosks/{world.kiosk_b_id}", f"/kiosks/{world.kiosk_b_id}/rotate").status_code == 200
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(app.config["TZ"]).strftime("%Y-%m-%dT%H:%M")
    assert submit(admin, f"/desks/{world.desk_b_id}/duty",
                  data={"officer_id": world.officer_b_id, "starts_at": tomorrow}).status_code == 302
    assert not changed()


def test_operator_commands_change_the_version_and_only_those(app, client, runner, world, clock):
    before = heartbeat_version(client, world.token_a)
    assert runner.invoke(args=["alert-settings", "poll_s=45"]).exit_code == 0
    assert runner.invoke(args=["register-kiosk", "--desk", str(world.desk_a_id), "--name", "Quầy 1 bis"]).exit_code == 0
    assert heartbeat_version(client, world.token_a) == before
    assert runner.invoke(args=["kiosk-settings", "cooldown_s=3"]).exit_code == 0
    assert heartbeat_version(client, world.token_a) != before


def test_a_bulk_statement_on_a_config_table_changes_every_version(app, client, world, clock):
    before_a, before_b = heartbeat_version(client, world.token_a), heartbeat_version(client, world.token_b)
    change(app, lambda: db.session.execute(update(Officer).where(Officer.id == -1).values(title="x")))
    assert heartbeat_version(client, world.token_a) != before_a
    assert heartbeat_version(client, world.token_b) != before_b
    # Moving a unit rewrites the paths below it in one statement: to be safe, every version changes.
    middle = heartbeat_version(client, world.token_b)
    change(app, lambda: move_unit(get(Unit, world.commune_a_id), get(Unit, world.province_id)))
    assert heartbeat_version(client, world.token_b) != middle


def test_stamps_are_random_so_a_restored_database_gives_no_old_version_again(app, client, world, clock):
    before = heartbeat_version(client, world.token_a)
    with app.app_context():
        saved = db.session.execute(select(ConfigStamp.scope, ConfigStamp.stamp)).all()
    change(app, lambda: setattr(get(Officer, world.officer_a_id), "title", "Chủ tịch"))
    held = heartbeat_version(client, world.token_a)
    # The backup is restored, and the same change is made again with another value.

    def restore():
        db.session.execute(text("DELETE FROM config_stamps"))
        for scope, stamp in saved:
            db.session.add(ConfigStamp(scope=scope, stamp=stamp))
        get(Officer, world.officer_a_id).title = "Công chức địa chính"

    change(app, restore)
    change(app, lambda: setattr(get(Officer, world.officer_a_id), "title", "Phó chủ tịch"))
    assert heartbeat_version(client, world.token_a) not in (before, held)


def test_config_settings_are_those_the_config_holds():
    assert CONFIG_SETTINGS == {"scale", KIOSK_SETTINGS.key}


def random_changes(w, rng: random.Random, step: int):
    """A change picked by ``rng``, run in an app context: what the commands and the console do, mixed."""
    officers = (w.officer_a_id, w.officer_a2_id, w.officer_b_id)
    units = (w.commune_a_id, w.commune_b_id)
    officer = rng.choice(officers)
    moment = T0 + timedelta(minutes=step)
    choices = [
        lambda: setattr(get(Officer, officer), "title", rng.choice(["A", "B", "C"])),
        lambda: setattr(get(Officer, officer), "active", rng.random() < 0.7),
        lambda: setattr(get(Officer, officer), "unit_id", rng.choice(units)),
        lambda: setattr(get(Officer, officer), "pin_hash", rng.choice([None, "scrypt:1$a$b", "scrypt:1$c$d"])),
        lambda: replace_photo(officer, moment),
        lambda: setattr(get(Unit, rng.choice(units)), "name", rng.choice(["X", "Y"])),
        lambda: setattr(get(Desk, rng.choice((w.desk_a_id, w.desk_b_id))), "name", rng.choice(["Q1", "Q2"])),
        lambda: setattr(get(Kiosk, rng.choice((w.kiosk_a_id, w.kiosk_b_id))), "desk_id",
                        rng.choice((w.desk_a_id, w.desk_b_id))),
        lambda: KIOSK_SETTINGS.store({"cooldown_s": rng.randint(0, 2)}),
        lambda: setattr(get(Reason, "slow"), "active", rng.random() < 0.5),
        lambda: sign_in(rng.choice((w.desk_a_id, w.desk_b_id)), officer, moment - timedelta(seconds=30)),
        lambda: [sign_out(desk, officer, moment - timedelta(seconds=30)) for desk in (w.desk_a_id, w.desk_b_id)],
        lambda: setattr(get(Kiosk, w.kiosk_a_id), "last_heartbeat", {"uptime_s": step}),
        lambda: None,
    ]
    return rng.choice(choices)


def test_one_version_never_stands_for_two_contents(app, client, world, clock):
    rng = random.Random(20261203)
    seen: dict[str, str] = {}
    for step in range(60):
        change(app, random_changes(world, rng, step))
        clock.now = T0 + timedelta(minutes=step)
        for token in (world.token_a, world.token_b):
            version, body = contents(client, token)
            assert seen.setdefault(f"{token}:{version}", digest(body)) == digest(body), f"step {step}"
            assert heartbeat_version(client, token) == version


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_hot_path_survives_the_database_dropping_its_connections(app, client, world, clock):
    # A dropped connection is a PostgreSQL server's doing.
    before = heartbeat_version(client, world.token_a)
    with app.app_context():
        hot = hot_path.hot_engine()
        with hot.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        # The server ends the pooled connection (a restart, an administrator): the next request still answers.
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()
    assert heartbeat_version(client, world.token_a) == before
    poll = client.get(CONFIG, headers={**auth_header(world.token_a), "If-None-Match": f'"{before}"'})
    assert poll.status_code == 304


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_heartbeat_on_postgresql_does_not_wait_for_the_disk_but_is_seen_at_once(app, client, world, clock):
    # SQLite's heartbeats go through the group writer, which waits for the disk with the ratings.
    with app.app_context():
        with hot_path.hot_engine().connect() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        # The app's own connections, which write ratings, still wait for the disk.
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
    client.post(HEARTBEAT, json={"outbox_depth": 7}, headers=auth_header(world.token_a))
    with app.app_context():
        assert get(Kiosk, world.kiosk_a_id).last_heartbeat == {"outbox_depth": 7}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_hot_path_connections_are_closed_with_the_app_engine(app, client, world):
    # Whoever disposes of the app's engine (a test's teardown, a shutdown) leaves no hot-path connection open.
    assert client.get(CONFIG, headers=auth_header(world.token_a)).status_code == 200
    with app.app_context():
        pooled = hot_path.hot_engine().raw_connection()
        driver_connection = pooled.dbapi_connection
        pooled.close()
        assert not driver_connection.closed
        db.engine.dispose()
        assert driver_connection.closed
