"""End to end: the kiosk process and the real central service process, over HTTP.

A press is never lost: not while the central service is down, not when the
kiosk is killed between the press and its upload, not when an acknowledgement
is lost on the way back; and a wrong token deletes nothing.
"""
from __future__ import annotations

from .kiosk_support import DroppingProxy, KioskProcess, wait_for


def test_e2e_central_down_while_1000_ratings_then_all_arrive_once(kiosk_process, central):
    kiosk, kiosk_id = kiosk_process
    kiosk.start()
    central.stop()
    scores = [1 if i % 10 == 0 else 2 + i % 2 for i in range(1000)]
    for score in scores:
        result = kiosk.press(score)
        assert result["recorded"], result
        if result["ask_reasons"]:
            assert kiosk.give_reasons(result["rating_id"], ["slow", "bribe"])
    assert kiosk.status("--no-probe")["outbox_depth"] == "1000"
    central.start()
    wait_for(lambda: central.rating_counts(kiosk_id)[0] >= 1000, 60, "1,000 ratings on the central service")
    assert central.rating_counts(kiosk_id) == (1000, 1000, 1000)
    assert central.query("SELECT min(seq), max(seq) FROM ratings WHERE kiosk_id = ?", (kiosk_id,)) == [(1, 1000)]
    by_score = dict(central.query("SELECT score, count(*) FROM ratings WHERE kiosk_id = ? GROUP BY score",
                                  (kiosk_id,)))
    assert by_score == {1: 100, 2: 400, 3: 500}
    with_reasons = central.query(
        "SELECT count(DISTINCT r.id) FROM ratings r JOIN rating_reasons rr ON rr.rating_id = r.id"
        " WHERE r.kiosk_id = ?", (kiosk_id,))
    assert with_reasons == [(100,)]
    wait_for(lambda: kiosk.status("--no-probe")["outbox_depth"] == "0", 30, "an empty outbox")
    status = kiosk.status()
    assert (status["central"], status["rejected"], status["last_seq"]) == ("ok", "0", "1000")


def test_e2e_kiosk_killed_between_press_and_upload(kiosk_process, central):
    kiosk, kiosk_id = kiosk_process
    kiosk.start()
    central.stop()
    ids = [kiosk.press(3)["rating_id"], kiosk.press(2)["rating_id"]]
    kiosk.kill()
    central.start()
    assert central.rating_counts(kiosk_id)[0] == 0
    kiosk.start()
    wait_for(lambda: central.rating_counts(kiosk_id)[0] == 2, 30, "the ratings after the restart")
    arrived = {row[0] for row in central.query("SELECT uuid FROM ratings WHERE kiosk_id = ?", (kiosk_id,))}
    assert arrived == {i.replace("-", "") for i in ids}
    assert kiosk.press(3)["recorded"]
    wait_for(lambda: central.rating_counts(kiosk_id)[0] == 3, 30, "the press after the restart")
    assert central.query("SELECT max(seq) FROM ratings WHERE kiosk_id = ?", (kiosk_id,)) == [(3,)], \
        "seq goes on after a restart"


def test_e2e_lost_acknowledgement_counted_once(kiosk_process, central):
    kiosk, kiosk_id = kiosk_process
    proxy = DroppingProxy(central.url, drop=2)
    kiosk.write_config(proxy.url, kiosk_token(kiosk))
    try:
        kiosk.start()
        for score in (3, 2, 3):
            assert kiosk.press(score)["recorded"]
        wait_for(lambda: kiosk.status("--no-probe")["outbox_depth"] == "0", 60, "the kiosk to hear back")
        assert proxy.dropped == 2
        assert central.rating_counts(kiosk_id) == (3, 3, 3)
    finally:
        proxy.close()


def kiosk_token(kiosk: KioskProcess) -> str:
    """The token written in a kiosk's config file."""
    for line in kiosk.config_path.read_text("utf-8").splitlines():
        if line.startswith("token = "):
            return line.split('"')[1]
    raise AssertionError("no token in the kiosk config")


def test_e2e_wrong_token_status_says_so_and_nothing_is_deleted(kiosk_process, central):
    kiosk, kiosk_id = kiosk_process
    kiosk.start()
    central.stop()
    for score in (3, 3, 2, 3, 2):
        assert kiosk.press(score)["recorded"]
    kiosk.terminate()
    kiosk.write_config(central.url, "revoked-or-mistyped-token")
    central.start()
    kiosk.start()
    wait_for(lambda: kiosk.status("--no-probe")["central"] == "unauthorized", 30, "the uploader to record 401")
    status = kiosk.status()
    assert status["central"] == "unauthorized"
    assert status["outbox_depth"] == "5"
    assert central.rating_counts(kiosk_id)[0] == 0


def test_e2e_sigterm_stops_cleanly_and_keeps_the_outbox(kiosk_process, central):
    kiosk, _ = kiosk_process
    kiosk.start()
    central.stop()
    assert kiosk.press(3)["recorded"]
    assert kiosk.terminate() == 0
    assert kiosk.status("--no-probe")["outbox_depth"] == "1"
