"""kiosk/status.py and ``python -m kiosk status``: what a technician reads."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.service import KioskService
from kiosk.status import collect

from ..ports_support import free_port
from .kiosk_support import central_config

ROOT = Path(__file__).resolve().parents[2]


def config_for(tmp_path: Path, url: str, token: str = "t") -> KioskConfig:
    return KioskConfig(path=tmp_path / "kiosk.toml", central_url=url, token=token, data_dir=tmp_path / "data")


def run_status(tmp_path: Path, url: str, token: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "kiosk.toml").write_text(
        f'central_url = "{url}"\ntoken = "{token}"\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    env = {**os.environ, "KIOSK_CONFIG": str(tmp_path / "kiosk.toml"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_status_before_the_kiosk_ever_ran(tmp_path):
    lines = collect(config_for(tmp_path, f"http://127.0.0.1:{free_port()}"), probe=False)
    assert (lines["outbox_depth"], lines["rejected"], lines["last_upload"], lines["last_config"]) == (0, 0, "never", "never")
    assert lines["central"] == "unknown"
    assert not (tmp_path / "data").exists(), "status creates nothing"


def test_status_reads_the_outbox_and_what_the_uploader_recorded(tmp_path):
    service = KioskService.open(tmp_path / "data")
    service.apply_config(central_config(cooldown_s=0))
    for score in (3, 2, 3):
        service.press(score, "touch")
    service.outbox.settle_ratings([], [{"id": service.outbox.sendable_ratings(9e12, 1)[0]["id"],
                                        "error": {"code": "conflict", "message": "x"}}])
    service.press(3, "button")
    service.outbox.set_meta({"central": "unreachable", "central_at": "2026-11-27T02:10:00Z",
                             "central_error": "ConnectionError: refused", "last_upload": "2026-11-27T02:00:00Z",
                             "last_config": "2026-11-27T01:00:00Z", "clock_offset_s": -1.5})
    service.close()
    lines = collect(config_for(tmp_path, "http://127.0.0.1:1"), probe=False)
    assert lines["outbox_depth"] == 3 and lines["rejected"] == 1 and lines["last_seq"] == 4
    assert lines["last_upload"] == "2026-11-27T02:00:00Z" and lines["last_config"] == "2026-11-27T01:00:00Z"
    assert lines["central"] == "unreachable" and lines["central_error"] == "ConnectionError: refused"
    assert lines["central_recorded"] == "unreachable at 2026-11-27T02:10:00Z"
    assert lines["desk"] == "Quầy 2 — Đất đai" and lines["on_duty_officer_id"] == 12
    assert lines["clock_offset_s"] == -1.5


def test_status_probe_ok_exit_0(central, tmp_path):
    done = run_status(tmp_path, central.url, central.token, "status")
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert done.returncode == 0, done.stderr
    assert lines["central"] == "ok" and lines["outbox_depth"] == "0" and lines["central_recorded"] == "none yet"
    for key in ("outbox_depth", "rejected", "last_upload", "last_config", "central"):
        assert key in lines


def test_status_probe_wrong_token_is_unauthorized(central, tmp_path):
    lines = collect(config_for(tmp_path, central.url, "wrong"), probe=True)
    assert lines["central"] == "unauthorized"


def test_status_probe_nobody_listening_is_unreachable_exit_1(tmp_path):
    done = run_status(tmp_path, f"http://127.0.0.1:{free_port()}", "t", "status")
    assert done.returncode == 1
    assert "central: unreachable" in done.stdout.splitlines()
    assert "Traceback" not in done.stderr


def test_status_no_probe_makes_no_request(tmp_path):
    # An address nobody could answer from: a probe would print unreachable, not unknown.
    done = run_status(tmp_path, "http://192.0.2.1:9", "t", "status", "--no-probe")
    assert "central: unknown" in done.stdout.splitlines()


def test_status_unknown_arguments_print_usage(tmp_path):
    for args in (["statuz"], ["status", "--probe"], ["status", "--no-probe", "x"]):
        done = run_status(tmp_path, "http://127.0.0.1:1", "t", *args)
        assert done.returncode == 2 and "Usage: python -m kiosk" in done.stderr and done.stdout == ""


def test_status_damaged_outbox_says_so_exit_3_and_changes_nothing(tmp_path):
    service = KioskService.open(tmp_path / "data")
    service.apply_config(central_config(cooldown_s=0))
    service.press(3, "touch")
    service.close()
    db = tmp_path / "data" / "outbox.db"
    db.write_bytes(b"\0" * 100 + db.read_bytes()[100:])
    before = db.read_bytes()
    done = run_status(tmp_path, f"http://127.0.0.1:{free_port()}", "t", "status", "--no-probe")
    assert done.returncode == 3 and "Traceback" not in done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert lines["outbox"] == "damaged: DatabaseError: file is not a database"
    assert lines["damaged_outboxes"] == "none" and lines["central"] == "unknown"
    assert done.stderr.startswith(f"Hộp thư {db} bị hỏng") and "When restarted, the kiosk keeps the damaged file" in done.stderr
    assert db.read_bytes() == before and sorted(p.name for p in db.parent.iterdir()) == ["central-config.json",
                                                                                          "outbox.db", "photos",
                                                                                          "seq-reserved"]
