"""The console in a real Chromium on a phone-sized screen: strict CSP holds, nothing overflows, targets are big.

Skipped where Chromium is not installed (``make chromium`` installs Debian's).
"""
from __future__ import annotations

import pytest

from .console_support import PASSWORD, add_ratings, add_user, serving

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
# The smallest comfortable touch target, in CSS pixels.
TOUCH = 44


@pytest.fixture
def console_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def phone(browser, console_url, app, world):
    """A signed-in administrator's page on a phone, with every console message collected."""
    add_user(app, "quantri", "admin")
    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, []), (1, world.officer_a_id, ["slow"])])
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.messages = []
    page.on("console", lambda m: page.messages.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(f"{console_url}/login")
    page.fill("#username", "quantri")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{console_url}/")
    yield page
    context.close()


PAGES = [
    "/",
    "/ranking?min_ratings=1",
    "/officers",
    "/officers/{officer_a_id}/scorecard",
    "/officers/{officer_a_id}/edit",
    "/kiosks",
    "/kiosks/{kiosk_a_id}",
    "/units",
    "/complaints",
    "/users",
    "/audit",
]


def test_pages_fit_a_phone_and_break_no_policy(phone, console_url, world):
    for path in PAGES:
        phone.goto(console_url + path.format(**vars(world)))
        assert phone.locator("h1").first.is_visible(), path
        wider = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wider <= 0, f"{path} is {wider}px wider than the phone"
    # A Content-Security-Policy violation, a missing file or a script error would be logged here.
    assert phone.messages == []


def test_touch_targets_are_big_enough(phone, console_url):
    phone.goto(f"{console_url}/ranking")
    sizes = phone.eval_on_selector_all(
        "nav a, main button, main input:not([type=hidden]), main select, header button",
        "elements => elements.map(e => [e.textContent.trim() || e.name, e.getBoundingClientRect().height])",
    )
    small = [(name, height) for name, height in sizes if height < TOUCH]
    assert sizes and not small


def test_wide_table_scrolls_inside_its_frame(phone, console_url):
    phone.goto(f"{console_url}/ranking?min_ratings=1")
    frame = phone.locator(".table-wrap").first
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")
    assert frame.evaluate("e => getComputedStyle(e).overflowX") == "auto"


def test_language_switch_in_the_browser(phone, console_url):
    phone.goto(f"{console_url}/officers")
    assert phone.locator("h1").inner_text() == "Công chức"
    phone.click("form.lang button")
    phone.wait_for_url(f"{console_url}/officers")
    assert phone.locator("h1").inner_text() == "Officers"
    assert phone.locator("html").get_attribute("lang") == "en"


def visible_charts(page) -> list[dict]:
    """Each trend chart drawing the page shows: its class, and how big its 14-unit text is on the screen."""
    return page.eval_on_selector_all(
        "svg.chart",
        """charts => charts.filter(c => getComputedStyle(c).display !== 'none').map(c => ({
            kind: c.classList.contains('wide') ? 'wide' : 'narrow',
            text_px: 14 * c.getBoundingClientRect().width / c.viewBox.baseVal.width,
        }))""",
    )


@pytest.mark.parametrize("path", ["/", "/?period=2025-H2", "/?period=2025-Q4", "/?period=2024-01-01..2025-12-31",
                                  "/officers/{officer_a_id}/scorecard?period=2025"])
def test_trend_charts_are_readable_on_a_phone_and_a_desktop(phone, console_url, world, path, tmp_path):
    url = console_url + path.format(**vars(world))
    phone.goto(url)
    charts = visible_charts(phone)
    assert [c["kind"] for c in charts] == ["narrow"]
    assert charts[0]["text_px"] >= 11
    phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.goto(url)
    charts = visible_charts(phone)
    assert [c["kind"] for c in charts] == ["wide"]
    assert charts[0]["text_px"] >= 11
    # No axis label overlaps the next: each stays inside its own share of the width.
    boxes = phone.eval_on_selector_all(
        "svg.chart.wide text[text-anchor=middle]:not(.value)",
        "labels => labels.map(l => { const r = l.getBoundingClientRect(); return [r.left, r.right]; })",
    )
    assert all(right <= next_left for (_, right), (next_left, _) in zip(boxes, boxes[1:]))
    phone.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)
    assert phone.messages == []
