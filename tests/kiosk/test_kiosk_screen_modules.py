"""The touch screen's script as native ES modules (kiosk/static/screen/), and its one view controller.

What the split must guarantee: the page loads one module script, every module
is served as JavaScript from the kiosk itself and runs under the page's CSP
(script-src 'self') without a console error; only views.js writes ``data-view``
or sets the timer that ends a view (read from the sources, with a check that
the reading catches a violation); and a new view request cancels the pending
view timer. The browser tests run in a real Chromium on a paused clock, so no
test waits on the machine's speed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import Buttons
from kiosk.config import GpioConfig
from kiosk.screen import create_app

from .kiosk_support import ROOT, central_config, open_service, serving, stored_ratings, wait_for
from .screen_support import LONG_PRESS_MS, long_press, open_page, view

MODULES = ROOT / "kiosk" / "static" / "screen"
CONTROLLER = "views.js"
ENTRY = "main.js"
JAVASCRIPT = {"text/javascript", "application/javascript"}
# The timers that do not end a view, each named by the function it calls. None of these
# modules names data-view: whatever they change on screen goes through views.js.
OTHER_TIMERS = {
    ("connection.js", "setTimeout", "endGrace"),  # the kiosk did not come back within the grace: "please wait"
    ("connection.js", "setTimeout", "connect"),  # a new event stream after an HTTP error
    ("main.js", "setTimeout", "openPad"),  # the long press on the desk's name
    ("pad.js", "setTimeout", "closePad"),  # the PIN pad left alone
    ("pad.js", "setTimeout", "unlock"),  # the kiosk's PIN lock is over
    ("rating.js", "setTimeout", "englishLeftOn"),  # English left on with nobody rating
    ("rating.js", "setTimeout", "hidePressNotice"),  # the rating view's "not recorded" notice ends (no view change)
}
# With the default reasons_timeout_s (20) the page sends the reasons by itself after 20 s
# (the kiosk waits 15 s longer, so that a failed send can be tried again).
REASONS_SEND_MS = 20_000

# Strings are kept and comments blanked, so that a comment naming data-view or a timer does not count.
STRING_OR_COMMENT = re.compile(r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|//[^\n]*|/\*.*?\*/""", re.S)
TIMER = re.compile(r"\b(setTimeout|setInterval|requestAnimationFrame|requestIdleCallback|queueMicrotask)\s*\(\s*([\w$]*)")
VIEW_ATTRIBUTE = re.compile(r"""data-view|\bdataset\s*(?:\.\s*view\b|\[\s*["'`]view["'`]\s*\])""")
IMPORT = re.compile(r"""\bimport\s*(?:[\w$*{},\s]+?\s*from\s*|\(\s*)["'`]([^"'`]+)["'`]""")


def code_of(source: str) -> str:
    return STRING_OR_COMMENT.sub(lambda m: m.group(1) or " ", source)


def sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(MODULES.glob("*.js"))}


def view_problems(name: str, source: str) -> list[str]:
    """Why module ``name`` breaks the rule "only views.js changes the view or sets a view timer"."""
    code = code_of(source)
    timers = TIMER.findall(code)
    if name == CONTROLLER:
        return [] if len(timers) == 1 else [f"{name}: {len(timers)} timers, not the one view timer"]
    problems = [f"{name}: names data-view (ask views.js)" for _ in VIEW_ATTRIBUTE.finditer(code)]
    for call, callback in timers:
        if (name, call, callback) not in OTHER_TIMERS:
            problems.append(f"{name}: {call}({callback or '...'}) is not a known non-view timer (ask views.js)")
    return problems


@pytest.fixture
def client(tmp_path):
    service = open_service(tmp_path / "kiosk")
    yield create_app(service).test_client()
    service.close()


def test_every_module_is_javascript_from_self_and_reached_from_the_one_module_script(client):
    modules = sources()
    assert ENTRY in modules and CONTROLLER in modules
    page = client.get("/")
    # One module script, nothing inline: the CSP (script-src 'self', nothing unsafe) refuses inline code.
    assert re.findall(r"<script\b[^>]*>", page.get_data(as_text=True)) == [
        f'<script type="module" src="/static/screen/{ENTRY}">'
    ]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    for name in modules:
        answer = client.get(f"/static/screen/{name}")
        assert answer.status_code == 200, name
        # A module script of any other type is refused, and nosniff forbids guessing.
        assert answer.mimetype in JAVASCRIPT, (name, answer.mimetype)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    reached, todo = set(), [ENTRY]
    while todo:
        name = todo.pop()
        reached.add(name)
        code = code_of(modules[name])
        assert not re.search(r"\beval\s*\(|\bnew\s+Function\b", code), name
        for specifier in IMPORT.findall(code):
            # A sibling under /static/screen/: every module comes from the kiosk itself.
            assert re.fullmatch(r"\./[\w-]+\.js", specifier), f"{name} imports {specifier}"
            assert specifier[2:] in modules, f"{name} imports {specifier}, which is not there"
            if specifier[2:] not in reached:
                todo.append(specifier[2:])
    assert reached == set(modules), "a module nothing imports"


def test_only_the_view_controller_names_data_view_or_sets_a_view_timer():
    modules = sources()
    assert [problem for name, source in modules.items() for problem in view_problems(name, source)] == []
    # The allowed timers are all still there: the list above says which timers the page has.
    found = {(name, *timer) for name, source in modules.items() for timer in TIMER.findall(code_of(source))}
    assert OTHER_TIMERS <= found


@pytest.mark.parametrize(
    ("name", "added"),
    [
        ("rating.js", 'setTimeout(() => show("idle"), 5000);'),
        ("rating.js", "setTimeout(showBase, 5000);"),
        ("pad.js", "setInterval(closePad, 1000);"),
        ("render.js", 'document.getElementById("app").dataset.view = "thanks";'),
        ("render.js", 'document.getElementById("app").dataset["view"] = "idle";'),
        ("connection.js", 'document.getElementById("app").setAttribute("data-view", "waiting");'),
        ("main.js", "requestAnimationFrame(() => null);"),
        ("views.js", "setTimeout(show, 10);"),
    ],
)
def test_the_view_rule_catches_a_timer_or_a_view_write_added_elsewhere(name, added):
    source = sources()[name]
    assert view_problems(name, source) == []
    assert len(view_problems(name, f"{source}\n{added}\n")) == 1
    # The same words in a comment are no violation.
    assert view_problems(name, f"{source}\n// {added}\n/* {added} */\n") == []


# ---- In Chromium ----

@pytest.fixture
def kiosk(tmp_path) -> Iterator[tuple[str, Path]]:
    """A kiosk with three mock buttons, officer 12 on duty, no cool-down and a 0.5 s thanks; URL and data dir."""
    factory = MockFactory()
    data_dir = tmp_path / "kiosk"
    service = open_service(data_dir, central_config(cooldown_s=0, thanks_s=0.5))
    buttons = Buttons(service, GpioConfig(buttons=[17, 27, 22]), pin_factory=factory)
    try:
        with serving(create_app(service, buttons=buttons)) as url:
            yield url, data_dir
    finally:
        buttons.close()
        service.close()
        factory.reset()


# Installed before the page's own script runs (through the browser, not the page, so the CSP does not apply).
CSP_LISTENER = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture
def screen(browser, kiosk):
    """``open(clock=False)``: the kiosk's page at 800x480 with its console errors, scripts and CSP violations recorded."""
    url, _ = kiosk
    contexts = []

    def open_screen(clock: bool = False):
        context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.errors, page.scripts = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("response", lambda r: page.scripts.append(r) if r.request.resource_type == "script" else None)
        page.add_init_script(CSP_LISTENER)
        if clock:
            page.clock.install()
        page.csp = page.goto(url).headers["content-security-policy"]
        view(page, "idle")
        if clock:
            # From here on no timer fires unless the test runs the clock.
            page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
        return page

    yield open_screen
    for context in contexts:
        for page in context.pages:
            assert page.errors == []
        context.close()


def low_score_with_reason(page, reason: str) -> None:
    """Tap the lowest level, wait for the reasons view, choose ``reason``."""
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.locator(f'[data-reason="{reason}"]').tap()


def showing(page) -> str:
    return page.locator("#app").get_attribute("data-view")


def ratings(data_dir: Path) -> list[tuple[int, str, list[str]]]:
    return [(r["score"], r["source"], json.loads(r["reasons"])) for r in stored_ratings(data_dir)]


@pytest.mark.browser
def test_browser_modules_run_under_the_csp_from_idle_to_reasons_to_thanks_and_back(screen, kiosk):
    url, data_dir = kiosk
    page = screen()
    assert "script-src 'self'" in page.csp and "unsafe" not in page.csp
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    page.locator('[data-reason="slow"]').tap()
    page.locator('[data-action="send-reasons"]').tap()
    view(page, "thanks")
    # The tracking code's QR code is the kiosk's own picture: img-src 'self' lets it in.
    page.wait_for_function("() => document.getElementById('tracking-qr').naturalWidth > 0")
    page.locator('[data-action="done"]').tap()
    view(page, "idle")
    assert ratings(data_dir) == [(1, "touch", ["slow"])]
    assert sorted(r.url.removeprefix(f"{url}/static/screen/") for r in page.scripts) == sorted(sources())
    for response in page.scripts:
        assert response.status == 200
        assert response.headers["content-type"].split(";")[0] in JAVASCRIPT, response.url
    assert page.errors == []
    assert page.evaluate("window.__csp") == []
    # The listener hears a violation: inline code is refused, as the CSP says.
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.head.append(s); }")
    page.wait_for_function("window.__csp.length === 1")
    assert page.evaluate("window.__ran") is None
    page.errors.clear()


@pytest.mark.browser
def test_browser_a_gpio_thanks_over_the_reasons_view_cancels_their_timeout(screen, kiosk):
    url, data_dir = kiosk
    page = screen(clock=True)
    low_score_with_reason(page, "slow")
    # A citizen at the GPIO buttons: thanks at once, with the reasons chosen so far.
    assert page.request.post(f"{url}/dev/press/3").ok
    view(page, "thanks")
    page.clock.run_for(1_000)
    view(page, "idle")
    page.clock.run_for(9_000)
    page.locator('[data-score="1"]').tap()
    view(page, "reasons")
    # 20 s after the first tap, 10 s after the second: the first reasons view's timeout (20 s)
    # is past, and had it not been cancelled it would have cut this one short.
    page.clock.run_for(10_000)
    assert showing(page) == "reasons"
    # 30.2 s: the second one's (10 + 20 s) is past; thanks once the kiosk has stored them.
    page.clock.run_for(10_200)
    view(page, "thanks")
    wait_for(lambda: len(ratings(data_dir)) == 3, 10, "three ratings")
    assert ratings(data_dir) == [(1, "touch", ["slow"]), (3, "button", []), (1, "touch", [])]


@pytest.mark.browser
def test_browser_every_view_request_cancels_the_pending_view_timer(screen):
    page = screen(clock=True)
    # The page's own controller (one module instance per URL), asked directly.
    page.evaluate(
        """async () => {
          const views = await import("/static/screen/views.js");
          window.__fired = [];
          views.show("thanks", { forMs: 5000, then: () => window.__fired.push("thanks") });
          views.show("reasons", { forMs: 10000, then: () => window.__fired.push("reasons") });
        }"""
    )
    page.clock.run_for(6_000)
    assert (showing(page), page.evaluate("window.__fired")) == ("reasons", [])
    page.clock.run_for(5_000)
    assert page.evaluate("window.__fired") == ["reasons"]
    page.evaluate(
        """async () => {
          const views = await import("/static/screen/views.js");
          views.show("thanks", { forMs: 1000, then: () => window.__fired.push("thanks") });
          views.show("idle");
        }"""
    )
    page.clock.run_for(5_000)
    assert (showing(page), page.evaluate("window.__fired")) == ("idle", ["reasons"])


@pytest.mark.browser
def test_browser_the_pin_pad_over_the_reasons_view_leaves_their_timeout_running(screen, kiosk):
    _, data_dir = kiosk
    page = screen(clock=True)
    low_score_with_reason(page, "bribe")
    # An officer opens the pad: a layer over the view, with a timer of its own, not the view's.
    long_press(page)
    pad = page.locator('[data-panel="pin"]')
    pad.wait_for(state="visible")
    page.clock.run_for(REASONS_SEND_MS - LONG_PRESS_MS + 200)
    view(page, "thanks")
    assert pad.is_visible()
    wait_for(lambda: ratings(data_dir) == [(1, "touch", ["bribe"])], 10, "the reasons to be stored")



@pytest.mark.browser
def test_browser_a_page_opened_inside_the_cooldown_thanks_until_it_ends_then_stays_idle(browser, tmp_path):
    # The state the page reads on opening says how much cool-down is left; once that has
    # run out the page must be idle, not thank again from the same old figure.
    data_dir = tmp_path / "kiosk"
    service = open_service(data_dir, central_config(cooldown_s=30, thanks_s=1))
    try:
        with serving(create_app(service)) as url:
            assert service.press(3, "button").recorded
            page = open_page(browser, url, clock=True)
            view(page, "thanks")
            page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
            page.clock.run_for(31_000)
            assert showing(page) == "idle"
            page.clock.run_for(60_000)
            assert showing(page) == "idle"
            assert page.errors == []
            page.context.close()
    finally:
        service.close()
