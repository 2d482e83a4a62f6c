"""deploy/install-admin.sh against a throwaway root; PostgreSQL backup and restore; moving a kiosk's outbox.

The central install runs for real (venv from a wheelhouse, init-db on a
SQLite file, two instances started by the stand-in systemctl and checked on
/readyz); backup and restore run pg_dump and pg_restore on the test
PostgreSQL; the outbox moves between two throwaway roots with sqlite3.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
import requests

from ..kiosk.kiosk_support import open_service
from ..ports_support import free_ports
from .deploy_support import Machine, checkout, need, wheelhouse

# Minutes of a few tests: started first (tests/conftest.py).
pytestmark = pytest.mark.long

PARTS = ("admin", "deploy", "docs", "systemd", "requirements.txt")


def test_deploy_admin_install_twice(tmp_path):
    need("openssl")
    machine = Machine(tmp_path)
    src = checkout(tmp_path / "src", *PARTS)
    port = free_ports(2)
    db_url = f"sqlite:///{machine.root}/var/lib/hailong-admin/hailong.db"
    args = ("--server-name", "danhgia.example.gov.vn", "--instances", "2", "--base-port", str(port),
            "--database-url", db_url, "--wheelhouse", str(wheelhouse()))
    try:
        done = machine.run(src / "deploy/install-admin.sh", *args)
        assert done.returncode == 0, done.stderr + machine.service_logs()
        env_file = machine.root / "etc/hailong/admin.env"
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"
        assert machine.owner("/etc/hailong/admin.env") == "hailong:hailong"
        settings = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if not line.startswith("#"))
        assert settings["ADMIN_DATABASE_URL"] == db_url and settings["ADMIN_PROXY_HOPS"] == "1"
        assert len(settings["ADMIN_SECRET_KEY"]) >= 60
        for p in (port, port + 1):
            assert requests.get(f"http://127.0.0.1:{p}/readyz", timeout=5).json()["database"] == "ok"
        # The release carries the API contract, which the service serves.
        contract = requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
        assert contract.content == (src / "docs/openapi.json").read_bytes()
        site = (machine.root / "etc/nginx/sites-available/hailong.conf").read_text()
        assert f"server 127.0.0.1:{port} " in site and f"server 127.0.0.1:{port + 1} " in site
        assert "server_name danhgia.example.gov.vn;" in site and "client_max_body_size 1m;" in site
        assert "@SERVER_NAME@" not in site and "@UPSTREAM_SERVERS@" not in site
        assert (machine.root / "etc/nginx/sites-enabled/hailong.conf").resolve() == \
            machine.root / "etc/nginx/sites-available/hailong.conf"
        assert oct((machine.root / "etc/hailong/tls/privkey.pem").stat().st_mode & 0o777) == "0o600"
        calls = machine.calls()
        for unit in ("hailong-admin.target", f"hailong-admin@{port}.service", f"hailong-admin@{port + 1}.service"):
            assert ["systemctl", "enable", unit] in calls
        assert ["nginx", "-t", "-q"] in calls
        # Started now, not only at the next boot (SQLite: no PostgreSQL backup timer).
        assert ["systemctl", "start", "hailong-admin.target"] in calls
        # The schema is there: init-db ran as the service's user.
        with sqlite3.connect(machine.root / "var/lib/hailong-admin/hailong.db") as db:
            assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ratings'").fetchone() == (1,)

        dirs = ("/etc", "/opt")
        before = machine.snapshot(*dirs)
        done = machine.run(src / "deploy/install-admin.sh", *args)
        assert done.returncode == 0, done.stderr + machine.service_logs()
        # Same files, modes, owners; the secret key above all, or every session would end.
        assert machine.snapshot(*dirs) == before
    finally:
        machine.stop_services()


@pytest.fixture
def postgres():
    """libpq settings of the test PostgreSQL (TEST_DATABASE_URL); skipped when unreachable, except under CI."""
    need("pg_dump")
    url = urlsplit(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    env = {"PGHOST": url.hostname or "127.0.0.1", "PGPORT": str(url.port or 5432), "PGUSER": url.username or "postgres",
           "PGDATABASE": "postgres"}
    if url.password:
        env["PGPASSWORD"] = url.password
    if subprocess.run(["psql", "-qtAc", "SELECT 1"], env={**os.environ, **env}, capture_output=True).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required under CI=true")
        pytest.skip("no PostgreSQL at TEST_DATABASE_URL")
    return env


def test_deploy_admin_backup_and_restore_into_new_database(tmp_path, postgres):
    machine = Machine(tmp_path, real=("psql",))
    src = checkout(tmp_path / "src", "deploy")
    name = f"hailong_bk_{os.getpid()}"

    def psql(sql: str, db: str = "postgres") -> str:
        return subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qtAc", sql, "-d", db], env={**os.environ, **postgres},
                              capture_output=True, text=True, check=True).stdout.strip()

    psql(f"CREATE DATABASE {name}")
    try:
        psql("CREATE TABLE ratings (id int PRIMARY KEY, score int); INSERT INTO ratings SELECT g, g % 3 + 1 "
             "FROM generate_series(1, 1000) g", name)
        backups = tmp_path / "backups"
        backups.mkdir()
        stale = backups / f"{name}-20200101-000000.dump"
        stale.write_text("old")
        # As old as its name says: past the retention whatever the clock reads.
        os.utime(stale, (datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp(),) * 2)
        # runuser is a stand-in; pg_dump, psql and pg_restore are real.
        env = {**postgres, "ROOT": ""}
        done = machine.run(src / "deploy/backup-admin.sh", "--db", name, "--dir", str(backups), "--keep-days", "14",
                           **env)
        assert done.returncode == 0, done.stderr
        dumps = sorted(backups.glob(f"{name}-*.dump"))
        assert len(dumps) == 1 and not stale.exists()  # the old one is past the retention
        assert oct(dumps[0].stat().st_mode & 0o777) == "0o600"

        done = machine.run(src / "deploy/restore-admin.sh", "--owner", postgres["PGUSER"], str(dumps[0]),
                           f"{name}_new", **env)
        assert done.returncode == 0, done.stderr
        assert psql("SELECT count(*), sum(score) FROM ratings", f"{name}_new") == \
            psql("SELECT count(*), sum(score) FROM ratings", name)
        # Never over an existing database.
        done = machine.run(src / "deploy/restore-admin.sh", "--owner", postgres["PGUSER"], str(dumps[0]), name, **env)
        assert done.returncode != 0 and "does it exist" in done.stderr
    finally:
        psql(f"DROP DATABASE IF EXISTS {name}_new")
        psql(f"DROP DATABASE {name}")


def test_deploy_outbox_moves_to_a_new_card(tmp_path):
    need("sqlite3")
    old, new = Machine(tmp_path / "old"), Machine(tmp_path / "new")
    script = checkout(tmp_path / "src", "deploy") / "deploy/move-outbox.sh"
    service = open_service(old.root / "var/lib/hailong-kiosk")
    assert service.press(3, "touch").recorded
    service.close()  # a stopped kiosk leaves its last commit in the -wal file: it must come along
    before = sqlite3.connect(old.root / "var/lib/hailong-kiosk/outbox.db").execute(
        "SELECT uuid, seq FROM ratings").fetchall()
    usb = tmp_path / "usb-outbox.db"
    done = old.run(script, "export", str(usb))
    assert done.returncode == 0, done.stderr
    done = new.run(script, "import", str(usb))
    assert done.returncode == 0, done.stderr
    moved = sqlite3.connect(new.root / "var/lib/hailong-kiosk/outbox.db")
    assert moved.execute("SELECT uuid, seq FROM ratings").fetchall() == before
    assert moved.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0] in ("1", 1)
    assert new.owner("/var/lib/hailong-kiosk/outbox.db") == "hailong-kiosk:hailong-kiosk"
    assert [c[:2] for c in new.calls() if c[0] == "systemctl"] == [["systemctl", "stop"], ["systemctl", "start"]]
