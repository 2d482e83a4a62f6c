"""kiosk/outbox_rescue.py: a damaged or lost outbox is set aside at start, a new one begun, no seq reused;
while running, a damaged page makes the presses say "not recorded" and stops the watchdog's pings.

The kiosk is the real ``python -m kiosk``; the central service the real one where numbers must arrive.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.central import Central
from kiosk.notify import outbox_usable
from kiosk.outbox import SEQ_BLOCK, ConfigCache, Outbox
from kiosk.outbox_rescue import damaged_files, open_outbox
from kiosk.service import KioskService
from kiosk.uploader import Uploader

from .kiosk_support import (
    KioskProcess, central_config, damage_page_under_a_running_kiosk, first_message, received, start_kiosk, wait_for,
)


def damage_header(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[0:16] = b"scratched card!!"
    db.write_bytes(bytes(data))


def damage_truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 100])


def kiosk_seqs(central, kiosk_id: int) -> list[int]:
    return [seq for (seq,) in central.query("SELECT seq FROM ratings WHERE kiosk_id = ? ORDER BY seq", (kiosk_id,))]


@pytest.mark.parametrize("damage", [damage_header, damage_truncate], ids=["header", "truncated"])
def test_rescue_damaged_outbox_set_aside_at_start_and_no_seq_reused(kiosk_process, central, damage):
    kiosk, kiosk_id = kiosk_process
    kiosk.start()
    for _ in range(3):
        assert kiosk.press(3)["recorded"]
    wait_for(lambda: len(kiosk_seqs(central, kiosk_id)) == 3, 30, "3 ratings on the central service")
    central.stop()
    # Two ratings still waiting when the card is damaged: they are in the damaged file only.
    for _ in range(2):
        assert kiosk.press(2)["recorded"]
    # Stopped cleanly, so that everything is in the database file (no -wal left) when its bytes go bad.
    assert kiosk.terminate() == 0
    db = kiosk.data_dir / "outbox.db"
    assert not db.with_name("outbox.db-wal").exists()
    damage(db)
    damaged_bytes = db.read_bytes()

    status = kiosk.command("status", "--no-probe")
    assert status.returncode == 3, status.stdout
    assert "outbox: damaged: " in status.stdout
    assert "Hộp thư" in status.stderr and "is damaged" in status.stderr and "systemctl restart" in status.stderr

    central.start()
    kiosk.start()
    [aside] = damaged_files(kiosk.data_dir)
    assert aside.read_bytes() == damaged_bytes, "kept for a technician, as it was"
    assert kiosk.press(3)["recorded"]
    wait_for(lambda: len(kiosk_seqs(central, kiosk_id)) == 4, 30, "the new outbox's rating")
    seqs = kiosk_seqs(central, kiosk_id)
    assert seqs[:3] == [1, 2, 3] and seqs[3] > 5, f"numbers 4 and 5 may be lost, never used again: {seqs}"
    assert seqs[3] <= SEQ_BLOCK + 1
    lines = kiosk.status()
    assert lines["central"] == "ok" and lines["damaged_outboxes"] == aside.name
    assert f"seq from {seqs[3]}; kept as {aside.name}" in lines["outbox_replaced"]


def test_rescue_damaged_page_not_recorded_and_watchdog_stops_then_restart_sets_it_aside(tmp_path, notify_socket):
    sock, path = notify_socket
    data_dir = tmp_path / "kiosk" / "data"
    ConfigCache(data_dir).save(central_config(cooldown_s=0, reasons_after_every_score=False), "test-1")
    kiosk = start_kiosk(tmp_path, path)
    try:
        first_message(sock, "READY=1")
        first_message(sock, "WATCHDOG=1")
        wait_for(lambda: kiosk.http.get(f"{kiosk.url}/state", timeout=2).json()["view"] == "idle", 30, "idle")
        for _ in range(5):
            assert kiosk.press(3)["recorded"]
        damage_page_under_a_running_kiosk(kiosk.data_dir / "outbox.db")
        answer = kiosk.http.post(f"{kiosk.url}/press", json={"score": 3}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["recorded"] is False and answer.json()["ignored"] == "not_recorded"
        received(sock, 0.5)  # a check already under way may still ping
        assert "WATCHDOG=1" not in received(sock, 1.5), "systemd must restart it"
        assert kiosk.proc.poll() is None
    finally:
        kiosk.kill()
    # systemd's restart: the damaged file goes aside and the kiosk takes presses again.
    restarted = start_kiosk(tmp_path, path)
    try:
        first_message(sock, "READY=1")
        first_message(sock, "WATCHDOG=1")
        [aside] = damaged_files(restarted.data_dir)
        assert restarted.press(3)["recorded"]
        first_message(sock, "WATCHDOG=1")
        lines = restarted.status("--no-probe")
        # Past the numbers reserved (5 used) and the 5 the damaged file still shows: never one used twice.
        assert lines["last_seq"] == str(SEQ_BLOCK + 1)
        assert lines["damaged_outboxes"] == aside.name and "database disk image is malformed" in lines["outbox_replaced"]
        log = restarted.proc
    finally:
        restarted.kill()
    assert "OUTBOX DAMAGED" in log.stderr.read()


def test_rescue_read_only_outbox_clear_message_nothing_moved(tmp_path):
    kiosk = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "t")
    outbox = Outbox(kiosk.data_dir / "outbox.db")
    outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0, awaiting_reasons=False)
    outbox.close()
    kiosk.data_dir.chmod(0o500)
    for file in kiosk.data_dir.iterdir():
        file.chmod(0o400)
    try:
        done = kiosk.command(drop_root_powers=True)  # python -m kiosk, as systemd starts it
    finally:
        kiosk.data_dir.chmod(0o700)
    assert done.returncode == 1
    assert "Không mở được hộp thư" in done.stderr and "Cannot open the outbox" in done.stderr
    assert damaged_files(kiosk.data_dir) == [], "not damaged: left where it is"


def test_rescue_lost_outbox_goes_on_past_the_reserved_numbers(tmp_path):
    outbox = open_outbox(tmp_path)
    for _ in range(3):
        outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                          awaiting_reasons=False)
    outbox.close()
    assert (tmp_path / "seq-reserved").read_text() == f"{SEQ_BLOCK}\n"
    for file in tmp_path.glob("outbox.db*"):
        file.unlink()
    outbox = open_outbox(tmp_path)
    _, seq = outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                               awaiting_reasons=False)
    assert seq == SEQ_BLOCK + 1
    replaced = outbox.get_meta("outbox_replaced")
    assert (replaced["reason"], replaced["file"], replaced["seq_from"]) == ("missing", None, SEQ_BLOCK + 1)
    # The heartbeat tells the central service, which then knows why the numbers jump.
    uploader = Uploader(KioskService(outbox, ConfigCache(tmp_path)), Central("http://127.0.0.1:9", "t"))
    beat = uploader.heartbeat_body()
    assert beat["outbox_replaced_at"] == replaced["at"] and beat["last_seq"] == SEQ_BLOCK + 1
    assert beat["upload_error"] is None
    uploader.central.close()
    outbox.close()
    # A sound outbox opens as it is: its numbers go on by one.
    outbox = open_outbox(tmp_path)
    assert outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                             awaiting_reasons=False)[1] == SEQ_BLOCK + 2
    outbox.close()


def test_rescue_ratings_set_aside_for_a_whole_requests_refusal_go_back_at_start(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    ids = [outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                             awaiting_reasons=False)[0] for _ in range(4)]
    # What the uploader before this fix stored for a proxy's page, a one-rating 413, and the service's own verdict.
    outbox.settle_ratings([], [{"id": ids[0], "error": {"code": "http_413", "message": "Request Entity Too Large"}},
                               {"id": ids[1], "error": {"code": "too_large", "message": "Over 1 MiB."}},
                               {"id": ids[2], "error": {"code": "invalid_time", "message": "Not a time."}}])
    event = outbox.add_duty_event(12, "sign_in", "2026-11-27T08:00:05+07:00", {})
    outbox.settle_duty_events([], [{"id": event, "error": {"code": "http_400", "message": "Bad Request"}}])
    outbox.close()
    outbox = open_outbox(tmp_path)
    assert [r["id"] for r in outbox.rejected_ratings()] == [ids[2]]
    assert outbox.rejected_duty_events() == []
    assert outbox.counts() == {"outbox_depth": 3, "rejected": 1, "duty_pending": 1, "duty_rejected": 0}
    outbox.close()


def test_rescue_uploader_survives_a_damaged_page_and_marks_the_outbox_failing(tmp_path):
    service = KioskService.open(tmp_path)
    service.apply_config(central_config(), etag="test-1")
    for _ in range(400):
        service.outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                                  awaiting_reasons=False)
    damage_page_under_a_running_kiosk(tmp_path / "outbox.db")
    uploader = Uploader(service, Central("http://127.0.0.1:9", "t"), retry_max_s=2)
    uploader._config_stale = False
    assert uploader.round() == 2, "the round ends, the thread would go on"
    assert "malformed" in service.outbox.failing
    assert not outbox_usable(service.outbox, timeout_s=1)
    uploader.central.close()
    service.close()
