"""End to end, a complaint of misconduct: from a press of the GPIO buttons to the inspector's mailbox.

The kiosk process with mock pins, the central service in its own process
with its alert worker, a real SMTP server on 127.0.0.1: a citizen presses
the red button, answers the reasons with the buttons (no to obstruction,
yes to an unofficial payment, done), and the inspector of the province
receives the new case by e-mail. And, with the central service out of
reach, the citizen who complains still gets their tracking code and the
board's address from the config the kiosk kept.
"""
from __future__ import annotations

import json
import time

import pytest

from kiosk.service import ANSWER_SETTLE_S
from kiosk.tracking import tracking_code

from . import screen_support as ui
from .kiosk_support import CentralProcess, KioskProcess, stored_ratings, wait_for

INSPECTOR = "thanhtra.tinh@example.gov.vn"


@pytest.fixture
def central_with_mail(tmp_path, mailbox):
    """A central service of its own that mails alerts to ``mailbox``, with the default kiosk settings."""
    central = CentralProcess(tmp_path / "central")
    central.env.update(ADMIN_SMTP_HOST="127.0.0.1", ADMIN_SMTP_PORT=str(mailbox.port), ADMIN_SMTP_SECURITY="none",
                       ADMIN_SMTP_FROM="canhbao@example.gov.vn", ADMIN_PUBLIC_URL="https://danhgia.example.gov.vn")
    central.setup(cooldown_s=0)
    central.start()
    # The demo's own complaints are filed before the inspector has an address: they mail nobody.
    wait_for(lambda: central.query("SELECT count(*) FROM complaint_intake") == [(0,)], 60, "the demo's complaints filed")
    [(province,)] = central.query("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1")
    central.flask_input("mat-khau-thanh-tra\n", "create-user", "thanhtra.tinh", "--role", "inspector",
                        "--unit", str(province), "--email", INSPECTOR, "--password-stdin")
    yield central
    central.stop()


def press(kiosk: KioskProcess, score: int) -> None:
    """One press of a GPIO button, after the pause a person takes to read the screen."""
    time.sleep(ANSWER_SETTLE_S)
    assert kiosk.http.post(f"{kiosk.url}/dev/press/{score}", timeout=10).ok


def test_e2e_gpio_bribe_complaint_reaches_the_inspectors_mailbox(central_with_mail, mailbox, tmp_path):
    central = central_with_mail
    kiosk = KioskProcess(tmp_path / "kiosk", central.url, central.token)
    try:
        kiosk.start()
        assert kiosk.http.post(f"{kiosk.url}/dev/press/1", timeout=10).ok
        wait_for(lambda: kiosk.http.get(f"{kiosk.url}/state", timeout=5).ok, 10, "the kiosk")
        press(kiosk, 3)  # obstruction, harassment? no
        press(kiosk, 1)  # asked for an unofficial payment? yes
        press(kiosk, 2)  # done
        wait_for(lambda: central.rating_counts(central.kiosk_id)[0] == 1, 30, "the rating on the central service")
        [(source, score)] = central.query("SELECT source, score FROM ratings WHERE kiosk_id = ?", (central.kiosk_id,))
        assert (source, score) == ("button", 1)
        reasons = central.query(
            "SELECT rr.reason_code FROM rating_reasons rr JOIN ratings r ON r.id = rr.rating_id WHERE r.kiosk_id = ?",
            (central.kiosk_id,))
        assert reasons == [("bribe",)]
        # The default alert settings: the storing process files it and mails at once (within 60 s).
        wait_for(lambda: any(m["Subject"].startswith("[Hài Lòng] Hồ sơ phản ánh mới") for m in mailbox.to(INSPECTOR)),
                 60, "the e-mail to the inspector")
        [message] = [m for m in mailbox.to(INSPECTOR) if "Hồ sơ phản ánh mới" in m["Subject"]]
        body = message.get_content()
        assert "Vòi vĩnh, đòi tiền ngoài quy định" in body and "Asked for an unofficial payment" in body
        assert "Gây khó khăn" not in body
        assert "https://danhgia.example.gov.vn/cases/" in body
    finally:
        kiosk.kill()


def test_e2e_queue_ticket_reaches_the_central_service_with_the_complaint(kiosk_process, central):
    kiosk, kiosk_id = kiosk_process
    kiosk.start()
    rating = kiosk.press(1)
    answer = kiosk.http.post(f"{kiosk.url}/reasons", timeout=10,
                             json={"rating_id": rating["rating_id"], "reasons": ["bribe"], "ticket": "B-042"})
    assert answer.json() == {"ok": True}
    wait_for(lambda: central.rating_counts(kiosk_id)[0] == 1, 30, "the complaint on the central service")
    assert central.query("SELECT ticket FROM ratings WHERE kiosk_id = ?", (kiosk_id,)) == [("B-042",)]


@pytest.mark.browser
def test_e2e_offline_complaint_shows_its_code_and_the_board_of_the_last_config(kiosk_process, central, browser):
    kiosk, _ = kiosk_process
    kiosk.start()
    # The central service goes away and the kiosk restarts: it runs on the config it kept on disk.
    central.stop()
    kiosk.kill()
    kiosk.start()
    assert kiosk.status("--no-probe")["central"] != "ok"
    page = ui.open_page(browser, kiosk.url)
    ui.view(page, "idle")
    page.locator('[data-score="1"]').tap()
    ui.view(page, "reasons")
    page.locator('[data-reason="bribe"]').tap()
    page.locator('[data-action="send-reasons"]').tap()
    ui.view(page, "thanks")
    [stored] = stored_ratings(kiosk.data_dir)
    assert json.loads(stored["reasons"]) == ["bribe"]
    code = page.locator("[data-tracking-code]")
    assert code.get_attribute("data-tracking-code") == code.inner_text() == tracking_code(stored["uuid"])
    assert page.locator("#tracking-board").inner_text() == "https://danhgia.example.gov.vn/cong-khai"
    page.wait_for_function("() => document.getElementById('tracking-qr').naturalWidth > 0")
    ui.fonts_ready(page)
    ui.shot(page, "thanks-offline")
    assert page.errors == []
    page.context.close()
