"""``python -m kiosk rejected`` and ``requeue``: the ratings set aside, listed, and sent again to the real service."""
from __future__ import annotations

import json
import sqlite3
import uuid

from kiosk.central import Central
from kiosk.service import KioskService
from kiosk.uploader import Uploader

from .kiosk_support import KioskProcess


def test_set_aside_listed_and_requeued_through_the_commands(central, tmp_path):
    token, kiosk_id = central.add_kiosk(f"Set aside {uuid.uuid4().hex[:6]}")
    kiosk = KioskProcess(tmp_path / "kiosk", central.url, token)
    service = KioskService.open(kiosk.data_dir)
    uploader = Uploader(service, Central(central.url, token), retry_max_s=2)
    try:
        uploader.round()
        assert kiosk.command("rejected").stdout == "Không có mục nào bị gác lại. / Nothing is set aside.\n"
        ids = [service.outbox.add_rating(score=score, officer_id=None, source="touch", sendable_at=0,
                                         created_at="2026-11-27T09:15:02.000+07:00", awaiting_reasons=False)[0]
               for score in (1, 2, 1)]
        # A reason the central service does not know (yet): the province adds "queue_jump" later.
        service.outbox._write(lambda conn: conn.execute("UPDATE ratings SET reasons = '[\"queue_jump\"]'"))
        uploader.round()
        assert central.rating_counts(kiosk_id)[0] == 0 and service.outbox.counts()["rejected"] == 3

        listed = kiosk.command("rejected")
        assert listed.returncode == 0, listed.stderr
        header, *rows = [line.split("\t") for line in listed.stdout.splitlines()]
        assert header == ["kind", "id", "seq", "code", "message"]
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
            ("rating", i, str(seq), "unknown_reason") for seq, i in enumerate(ids, 1)]
        assert all("queue_jump" in r[4] for r in rows)

        # An id not set aside changes nothing, even beside one that is.
        unknown = str(uuid.uuid4())
        refused = kiosk.command("requeue", ids[0], unknown)
        assert refused.returncode == 1 and unknown in refused.stderr and refused.stdout == ""
        assert service.outbox.counts()["rejected"] == 3

        with sqlite3.connect(central.db_path) as db:
            db.execute("INSERT INTO reasons (code, label_vi, label_en, integrity, position, active)"
                       " VALUES ('queue_jump', 'Chen ngang', 'Queue jumping', 0, 99, 1)")
        db.close()
        done = kiosk.command("requeue", ids[0])
        assert done.returncode == 0 and done.stdout == "Đã đưa lại 1 mục vào hàng đợi gửi. / Queued 1 items again.\n"
        uploader.round()
        assert central.rating_counts(kiosk_id) == (1, 1, 1)
        assert kiosk.command("requeue", "all").stdout.startswith("Đã đưa lại 2 mục")
        uploader.round()
        assert central.rating_counts(kiosk_id) == (3, 3, 3)
        assert service.outbox.counts() == {"outbox_depth": 0, "rejected": 0, "duty_pending": 0, "duty_rejected": 0}
        reasons = central.query("SELECT DISTINCT reason_code FROM rating_reasons JOIN ratings ON ratings.id = "
                                "rating_reasons.rating_id WHERE ratings.kiosk_id = ?", (kiosk_id,))
        assert reasons == [("queue_jump",)]
    finally:
        uploader.stop()
        uploader.central.close()
        service.close()


def test_set_aside_commands_refuse_what_they_cannot_read(tmp_path):
    kiosk = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "t")
    none_yet = kiosk.command("rejected")
    assert none_yet.returncode == 3 and "There is no outbox" in none_yet.stderr
    for args in (["requeue"], ["requeue", "all", "x"], ["rejected", "x"]):
        done = kiosk.command(*args)
        assert done.returncode == 2 and "Usage: python -m kiosk" in done.stderr
    kiosk.data_dir.mkdir(parents=True)
    (kiosk.data_dir / "outbox.db").write_bytes(b"not a database, whatever it was" * 200)
    for args in (["rejected"], ["requeue", "all"]):
        damaged = kiosk.command(*args)
        assert damaged.returncode == 3 and "The outbox" in damaged.stderr and "is damaged" in damaged.stderr
    assert (kiosk.data_dir / "outbox.db").read_bytes().startswith(b"not a database"), "left as it was"
    assert json.dumps(sorted(p.name for p in kiosk.data_dir.iterdir())) == '["outbox.db"]'
