"""The public board in a real Chromium: the lobby TV at 1920×1080 and the board on a 390 px phone.

Nothing overflows sideways or is cut off, the TV never scrolls, and the strict
Content-Security-Policy holds (no console error). Screenshots go to the
test's tmp_path for a person to look at. Skipped where Chromium is missing.
"""
from __future__ import annotations

import pytest

from .public_support import IN_PERIOD, IN_PREVIOUS, PERIOD, complaint_case, handle, inspector
from ..console.console_support import add_ratings, serving

pytestmark = pytest.mark.browser

TV = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
# Every element whose content is wider or taller than its box while it hides the rest.
CLIPPED = """() => [...document.querySelectorAll('body *')].filter(e => {
  const s = getComputedStyle(e);
  if (s.clipPath !== 'none') return false;  // visually hidden on purpose (a phone's table head)
  const hides = s.overflowX === 'hidden' || s.overflowY === 'hidden' || s.textOverflow === 'ellipsis';
  return hides && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1);
}).map(e => e.tagName + '.' + e.className)"""


@pytest.fixture
def board_url(app, world):
    from admin.db import db
    from admin.models import Unit
    from admin.units import create_unit

    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, [])] * 5 + [(1, world.officer_a_id, ["slow"])],
                when=IN_PERIOD)
    add_ratings(app, world.kiosk_b_id, [(2, None, [])] * 2, when=IN_PREVIOUS)
    with app.app_context():
        district = db.session.get(Unit, world.district_id)
        for n in range(12):
            create_unit(f"UBND xã Thanh Vân số {n + 1} — Bộ phận một cửa liên thông", "commune", district)
        db.session.commit()
    by = inspector(app, world.province_id)
    for officer, reasons, named in ((world.officer_a_id, ["bribe"], True), (world.officer_a2_id, ["harassment", "bribe"], False)):
        case_id, _ = complaint_case(app, world.kiosk_a_id, officer, reasons)
        handle(app, case_id, by, "published", show_officer=named)
    with serving(app) as url:
        yield url


def open_page(browser, viewport, url, **options):
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.messages = []
    page.on("console", lambda m: page.messages.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(url)
    return context, page


def overflow(page) -> tuple[int, int]:
    return page.evaluate("""() => [document.documentElement.scrollWidth - document.documentElement.clientWidth,
                                   document.documentElement.scrollHeight - document.documentElement.clientHeight]""")


def test_lobby_tv_fits_1920_by_1080_on_every_page(browser, board_url, tmp_path):
    context, page = open_page(browser, TV, f"{board_url}/cong-khai/tv?period={PERIOD}")
    pages = int(page.locator(".tv-page").inner_text().split("/")[1])
    assert pages == 3  # 16 units at 8 a page, then the published cases
    for number in range(1, pages + 1):
        page.goto(f"{board_url}/cong-khai/tv?period={PERIOD}&trang={number}")
        page.screenshot(path=str(tmp_path / f"tv-{number}.png"))
        assert overflow(page) == [0, 0], number
        assert page.evaluate(CLIPPED) == [], number
        # Large type: a unit's name or a case's facts read across a room.
        size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main tbody th, main dd')).fontSize)")
        assert size >= 28, number
    assert page.messages == []
    context.close()


def test_public_board_fits_a_390px_phone(browser, board_url, tmp_path):
    paths = (f"/cong-khai?period={PERIOD}", f"/cong-khai?period={PERIOD}&lang=en", "/cong-khai/tra-cuu?ma=8ZFW6-KRARH")
    for n, path in enumerate(paths):
        context, page = open_page(browser, PHONE, board_url + path, has_touch=True, is_mobile=True)
        page.screenshot(path=str(tmp_path / f"phone-{n}.png"), full_page=True)
        assert overflow(page)[0] <= 0, path
        assert page.evaluate(CLIPPED) == [], path
        assert page.messages == [], path
        context.close()


def test_public_board_on_a_desktop(browser, board_url, tmp_path):
    context, page = open_page(browser, {"width": 1280, "height": 900}, f"{board_url}/cong-khai?period={PERIOD}")
    page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)
    assert overflow(page)[0] <= 0 and page.messages == []
    context.close()
