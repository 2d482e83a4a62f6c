"""The touch screen in a real headless Chromium, served by waitress over the real KioskService and SQLite outbox.

The kiosk gets its config as the uploader gives it (``service.apply_config``)
and its buttons on gpiozero's MockFactory, so ``/dev/press`` walks the whole
GPIO path. Screenshots of every view at 800x480 (Touch Display) and 720x1280
(Touch Display 2) land in test-artifacts/kiosk/. Skipped where Chromium is
not installed; under CI=true that is a failure.
"""
from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import Buttons
from kiosk.config import GpioConfig
from kiosk.screen import create_app
from kiosk.service import ANSWER_SETTLE_S, KioskService
from kiosk.tracking import tracking_code

from ..ports_support import free_port
from .kiosk_support import (
    PIN_BINH, central_config, damage_page_under_a_running_kiosk, open_service, serving, stored_ratings,
)
from .screen_support import (
    LANDSCAPE,
    LAYOUT_PROBLEMS,
    LONG_BOARD_URL,
    LONG_REASONS,
    PORTRAIT,
    enter_pin,
    fonts_ready,
    long_names_config,
    long_press,
    open_page,
    portrait_photo,
    shot,
    view,
)

pytestmark = pytest.mark.browser

@dataclass
class Kiosk:
    url: str
    service: KioskService
    data_dir: Path

    def configure(self, *, on_duty: int | None = 12, **settings: Any) -> None:
        """A new central config, as the uploader would apply it (the page hears of it by its event stream)."""
        self.service.apply_config(central_config(on_duty=on_duty, **settings))

    def ratings(self) -> list[tuple[int, str, list[str]]]:
        return [(r["score"], r["source"], json.loads(r["reasons"])) for r in stored_ratings(self.data_dir)]

    def last_code(self) -> str:
        """The tracking code of the last rating stored."""
        return tracking_code(stored_ratings(self.data_dir)[-1]["uuid"])


@pytest.fixture
def kiosk(tmp_path) -> Iterator[Kiosk]:
    """A kiosk with three mock buttons, officer 12 on duty, no cool-down and short thanks and code views."""
    factory = MockFactory()
    data_dir = tmp_path / "kiosk"
    service = open_service(data_dir, central_config(cooldown_s=0, thanks_s=0.5, tracking_s=3))
    buttons = Buttons(service, GpioConfig(buttons=[17, 27, 22], ack_led=23, status_led=24), pin_factory=factory)
    try:
        with serving(create_app(service, buttons=buttons)) as url:
            yield Kiosk(url, service, data_dir)
    finally:
        buttons.close()
        service.close()
        factory.reset()


@pytest.fixture
def page(browser, kiosk):
    page = open_page(browser, kiosk.url)
    view(page, "idle")
    yield page
    assert page.errors == []
    page.context.close()


def test_browser_each_level_thanks_and_is_stored(page, kiosk):
    assert page.locator('[data-officer-id="12"]').is_visible()
    assert page.locator("#officer-name").inner_text() == "Nguyễn Văn An"
    assert page.locator(".question").inner_text() == "Ông/Bà đánh giá thế nào về sự phục vụ của cán bộ?"
    # Best first, as on the paper forms.
    assert [b.get_attribute("data-score") for b in page.locator("[data-score]").all()] == ["3", "2", "1"]
    assert page.locator("[data-score]").all_inner_texts() == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    for score in (3, 2):
        page.locator(f'[data-score="{score}"]').tap()
        assert "Cảm ơn Ông/Bà!" in view(page, "thanks").inner_text()
        view(page, "idle")
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    assert kiosk.ratings() == [(3, "touch", []), (2, "touch", []), (1, "touch", [])]


def test_browser_reasons_are_chosen_and_sent(page, kiosk):
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    for code in ("slow", "bribe", "slow"):
        page.locator(f'[data-reason="{code}"]').tap()
    assert page.locator('[data-reason="slow"]').get_attribute("aria-pressed") == "false"
    assert page.locator('[data-reason="bribe"]').get_attribute("aria-pressed") == "true"
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    view(page, "idle")
    assert kiosk.ratings() == [(1, "touch", ["bribe"])]


def test_browser_reasons_are_sent_by_themselves_after_the_timeout(page, kiosk):
    kiosk.configure(cooldown_s=0, thanks_s=0.5, reasons_timeout_s=3)
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.locator('[data-reason="attitude"]').tap()
    # Nobody presses "send": the chosen reason goes by itself, before the kiosk's own deadline.
    view(page, "thanks", timeout=15_000)
    assert kiosk.ratings() == [(1, "touch", ["attitude"])]


def test_browser_gpio_press_shows_thanks_on_every_open_page(page, browser, kiosk):
    second = open_page(browser, kiosk.url, PORTRAIT)
    view(second, "idle")
    assert page.request.post(f"{kiosk.url}/dev/press/3").ok
    view(page, "thanks")
    view(second, "thanks")
    assert kiosk.ratings() == [(3, "button", [])]
    # A low score from a button asks the reasons, which the buttons answer: the middle one says done.
    view(page, "idle")
    assert page.request.post(f"{kiosk.url}/dev/press/1").ok
    view(page, "reasons")
    view(second, "reasons")
    assert page.locator("#buttons-legend").is_visible()
    time.sleep(ANSWER_SETTLE_S)
    assert page.request.post(f"{kiosk.url}/dev/press/2").ok
    view(page, "thanks")
    view(second, "thanks")
    assert second.errors == []
    second.context.close()


def test_browser_closed_when_nobody_is_on_duty(page, kiosk):
    kiosk.configure(on_duty=None, cooldown_s=0, thanks_s=0.5)
    closed = view(page, "closed")
    assert "Quầy đang tạm nghỉ" in closed.inner_text()
    assert not page.locator("[data-score]").first.is_visible()
    assert page.request.post(f"{kiosk.url}/dev/press/3").ok
    page.wait_for_timeout(300)
    assert page.locator('[data-view="closed"]').is_visible()
    assert kiosk.ratings() == []
    kiosk.configure(on_duty=13, cooldown_s=0, thanks_s=0.5)
    view(page, "idle")
    assert page.locator('[data-officer-id="13"]').is_visible()


@pytest.fixture
def pad_page(browser, kiosk):
    """The page with a fake clock, so that a long press takes no real time."""
    page = open_page(browser, kiosk.url, clock=True)
    view(page, "idle")
    yield page
    assert page.errors == []
    page.context.close()


def test_browser_pin_pad_signs_an_officer_in_and_out(pad_page, kiosk):
    page = pad_page
    long_press(page)
    pad = page.locator('[data-panel="pin"]')
    pad.wait_for(state="visible")
    page.locator('[data-pad-officer="13"]').tap()
    enter_pin(page, PIN_BINH)
    pad.wait_for(state="hidden")
    page.locator('[data-officer-id="13"]').wait_for(state="visible")
    assert page.locator("#officer-name").inner_text() == "Trần Thị Bình"
    long_press(page)
    page.locator('[data-action="sign-out"]').tap()
    enter_pin(page, PIN_BINH)
    view(page, "closed")
    assert pad.is_hidden()


def test_browser_pin_pad_locks_after_five_wrong_pins(pad_page, kiosk):
    page = pad_page
    long_press(page)
    page.locator('[data-pad-officer="12"]').tap()
    message = page.locator("#pad-message")
    for left in (4, 3, 2, 1):
        enter_pin(page, "0000")
        message.filter(has_text=f"Còn {left} lần thử").wait_for()
    enter_pin(page, "0000")
    message.filter(has_text="Thử lại sau 5 phút").wait_for()
    assert page.locator('[data-key="1"]').is_disabled()
    shot(page, "pad-locked")
    # Closed and opened again, the pad still says it is locked: the lock is the kiosk's, not the page's.
    page.locator('#pad-pin [data-action="pad-close"]').tap()
    long_press(page)
    page.locator('[data-pad-officer="12"]').tap()
    assert "Thử lại sau 5 phút" in message.inner_text()
    assert page.locator('[data-key="1"]').is_disabled()
    assert page.locator('[data-officer-id="12"]').count() == 1


def test_browser_pin_pad_closes_itself_when_left_alone(pad_page):
    page = pad_page
    long_press(page)
    pad = page.locator('[data-panel="pin"]')
    pad.wait_for(state="visible")
    page.locator('[data-pad-officer="12"]').tap()
    page.locator('[data-key="1"]').tap()
    page.clock.run_for(29_000)
    assert pad.is_visible()
    page.clock.run_for(2_000)
    pad.wait_for(state="hidden")
    # A short touch on the spot does not open it.
    long_press(page, hold_ms=800)
    page.clock.run_for(3000)
    assert pad.is_hidden()


def test_browser_pin_pad_pages_through_many_officers(browser, kiosk):
    config = central_config(cooldown_s=0, thanks_s=0.5)
    config["officers"] += [
        {"id": 100 + i, "code": f"MT-{100 + i}", "name": f"Cán bộ số {i}", "title": "Công chức", "photo_url": None,
         "pin_hash": None}
        for i in range(1, 7)
    ]
    kiosk.service.apply_config(config)
    page = open_page(browser, kiosk.url, clock=True)
    view(page, "idle")
    long_press(page)
    officers = page.locator("[data-pad-officer]")
    assert officers.count() == 6
    assert page.locator("#pad-page").inner_text() == "Trang 1/2"
    page.locator('[data-action="pad-next"]').tap()
    assert officers.all_inner_texts() == ["Cán bộ số 5\nCông chức · MT-105", "Cán bộ số 6\nCông chức · MT-106"]
    assert page.locator('[data-action="pad-next"]').is_disabled()
    page.locator('[data-pad-officer="106"]').tap()
    assert page.locator("#pad-who").inner_text() == "Cán bộ số 6"
    assert page.errors == []
    page.context.close()


def test_browser_english_switch_falls_back_to_vietnamese_after_a_rating(page, kiosk):
    page.locator('[data-action="language"]').tap()
    assert page.locator(".question").inner_text() == "How would you rate the officer's service?"
    assert page.locator("[data-score]").all_inner_texts() == ["Very satisfied", "Satisfied", "Not satisfied"]
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator('[data-score="1"]').tap()
    assert "Was anything not right?" in view(page, "reasons").inner_text()
    assert page.locator('[data-reason="bribe"]').inner_text() == "Asked for an unofficial payment"
    page.locator('[data-action="send-reasons"]').tap()
    thanks = view(page, "thanks").inner_text()
    assert "Thank you!" in thanks and "Your tracking code:" in thanks
    # "Done" on the code: the next citizen's screen at once, in Vietnamese.
    page.locator('[data-action="done"]').tap()
    view(page, "idle", timeout=2_000)
    assert page.locator(".question").inner_text() == "Ông/Bà đánh giá thế nào về sự phục vụ của cán bộ?"
    assert page.locator('[data-action="language"]').inner_text() == "English"


def test_browser_thanks_lasts_until_the_cooldown_is_over(browser, kiosk):
    kiosk.configure(cooldown_s=30, thanks_s=1)
    page = open_page(browser, kiosk.url, clock=True)
    view(page, "idle")
    page.locator('[data-score="3"]').tap()
    view(page, "thanks")
    page.clock.run_for(20_000)
    assert page.locator('[data-view="thanks"]').is_visible()
    page.clock.run_for(11_000)
    view(page, "idle")
    # A page opened inside a cool-down shows thanks, never an idle view that would ignore a press.
    other = open_page(browser, kiosk.url)
    view(other, "thanks")
    other.context.close()
    page.context.close()


def test_browser_waits_calmly_while_the_kiosk_is_down_and_comes_back(browser, tmp_path):
    service = KioskService.open(tmp_path / "kiosk")
    port = free_port()
    try:
        with serving(create_app(service), port=port) as url:
            page = open_page(browser, url)
            waiting = view(page, "waiting")
            assert "Vui lòng chờ" in waiting.inner_text()
            assert_fits(page, "waiting")
            tall = open_page(browser, url, PORTRAIT)
            view(tall, "waiting")
            assert_fits(tall, "waiting")
            tall.context.close()
            service.apply_config(central_config(cooldown_s=0, thanks_s=0.5))
            view(page, "idle")
        # The kiosk process is gone: a calm page, never a browser error.
        view(page, "waiting")
        assert page.url == f"{url}/"
        with serving(create_app(service), port=port):
            view(page, "idle", timeout=20_000)
            page.locator('[data-score="3"]').tap()
            view(page, "thanks")
    finally:
        service.close()
    page.context.close()


def test_browser_forbids_zoom_selection_context_menu_and_scrolling(page):
    meta = page.locator('meta[name="viewport"]').get_attribute("content")
    assert "user-scalable=no" in meta and "maximum-scale=1" in meta
    styles = page.evaluate(
        "() => { const s = getComputedStyle(document.documentElement);"
        " return [s.userSelect, s.touchAction, s.overflow, getComputedStyle(document.body).overflow]; }"
    )
    assert styles == ["none", "none", "hidden", "hidden"]
    prevented = page.evaluate(
        "() => ['contextmenu', 'selectstart', 'dblclick'].map(type => {"
        " const e = new Event(type, {bubbles: true, cancelable: true});"
        " document.querySelector('.question').dispatchEvent(e); return e.defaultPrevented; })"
    )
    assert prevented == [True, True, True]
    page.mouse.wheel(0, 600)
    assert page.evaluate("() => [scrollX, scrollY]") == [0, 0]


def assert_fits(page, what: str) -> None:
    fonts_ready(page)
    shot(page, what)
    assert page.evaluate(LAYOUT_PROBLEMS) == [], what


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_every_view_fits_the_touch_displays(browser, kiosk, viewport):
    kiosk.configure(cooldown_s=0, thanks_s=600, reasons_timeout_s=600)
    kiosk.service.store_photo(12, "/api/v1/officers/12/photo?v=1", portrait_photo(), "image/jpeg")
    page = open_page(browser, kiosk.url, viewport, clock=True)
    view(page, "idle")
    photo = page.locator("#photo")
    photo.wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('photo').naturalWidth === 240")
    assert_fits(page, "idle")
    page.locator('[data-action="language"]').tap()
    assert_fits(page, "idle-en")
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.locator('[data-reason="bribe"]').tap()
    assert_fits(page, "reasons-en")
    page.locator('[data-action="language"]').tap()
    assert_fits(page, "reasons")
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    assert_code_shown(page, kiosk.last_code(), "https://danhgia.example.gov.vn/cong-khai")
    assert_fits(page, "thanks")
    page.locator('[data-action="done"]').tap()
    view(page, "idle")
    kiosk.configure(on_duty=None, cooldown_s=0, thanks_s=600)
    page.reload()
    view(page, "closed")
    assert_fits(page, "closed")
    long_press(page)
    page.locator('[data-panel="pin"]').wait_for(state="visible")
    assert_fits(page, "pad-officers")
    page.locator('[data-pad-officer="13"]').tap()
    enter_pin(page, "1")
    page.locator("#pad-message").filter(has_text="Sai mã PIN").wait_for()
    page.locator('[data-key="4"]').tap()
    assert_fits(page, "pad-pin")
    assert page.errors == []
    page.context.close()


# The lines of the board's address as drawn: where each text node's characters fall.
BOARD_LINES = """el => {
  const lines = [];
  let top = null;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const y = Math.round(range.getBoundingClientRect().top);
      if (top === null || y > top + 2) { lines.push(""); top = y; }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""


def assert_code_shown(page, code: str, board: str | None) -> None:
    """The thanks view shows tracking code ``code`` whole, with the board's address and QR code (or neither)."""
    shown = page.locator("[data-tracking-code]")
    assert shown.get_attribute("data-tracking-code") == shown.inner_text() == code
    assert shown.evaluate(SHOWN_WHOLE)
    if board is None:
        assert not page.locator("#tracking-board").is_visible() and not page.locator("#tracking-qr").is_visible()
        return
    assert page.locator("#tracking-board").inner_text() == board
    # A line ends after a "/" or a ".", never after a hyphen (which would read as a word cut in two).
    lines = page.locator("#tracking-board").evaluate(BOARD_LINES)
    assert "".join(lines) == board and all(line[-1] in "/." for line in lines[:-1]), lines
    assert page.locator("#tracking-board").evaluate(SHOWN_WHOLE)
    # The QR code is the kiosk's own picture, drawn before the screenshot.
    page.wait_for_function("() => document.getElementById('tracking-qr').naturalWidth > 0")
    assert page.locator("#tracking-qr").get_attribute("src") == f"/tracking/{code}.svg"


# True when the element shows all of its text (a line-clamped name hides the rest behind an ellipsis).
SHOWN_WHOLE = "el => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1"


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_five_levels_and_long_names_fit(browser, kiosk, viewport):
    config = long_names_config(cooldown_s=0, thanks_s=0.5, reasons_timeout_s=600)
    kiosk.service.apply_config(config)
    page = open_page(browser, kiosk.url, viewport)
    view(page, "idle")
    assert page.locator("[data-score]").all_inner_texts() == [
        "Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng",
    ]
    # Five colours that differ, one per level.
    colours = page.evaluate("() => [...document.querySelectorAll('[data-score]')].map(b => b.style.getPropertyValue('--c'))")
    assert len(set(colours)) == 5
    assert_fits(page, "idle-5-levels-long-names")
    # The long desk, name and title wrap or shrink: the citizen reads them whole, no ellipsis.
    for text in ("#desk-name", "#unit-name", "#officer-name", "#officer-title"):
        assert page.locator(text).evaluate(SHOWN_WHOLE), text
    page.locator('[data-action="language"]').tap()
    assert_fits(page, "idle-5-levels-long-names-en")
    page.locator('[data-score="2"]').tap()
    view(page, "reasons")
    # Every reason chosen: bold words are the widest.
    for reason in LONG_REASONS:
        page.locator(f'[data-reason="{reason["code"]}"]').tap()
    assert_fits(page, "reasons-long-en")
    page.locator('[data-action="language"]').tap()
    assert page.locator('[data-reason="unclear"]').inner_text() == LONG_REASONS[2]["label"]["vi"]
    assert_fits(page, "reasons-long")
    for reason in LONG_REASONS[:3]:
        page.locator(f'[data-reason="{reason["code"]}"]').tap()
    assert_fits(page, "reasons-long-some")
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    assert_code_shown(page, kiosk.last_code(), LONG_BOARD_URL)
    assert_fits(page, "thanks-code-long-url")
    page.locator('[data-action="done"]').tap()
    view(page, "idle")
    page.locator('[data-action="language"]').tap()
    page.locator('[data-score="1"]').tap()
    page.locator('[data-action="send-reasons"]').tap()
    assert "Your tracking code:" in view(page, "thanks").inner_text()
    assert_code_shown(page, kiosk.last_code(), LONG_BOARD_URL)
    assert_fits(page, "thanks-code-long-url-en")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_code_without_a_board_says_to_ask_at_the_desk(browser, kiosk, viewport):
    config = central_config(cooldown_s=0, thanks_s=0.5, reasons_timeout_s=600)
    config["public_board_url"] = None
    kiosk.service.apply_config(config)
    page = open_page(browser, kiosk.url, viewport)
    for language, words in (("vi", "hỏi tại bộ phận tiếp nhận và trả kết quả"), ("en", "ask at the reception desk")):
        view(page, "idle")
        if language == "en":
            page.locator('[data-action="language"]').tap()
        page.locator('[data-score="1"]').tap()
        page.locator('[data-action="send-reasons"]').tap()
        assert words in view(page, "thanks").inner_text()
        assert_code_shown(page, kiosk.last_code(), None)
        assert_fits(page, f"thanks-code-no-board-{language}")
        page.locator('[data-action="done"]').tap()
    assert page.errors == []
    page.context.close()


def test_browser_code_stays_its_own_time_and_only_after_the_reasons(browser, kiosk):
    kiosk.configure(cooldown_s=0, thanks_s=1, tracking_s=40, reasons_timeout_s=5)
    page = open_page(browser, kiosk.url, clock=True)
    view(page, "idle")
    # A high score without reasons (reasons_after_every_score off): the short thanks, no code.
    page.locator('[data-score="3"]').tap()
    view(page, "thanks")
    assert not page.locator("#tracking").is_visible() and page.locator("[data-tracking-code]").count() == 0
    page.clock.run_for(1_500)
    view(page, "idle")
    # A low score whose reasons the citizen leaves unanswered: they go by themselves, and the code shows
    # for tracking_s, however the reasons view ended.
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.clock.run_for(5_500)
    view(page, "thanks")
    assert page.locator("[data-tracking-code]").inner_text() == kiosk.last_code()
    page.clock.run_for(35_000)
    assert page.locator('[data-view="thanks"]').is_visible()
    page.clock.run_for(6_000)
    view(page, "idle")
    assert page.locator("[data-tracking-code]").count() == 0
    assert page.errors == []
    page.context.close()


def test_browser_idle_screen_reads_nothing_from_elsewhere(browser, kiosk):
    page = open_page(browser, kiosk.url)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    view(page, "idle")
    assert requested and all(re.match(rf"{re.escape(kiosk.url)}/", url) for url in requested)
    page.context.close()


# -- reasons: never thanked for when not stored; answered with the buttons; the level kept private --


RECORD_VIEWS = """() => {
  window.__views = [];
  new MutationObserver(() => window.__views.push(document.getElementById("app").dataset.view))
    .observe(document.getElementById("app"), { attributes: true, attributeFilter: ["data-view"] });
}"""


def test_browser_reasons_the_kiosk_failed_to_store_are_asked_again(page, kiosk, monkeypatch):
    real = kiosk.service.outbox.set_reasons
    failed: list[bool] = []

    def disk_error_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise OSError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(kiosk.service.outbox, "set_reasons", disk_error_once)
    page.evaluate(RECORD_VIEWS)
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.locator('[data-reason="bribe"]').tap()
    page.locator('[data-action="send-reasons"]').tap()
    notice = page.locator("#reasons-notice")
    notice.wait_for(state="visible")
    assert notice.inner_text() == "Chưa ghi nhận được lựa chọn của Ông/Bà. Xin chọn lại rồi bấm Gửi."
    assert page.locator('[data-reason="bribe"]').get_attribute("aria-pressed") == "true", "the choice is kept"
    assert "thanks" not in page.evaluate("window.__views"), "never thanked for what was not stored"
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    assert kiosk.ratings() == [(1, "touch", ["bribe"])]
    # The kiosk's 500 is the failure the page was told of, not a fault of the page.
    page.errors[:] = [e for e in page.errors if "500" not in e]


def test_browser_a_press_the_damaged_outbox_cannot_store_is_never_thanked(page, kiosk):
    page.locator('[data-score="3"]').tap()
    view(page, "thanks")
    view(page, "idle")
    damage_page_under_a_running_kiosk(kiosk.data_dir / "outbox.db")
    page.evaluate(RECORD_VIEWS)
    notice = page.locator("[data-press-notice]")
    for press in (lambda: page.locator('[data-score="2"]').tap(),
                  lambda: page.request.post(f"{kiosk.url}/dev/press/3")):
        press()
        notice.wait_for(state="visible")
        assert notice.inner_text() == ("Ki-ốt gặp sự cố, chưa ghi nhận được đánh giá của Ông/Bà."
                                       " Xin đợi ít phút rồi đánh giá lại.")
        assert page.evaluate("window.__views") == [], "the rating view stays: never a thanks, never a dead screen"
        page.evaluate("document.getElementById('press-notice').hidden = true")
    page.locator('[data-action="language"]').tap()
    page.locator('[data-score="1"]').tap()
    notice.wait_for(state="visible")
    assert notice.inner_text().startswith("The kiosk has a fault and could not record your rating.")
    assert kiosk.service.outbox.failing is not None, "the watchdog stops: systemd restarts the kiosk"
    assert len(stored_ratings_readable(kiosk.data_dir)) == 1


def stored_ratings_readable(data_dir: Path) -> list[str]:
    """The ids of the ratings still readable by their index (the table's own page is the damaged one)."""
    import sqlite3

    conn = sqlite3.connect(data_dir / "outbox.db")
    try:
        return [row[0] for row in conn.execute("SELECT uuid FROM ratings INDEXED BY sqlite_autoindex_ratings_1")]
    finally:
        conn.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_buttons_answer_the_reasons_shown_on_the_screen(browser, kiosk, viewport):
    kiosk.configure(cooldown_s=0, thanks_s=600, reasons_timeout_s=600)
    page = open_page(browser, kiosk.url, viewport)
    view(page, "idle")
    assert page.request.post(f"{kiosk.url}/dev/press/1").ok
    view(page, "reasons")
    legend = page.locator("#buttons-legend")
    legend.wait_for(state="visible")
    assert "nút ĐỎ" in legend.inner_text()
    time.sleep(ANSWER_SETTLE_S)
    assert page.request.post(f"{kiosk.url}/dev/press/1").ok  # yes: asked for money (misconduct comes first)
    page.locator('[data-reason="bribe"][aria-pressed="true"]').wait_for()
    page.locator('[data-reason="slow"].current').wait_for()
    assert_fits(page, "reasons-buttons")
    time.sleep(ANSWER_SETTLE_S)
    assert page.request.post(f"{kiosk.url}/dev/press/2").ok  # done
    view(page, "thanks")
    assert kiosk.ratings() == [(1, "button", ["bribe"])]
    # A citizen at the buttons is shown their code too.
    assert_code_shown(page, kiosk.last_code(), "https://danhgia.example.gov.vn/cong-khai")
    assert_fits(page, "thanks-buttons")
    assert page.errors == []
    page.context.close()


def same_picture(png_a: bytes, png_b: bytes) -> bool:
    """The same picture but for anti-aliasing: no pixel off by more than a faint shade, and few off at all.

    Chromium under load rasterises a glyph edge a shade differently now and then;
    a different level, face or word changes thousands of pixels by far more.
    """
    from PIL import Image, ImageChops

    a, b = (Image.open(io.BytesIO(png)).convert("L") for png in (png_a, png_b))
    if a.size != b.size:
        return False
    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[33:]) == 0 and sum(histogram[1:]) <= a.size[0] * a.size[1] // 1000


# The tracking code view showing one fixed code and its QR code, whatever the rating was.
FIXED_CODE = """() => {
    document.getElementById('tracking-code').textContent = '00000-00000';
    const qr = document.getElementById('tracking-qr');
    qr.src = qr.src.replace(/[^/]+\\.svg$/, '00000-00000.svg');
}"""


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_the_screen_after_any_score_looks_the_same(browser, kiosk, viewport):
    """What someone at the desk can see of the screen does not tell which level was chosen, nor whether a
    complaint of misconduct was made: the reasons view, and the tracking code's view after it."""
    kiosk.configure(cooldown_s=0, thanks_s=600, reasons_timeout_s=600, reasons_after_every_score=True)
    page = open_page(browser, kiosk.url, viewport)
    pictures = {}
    closings = {}
    for score in (3, 2, 1):
        view(page, "idle")
        assert page.request.post(f"{kiosk.url}/dev/press/{score}").ok
        view(page, "reasons")
        page.locator("#buttons-legend").wait_for(state="visible")
        fonts_ready(page)
        # The time bar runs from the press: stopped, so that only what the citizen chose could differ.
        pictures[score] = page.locator(".view-reasons").screenshot(animations="disabled", caret="hide")
        shot(page, f"private-after-{score}")
        if score == 1:
            time.sleep(ANSWER_SETTLE_S)
            assert page.request.post(f"{kiosk.url}/dev/press/1").ok  # yes: asked for money
            page.locator('[data-reason="bribe"][aria-pressed="true"]').wait_for()
        time.sleep(ANSWER_SETTLE_S)
        assert page.request.post(f"{kiosk.url}/dev/press/2").ok
        view(page, "thanks")
        assert_code_shown(page, kiosk.last_code(), "https://danhgia.example.gov.vn/cong-khai")
        # The code and its QR code differ from rating to rating, at random: one fixed code in their place, the
        # rest must not differ. (A mask over them was not enough: a glyph such as Q's tail reaches past its box.)
        page.evaluate(FIXED_CODE)
        page.wait_for_function("() => document.getElementById('tracking-qr').src.endsWith('/00000-00000.svg')")
        page.wait_for_function("() => document.getElementById('tracking-qr').naturalWidth > 0")
        page.locator("#tracking-qr").evaluate("img => img.decode()")
        fonts_ready(page)
        closings[score] = page.locator(".view-thanks").screenshot(animations="disabled", caret="hide")
        shot(page, f"private-code-after-{score}")
        page.reload()
    assert same_picture(pictures[3], pictures[2]) and same_picture(pictures[3], pictures[1])
    assert same_picture(closings[3], closings[2]) and same_picture(closings[3], closings[1])
    assert kiosk.ratings() == [(3, "button", []), (2, "button", []), (1, "button", ["bribe"])]
    assert page.errors == []
    page.context.close()


def reasons_page(browser, kiosk, viewport):
    """A page on the reasons view after a low score, with all the time in the world."""
    kiosk.configure(cooldown_s=0, thanks_s=600, reasons_timeout_s=600)
    page = open_page(browser, kiosk.url, viewport)
    view(page, "idle")
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    return page


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_queue_ticket_typed_with_the_reasons(browser, kiosk, viewport):
    page = reasons_page(browser, kiosk, viewport)
    ticket_button = page.locator("#ticket-button")
    assert ticket_button.inner_text() == "Số phiếu"
    ticket_button.tap()
    pad = page.locator('[data-panel="ticket"]')
    pad.wait_for(state="visible")
    for key in ("A", "0", "1", "7", "9"):
        page.locator(f'[data-ticket-key="{key}"]').tap()
    page.locator('[data-action="ticket-delete"]').tap()
    assert page.locator("#ticket-value").inner_text() == "A017"
    assert_fits(page, "ticket")
    page.locator('[data-action="ticket-done"]').tap()
    pad.wait_for(state="hidden")
    assert ticket_button.inner_text() == "Số phiếu: A017"
    page.locator('[data-reason="bribe"]').tap()
    assert_fits(page, "reasons-ticket")
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    [item] = kiosk.service.outbox.sendable_ratings(time.time() + 1, 10)
    assert (item["reasons"], item["ticket"]) == (["bribe"], "A017")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_short_comment_typed_in_vietnamese(browser, kiosk, viewport):
    page = reasons_page(browser, kiosk, viewport)
    page.locator("#comment-button").tap()
    page.locator('[data-panel="comment"]').wait_for(state="visible")

    def type_keys(*keys: str) -> None:
        for key in keys:
            if key in ("acute", "grave", "hook", "tilde", "dot"):
                page.locator(f'[data-tone="{key}"]').tap()
            elif key == " ":
                page.locator('[data-action="comment-space"]').tap()
            else:
                page.locator(f'[data-comment-key="{key}"]').tap()

    # "chậm quá": the tone after the word, on its last vowel.
    type_keys("c", "h", "â", "m", "dot", " ", "q", "u", "a", "grave", "acute")
    assert page.locator("#comment-value").inner_text() == "chậm quá"
    assert_fits(page, "comment")
    page.locator('[data-action="comment-done"]').tap()
    assert page.locator("#comment-button").inner_text() == "Góp ý ✓"
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    [item] = kiosk.service.outbox.sendable_ratings(time.time() + 1, 10)
    assert item["comment"] == "chậm quá"
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_the_widest_code_fits(browser, kiosk, viewport):
    """Codes are random: the widest letters ("WWWWW-WWWWW", a quarter wider than digits) fit whole, at one size for all."""
    config = central_config(cooldown_s=0, thanks_s=0.5, reasons_timeout_s=600)
    config["public_board_url"] = "https://danhgia.example.gov.vn/cong-khai"
    kiosk.service.apply_config(config)
    page = open_page(browser, kiosk.url, viewport)
    view(page, "idle")
    page.locator('[data-score="1"]').tap()
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    code = page.locator("#tracking-code")
    sizes = set()
    for text in ("WWWWW-WWWWW", "MMMMM-MMMMM", "QQQQQ-JJJJJ", "11111-11111"):
        code.evaluate("(el, text) => { el.textContent = text; }", text)
        assert code.evaluate(SHOWN_WHOLE), (viewport, text)
        sizes.add(code.evaluate("el => getComputedStyle(el).fontSize"))
    assert len(sizes) == 1
    page.context.close()
