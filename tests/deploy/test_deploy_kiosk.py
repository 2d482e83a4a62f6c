"""deploy/install-kiosk.sh against a throwaway root: install, the same again, upgrade, a broken upgrade rolled back.

The installer runs for real from a copy of the checkout, installs offline
from a wheelhouse, and starts the real kiosk through the stand-in systemctl
(tests/deploy/deploy_support.py), whose health check it then makes over HTTP.
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import requests

from ..ports_support import free_port
from .deploy_support import Machine, checkout, need, wheelhouse

# Minutes of a few tests: started first (tests/conftest.py).
pytestmark = pytest.mark.long

PARTS = ("kiosk", "deploy", "systemd", "requirements.txt")
ARGS = ("--central-url", "https://danhgia.example.gov.vn", "--token", "tok-EN_123.abc",
        "--buttons", "17,27,22", "--ack-led", "23", "--status-led", "24")


@pytest.fixture(scope="module")
def pi(tmp_path_factory):
    """A Pi root after a first install: (machine, the checkout it came from, its port, wheelhouse)."""
    need("bash")
    base = tmp_path_factory.mktemp("pi")
    machine = Machine(base)
    src = checkout(base / "src-v1", *PARTS)
    port = free_port()
    wheels = str(wheelhouse())
    done = machine.run(src / "deploy/install-kiosk.sh", *ARGS, "--port", str(port), "--wheelhouse", wheels)
    try:
        assert done.returncode == 0, done.stderr
        yield machine, src, port, wheels
    finally:
        machine.stop_services()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_of(machine: Machine) -> str:
    return (machine.root / "opt/hailong-kiosk/current").readlink().name


def test_deploy_kiosk_first_install(pi):
    machine, src, port, _ = pi
    config = machine.root / "etc/hailong/kiosk.toml"
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert machine.owner("/etc/hailong/kiosk.toml") == "hailong-kiosk:hailong-kiosk"
    text = config.read_text()
    assert 'central_url = "https://danhgia.example.gov.vn"' in text and "buttons = [17, 27, 22]" in text
    calls = machine.calls()
    assert ["usermod", "-a", "-G", "gpio", "hailong-kiosk"] in calls
    assert any(c[0] == "useradd" and c[-1] == "hailong-kiosk" and "--system" in c for c in calls)
    assert ["systemctl", "enable", "hailong-kiosk.service"] in calls
    assert ["raspi-config", "nonint", "do_blanking", "1"] in calls
    assert any(c[:2] == ["apt-get", "install"] and "python3-lgpio" in c and "chromium" in c for c in calls)
    for unit in ("etc/systemd/system/hailong-kiosk.service", "etc/systemd/user/hailong-kiosk-browser.service"):
        assert (machine.root / unit).read_text() == (src / "systemd" / Path(unit).name).read_text()
    # The desktop user's session shows only the rating screen, without a pointer.
    autostart = machine.root / "home/pi/.config/labwc/autostart"
    assert "systemctl --user start hailong-kiosk-browser.service" in autostart.read_text()
    assert machine.owner("/home/pi/.config/labwc/autostart") == "pi:pi"
    assert (machine.root / "home/pi/.config/hailong-kiosk/browser.env").read_text() == \
        f"KIOSK_URL=http://127.0.0.1:{port}/\n"
    assert (machine.root / "home/pi/.local/share/icons/hailong-blank/cursors/left_ptr").read_bytes()[:4] == b"Xcur"
    # Installed with the system's lgpio visible, and running: the health check passed.
    venv_cfg = (machine.root / "opt/hailong-kiosk/current/venv/pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in venv_cfg
    assert requests.get(f"http://127.0.0.1:{port}/state", timeout=5).ok


def test_deploy_kiosk_second_run_changes_nothing(pi):
    machine, src, port, wheels = pi
    dirs = ("/etc", "/opt", "/home", "/usr")
    before, calls_before = machine.snapshot(*dirs), len(machine.calls())
    done = machine.run(src / "deploy/install-kiosk.sh", *ARGS, "--port", str(port), "--wheelhouse", wheels)
    assert done.returncode == 0, done.stderr
    assert machine.snapshot(*dirs) == before
    assert not [c for c in machine.calls()[calls_before:] if c[0] in ("useradd", "groupadd")]


def test_deploy_kiosk_upgrade_then_broken_upgrade_rolls_back(pi, tmp_path):
    machine, _, port, wheels = pi
    config = machine.root / "etc/hailong/kiosk.toml"
    outbox = machine.root / "var/lib/hailong-kiosk/outbox.db"
    # A rating still waiting in the outbox: it must survive both upgrades.
    with sqlite3.connect(outbox) as db:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('test-marker', 'kept')")
    first, config_sha = release_of(machine), sha(config)

    v2 = checkout(tmp_path / "src-v2", *PARTS)
    with (v2 / "kiosk/__init__.py").open("a") as f:
        f.write("# v2\n")
    done = machine.run(v2 / "deploy/install-kiosk.sh", "--wheelhouse", wheels)
    assert done.returncode == 0, done.stderr
    second = release_of(machine)
    assert second != first
    assert (machine.root / "opt/hailong-kiosk/previous").readlink().name == first

    v3 = checkout(tmp_path / "src-v3", *PARTS)
    main = v3 / "kiosk/__main__.py"
    main.write_text(main.read_text().replace("from waitress import", "raise RuntimeError('broken release')\nfrom waitress import"))
    done = machine.run(v3 / "deploy/install-kiosk.sh", "--wheelhouse", wheels)
    assert done.returncode != 0
    assert "Rolled back to " + second in done.stderr
    assert release_of(machine) == second
    assert "broken release" in (machine.root / "var/log/hailong-kiosk.service.log").read_text()
    assert requests.get(f"http://127.0.0.1:{port}/state", timeout=5).ok
    assert sha(config) == config_sha
    with sqlite3.connect(outbox) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'test-marker'").fetchone() == ("kept",)
    # Only the running release and the one before it are kept.
    assert {p.name for p in (machine.root / "opt/hailong-kiosk/releases").iterdir()} == {first, second}


def test_deploy_kiosk_refuses_bad_arguments(tmp_path):
    machine = Machine(tmp_path)
    script = checkout(tmp_path / "src", *PARTS) / "deploy/install-kiosk.sh"
    done = machine.run(script, "--central-url", 'https://x"; rm -rf /', "--token", "t")
    assert done.returncode != 0 and "unexpected characters" in done.stderr
    done = machine.run(script, "--buttons", "17;27")
    assert done.returncode != 0 and "BCM" in done.stderr
    assert not (machine.root / "etc").exists()
