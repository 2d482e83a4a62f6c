"""Fixtures of the central service's tests: an app on each database, a small province.

Every test that takes ``app`` runs twice: on a fresh SQLite file and on
PostgreSQL (``TEST_DATABASE_URL``), in a schema of its own that the run
creates and drops. Under ``CI=true`` a missing PostgreSQL fails the run
instead of skipping it.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import admin
from admin import create_app
from admin.db import db
from admin.scale import ensure_default_reasons

from ..conftest import IN_CI, PG_URL

TRANSLATIONS = Path(admin.__file__).parent / "translations"


def compile_translations() -> None:
    """Build the .mo catalogues from the .po files (what the Makefile does), if out of date."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po)
        partial = mo_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        with partial.open("wb") as mo:
            write_mo(mo, catalog)
        partial.replace(mo_path)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The console and the commands speak Vietnamese: the catalogues are compiled once per run."""
    compile_translations()


@pytest.fixture(scope="session")
def pg_schema():
    """A PostgreSQL schema for this test run, with the tables created once."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    name = f"hl_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except OperationalError as err:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {err.orig}")
    url = pg_url_with_schema(name)
    app = create_app(app_config_for(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


def pg_url_with_schema(schema: str) -> str:
    """``TEST_DATABASE_URL`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def app_config_for(url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # scrypt at 1/32 of its cost: the sign-in tests check hundreds of passwords, none of them its strength
        # (test_users.py checks what the service stores by default).
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        **extra,
    }


def _truncate_all(app) -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The database URL of one test: a new SQLite file, or the run's PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hailong.db'}"
    return request.getfixturevalue("pg_schema")


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app(app_config_for(db_url))
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        if db_url.startswith("postgresql"):
            _truncate_all(app)
        else:
            db.create_all()
        ensure_default_reasons()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    """An app on a database with no tables at all."""
    if request.param == "sqlite":
        yield create_app(app_config_for(f"sqlite:///{tmp_path / 'old.db'}"))
        return
    request.getfixturevalue("pg_schema")  # skips when PostgreSQL is not there
    schema = f"hl_mig_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    app = create_app(app_config_for(pg_url_with_schema(schema)))
    yield app
    with app.app_context():
        db.engine.dispose()
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Ids and tokens of the small province that ``world`` builds."""

    province_id: int
    district_id: int
    commune_a_id: int
    commune_b_id: int
    desk_a_id: int
    desk_b_id: int
    officer_a_id: int
    officer_a2_id: int
    officer_b_id: int
    kiosk_a_id: int
    kiosk_b_id: int
    token_a: str
    token_b: str


@pytest.fixture
def world(app) -> World:
    """A province → district → communes A and B, a desk, officers and a kiosk in each commune.

    Officer A is on duty (scheduled) at desk A from now on.
    """
    from datetime import timedelta

    from admin.db import utcnow
    from admin.kiosks import register_kiosk
    from admin.models import Desk, DutyPeriod, Officer, Unit

    w = World()
    with app.app_context():
        province = Unit(name="Tỉnh Bắc Giang", kind="province")
        db.session.add(province)
        db.session.flush()
        province.path = f"/{province.id}/"
        district = Unit(name="Huyện Hiệp Hoà", kind="district", parent=province)
        db.session.add(district)
        db.session.flush()
        district.path = f"{province.path}{district.id}/"
        communes = []
        for name in ("UBND xã Mai Trung", "UBND xã Hợp Thịnh"):
            unit = Unit(name=name, kind="commune", parent=district)
            db.session.add(unit)
            db.session.flush()
            unit.path = f"{district.path}{unit.id}/"
            communes.append(unit)
        desk_a = Desk(unit=communes[0], name="Quầy 1 — Đất đai")
        desk_b = Desk(unit=communes[1], name="Quầy 1 — Tư pháp")
        officer_a = Officer(code="MT-001", name="Nguyễn Văn An", title="Công chức địa chính", unit=communes[0])
        officer_a2 = Officer(code="MT-002", name="Trần Thị Bình", title="Công chức tư pháp", unit=communes[0])
        officer_b = Officer(code="HT-001", name="Lê Văn Cường", title="Công chức văn phòng", unit=communes[1])
        db.session.add_all([desk_a, desk_b, officer_a, officer_a2, officer_b])
        db.session.flush()
        db.session.add(
            DutyPeriod(desk=desk_a, officer=officer_a, starts_at=utcnow() - timedelta(days=400), origin="scheduled")
        )
        kiosk_a, w.token_a = register_kiosk(desk_a, "Mai Trung — quầy 1")
        kiosk_b, w.token_b = register_kiosk(desk_b, "Hợp Thịnh — quầy 1")
        db.session.commit()
        w.province_id, w.district_id = province.id, district.id
        w.commune_a_id, w.commune_b_id = communes[0].id, communes[1].id
        w.desk_a_id, w.desk_b_id = desk_a.id, desk_b.id
        w.officer_a_id, w.officer_a2_id, w.officer_b_id = officer_a.id, officer_a2.id, officer_b.id
        w.kiosk_a_id, w.kiosk_b_id = kiosk_a.id, kiosk_b.id
    return w


