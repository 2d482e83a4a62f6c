"""deploy/install-admin.sh in a booted Debian (systemd-nspawn): what a technician gets, proven under a real systemd.

One container for the module (tests/deploy/booted_support.py): the installer
runs as root from the checkout with PostgreSQL, two instances and nginx with
its self-signed certificate; then nginx's configuration, HTTPS through nginx
to each instance, the hardened units running with their exposure, the
backup unit writing a dump as postgres, an instance killed and restarted, an
upgrade that fails its health check rolled back, and a power cut.
"""
from __future__ import annotations

import json

import pytest

from .booted_support import booted, exposure, install, unit_state
from .deploy_support import checkout
from .test_systemd_units import EXPOSURE_LIMITS

# Minutes of a few tests: started first (tests/conftest.py).
pytestmark = pytest.mark.long

SERVER = "danhgia.hailong.test"
INSTALL = f"/src/deploy/install-admin.sh --server-name {SERVER} --instances 2 --wheelhouse /wheelhouse"
# HTTPS as a browser or a kiosk would: the name, and the installer's certificate as the authority.
HTTPS = f"curl -sS --fail --max-time 10 --cacert /etc/hailong/tls/fullchain.pem https://{SERVER}"
SERVICES = ["hailong-admin@5001.service", "hailong-admin@5002.service", "hailong-admin.target", "nginx.service",
            "postgresql@15-main.service", "hailong-admin-backup.timer"]


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    with booted(tmp_path_factory.mktemp("booted-admin")) as container:
        install(container, INSTALL)
        yield container


def ready(container, port: int | None = None) -> dict:
    """/readyz through nginx (HTTPS), or of one instance directly."""
    command = f"{HTTPS}/readyz" if port is None else f"curl -sS --fail --max-time 10 http://127.0.0.1:{port}/readyz"
    return json.loads(container.sh(command).stdout)


def test_booted_admin_services_active_and_hardened(central):
    # The timer and the target too: enabled is not enough, or no backup runs before a reboot.
    states = {unit: unit_state(central, unit, "ActiveState")["ActiveState"] for unit in SERVICES}
    assert states == dict.fromkeys(SERVICES, "active")
    limits = {"hailong-admin@5001.service": EXPOSURE_LIMITS["hailong-admin@5001.service"],
              "hailong-admin@5002.service": EXPOSURE_LIMITS["hailong-admin@5001.service"],
              "hailong-admin-backup.service": EXPOSURE_LIMITS["hailong-admin-backup.service"]}
    for unit, limit in limits.items():
        level = exposure(central, unit)
        print(f"\n{unit} in the booted system: exposure {level} (limit {limit})")
        assert level <= limit
    # The instances run as the service's user, never as root.
    for port in (5001, 5002):
        pid = unit_state(central, f"hailong-admin@{port}.service", "MainPID")["MainPID"]
        assert central.sh(f"ps -o user= -p {pid}").stdout.strip() == "hailong"


def test_booted_admin_nginx_tls_reaches_both_instances(central):
    assert central.sh("nginx -t").returncode == 0
    assert ready(central) == {"database": "ok", "status": "ok"}
    redirect = central.sh(f"curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}' http://{SERVER}/readyz").stdout
    assert redirect == f"301 https://{SERVER}/readyz"
    # With either instance stopped the other still answers: nginx balances over both.
    for stopped, running in ((5001, 5002), (5002, 5001)):
        central.sh(f"systemctl stop hailong-admin@{stopped}.service")
        try:
            assert ready(central, running)["database"] == "ok"
            for _ in range(4):
                assert ready(central)["database"] == "ok"
        finally:
            central.sh(f"systemctl start hailong-admin@{stopped}.service")
        central.wait_for(f"curl -sf http://127.0.0.1:{stopped}/readyz", what=f"instance {stopped} back")


def test_booted_admin_backup_unit_writes_a_dump_as_postgres(central):
    central.sh("systemctl start hailong-admin-backup.service")
    state = unit_state(central, "hailong-admin-backup.service", "Result", "User")
    assert state == {"Result": "success", "User": "postgres"}, central.journal("hailong-admin-backup.service")
    listing = central.sh("stat -c '%U %a %n' /var/backups/hailong /var/backups/hailong/hailong-*.dump").stdout
    lines = listing.splitlines()
    assert lines[0] == "postgres 700 /var/backups/hailong"
    assert len(lines) == 2 and lines[1].startswith("postgres 600 /var/backups/hailong/hailong-")
    dump = lines[1].split()[-1]
    assert " TABLE public ratings " in central.sh(f"pg_restore --list {dump}").stdout


def test_booted_admin_killed_instance_restarted(central):
    before = int(unit_state(central, "hailong-admin@5001.service", "NRestarts")["NRestarts"])
    central.sh("systemctl kill --signal=SIGKILL hailong-admin@5001.service")
    central.wait_for(f"[ $(systemctl show -P NRestarts hailong-admin@5001.service) -gt {before} ] && "
                     "curl -sf http://127.0.0.1:5001/readyz", what="hailong-admin@5001 restarted")
    assert ready(central)["database"] == "ok"


def test_booted_admin_failed_upgrade_rolls_back(central):
    current = central.sh("readlink /opt/hailong-admin/current").stdout.strip()
    # A newer checkout whose server dies at start: its schema step passes, its health check cannot.
    src = checkout(central.files("/root/src-broken"), "admin", "deploy", "docs", "systemd", "requirements.txt")
    main = src / "admin/__main__.py"
    main.write_text("raise SystemExit('broken release')\n")
    done = central.sh(INSTALL.replace("/src/", "/root/src-broken/"), check=False, env={"HEALTH_TIMEOUT_S": "15"})
    assert done.returncode != 0
    assert "rolling back to" in done.stderr and "Rolled back to" in done.stderr
    assert central.sh("readlink /opt/hailong-admin/current").stdout.strip() == current
    assert "broken release" in central.journal("hailong-admin@5001.service")
    states = {unit: unit_state(central, unit, "ActiveState")["ActiveState"] for unit in SERVICES}
    assert states == dict.fromkeys(SERVICES, "active")
    assert ready(central)["database"] == "ok"


def test_booted_admin_comes_back_after_a_power_cut(central):
    central.power_cut()
    central.boot()
    for unit in SERVICES:
        central.wait_for(f"systemctl is-active {unit}", what=f"{unit} after the power cut")
    central.wait_for(f"{HTTPS}/readyz", what="HTTPS after the power cut")
    assert ready(central)["database"] == "ok"
