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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import Buttons
from kiosk.config import GpioConfig
from kiosk.screen import create_app
from kiosk.service import KioskService

from .kiosk_support import PIN_BINH, ROOT, central_config, free_port, open_service, serving, stored_ratings

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "kiosk"
LANDSCAPE = {"width": 800, "height": 480}
PORTRAIT = {"width": 720, "height": 1280}
# The smallest comfortable touch target, in CSS pixels.
TOUCH = 44
LONG_PRESS_MS = 2100

FIVE_LEVELS = {
    "levels": [
        {"score": 1, "label": {"vi": "Rất không hài lòng", "en": "Very dissatisfied"}},
        {"score": 2, "label": {"vi": "Không hài lòng", "en": "Dissatisfied"}},
        {"score": 3, "label": {"vi": "Bình thường", "en": "Neither"}},
        {"score": 4, "label": {"vi": "Hài lòng", "en": "Satisfied"}},
        {"score": 5, "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}},
    ],
    "satisfied_from": 4,
    "ask_reasons_at_or_below": 2,
}


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


@pytest.fixture
def kiosk(tmp_path) -> Iterator[Kiosk]:
    """A kiosk with three mock buttons, officer 12 on duty, no cool-down and a short thanks view."""
    factory = MockFactory()
    data_dir = tmp_path / "kiosk"
    service = open_service(data_dir, central_config(cooldown_s=0, thanks_s=0.5))
    buttons = Buttons(service, GpioConfig(buttons=[17, 27, 22], ack_led=23, status_led=24), pin_factory=factory)
    try:
        with serving(create_app(service, buttons=buttons)) as url:
            yield Kiosk(url, service, data_dir)
    finally:
        buttons.close()
        service.close()
        factory.reset()


def open_page(browser, url: str, viewport: dict[str, int] = LANDSCAPE, *, clock: bool = False):
    """The kiosk's page on a touch screen, its console errors collected in ``page.errors``."""
    context = browser.new_context(viewport=viewport, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    if clock:
        page.clock.install()
    page.goto(url)
    return page


@pytest.fixture
def page(browser, kiosk):
    page = open_page(browser, kiosk.url)
    view(page, "idle")
    yield page
    assert page.errors == []
    page.context.close()


def view(page, name: str, timeout: float = 10_000):
    """Wait until the screen shows view ``name``; its root element."""
    root = page.locator(f'[data-view="{name}"]')
    root.wait_for(state="visible", timeout=timeout)
    return root


def long_press(page, hold_ms: int = LONG_PRESS_MS) -> None:
    """Hold a finger on the desk's name (the PIN pad's spot) on a page opened with ``clock=True``."""
    box = page.locator('[data-action="open-pad"]').bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.clock.run_for(hold_ms)
    page.mouse.up()


def enter_pin(page, pin: str) -> None:
    for digit in pin:
        page.locator(f'[data-key="{digit}"]').tap()
    page.locator('[data-action="pin-ok"]').tap()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{size['width']}x{size['height']}-{name}.png"))


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
    # A low score from a button thanks too: a citizen at the buttons may not touch the screen.
    view(page, "idle")
    assert page.request.post(f"{kiosk.url}/dev/press/1").ok
    view(page, "thanks")
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
    assert "Please tell us why" in view(page, "reasons").inner_text()
    assert page.locator('[data-reason="bribe"]').inner_text() == "Asked for an unofficial payment"
    page.locator('[data-action="send-reasons"]').tap()
    assert "Thank you!" in view(page, "thanks").inner_text()
    view(page, "idle")
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


LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const vw = innerWidth, vh = innerHeight;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const name = (el) => el.tagName + (el.className && typeof el.className === "string" ? "." + el.className : "")
    + (el.dataset.score ? "[" + el.dataset.score + "]" : "") + " '" + el.textContent.trim().slice(0, 30) + "'";
  if (document.documentElement.scrollHeight > vh || document.documentElement.scrollWidth > vw) problems.push("page scrolls");
  const boxes = [];
  // The PIN pad covers the whole screen: what is under it does not count.
  const scope = document.querySelector("[data-panel]:not([hidden])") || document.body;
  for (const el of scope.querySelectorAll("*")) {
    if (el.closest("svg") || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1) problems.push("off screen: " + name(el));
    const p = el.parentElement.getBoundingClientRect();
    if (r.left < p.left - 1 || r.top < p.top - 1 || r.right > p.right + 1 || r.bottom > p.bottom + 1)
      problems.push("sticks out of its box: " + name(el));
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const ellipsis = getComputedStyle(el).textOverflow === "ellipsis";
    if (text && el.clientWidth && !ellipsis && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      problems.push("clipped: " + name(el));
    if (el.tagName === "BUTTON") {
      if (r.width < TOUCH || r.height < TOUCH) problems.push(`too small (${r.width}x${r.height}): ` + name(el));
      for (const [other, o] of boxes) {
        if (r.left < o.right - 1 && o.left < r.right - 1 && r.top < o.bottom - 1 && o.top < r.bottom - 1)
          problems.push("overlap: " + name(el) + " / " + name(other));
      }
      boxes.push([el, r]);
    }
  }
  return problems;
}""".replace("TOUCH", str(TOUCH))


def assert_fits(page, what: str) -> None:
    shot(page, what)
    assert page.evaluate(LAYOUT_PROBLEMS) == [], what


def portrait_photo() -> bytes:
    """A small JPEG of a head and shoulders, as an officer's photo from the central service."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 300), "#9fb4c7")
    draw = ImageDraw.Draw(image)
    draw.ellipse((75, 50, 165, 150), fill="#e0b48f")
    draw.rectangle((40, 190, 200, 300), fill="#1f3a5f")
    draw.ellipse((40, 160, 200, 240), fill="#1f3a5f")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


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
    assert_fits(page, "thanks")
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


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["800x480", "720x1280"])
def test_browser_five_levels_and_long_names_fit(browser, kiosk, viewport):
    config = central_config(cooldown_s=0, thanks_s=0.5)
    config["scale"] = FIVE_LEVELS
    config["desk"]["name"] = "Quầy 12 — Đất đai, xây dựng, tài nguyên và môi trường, giao thông vận tải"
    config["officers"][0]["name"] = "Tôn Nữ Hoàng Thị Phương Nguyễn Ngọc Khánh Linh"
    config["officers"][0]["title"] = "Phó trưởng phòng Tài nguyên và Môi trường kiêm công chức địa chính"
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
    page.locator('[data-score="2"]').tap()
    view(page, "reasons")
    page.context.close()


def test_browser_idle_screen_reads_nothing_from_elsewhere(browser, kiosk):
    page = open_page(browser, kiosk.url)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    view(page, "idle")
    assert requested and all(re.match(rf"{re.escape(kiosk.url)}/", url) for url in requested)
    page.context.close()
