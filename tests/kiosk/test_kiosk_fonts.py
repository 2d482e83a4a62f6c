"""The touch screen looks the same whatever fonts the machine has (issue 9, "same screen everywhere").

The kiosk serves its own font (kiosk/static/fonts/: Noto Sans 400 and 700, latin,
vietnamese and latin-ext subsets). The browser tests here walk the same views
twice at 800x480 and 720x1280: in Chromium with the machine's fonts, and in
Chromium whose fontconfig knows one font only, a blank one made here that has
no character at all. They check that (a) the layout checks of
test_kiosk_browser.py pass in both, (b) every text is drawn by the kiosk's own
face, which ``document.fonts`` reports loaded, and (c) the screenshots of each
view are pixel-identical between the two.

Why a blank font and not none at all: Chromium with an empty fontconfig fails
to load web fonts now and then (FontFace status "error"), and a real kiosk always
has some font. The blank one keeps Chromium working while no system font can
draw a letter, so a text that leaned on the system would show as missing.

Why the machine's fontconfig rules stay: the bare environment includes the
system's configuration and drops only its font directories (``<reset-dirs/>``).
Those rules say how any font is drawn (hinting, anti-aliasing), not which fonts
exist; without them the glyphs differ by a shade while the layout is the same.

Nothing but the fonts may tell two screenshots apart: both browsers redraw whole
tiles (``--disable-partial-raster``), pages ask for reduced motion (the waiting dots stand
still), the clock is fake and the photo is decoded before the shot. The
screenshots land in test-artifacts/kiosk/fonts/<env>-<size>-<view>.png. The tests
install nothing and pass on any machine with Chromium, whatever its fonts (with
and without Debian's fonts-noto-core, for one).
"""
from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from kiosk import outbox
from kiosk.screen import FONT_MAX_AGE, create_app
from kiosk.service import KioskService

from ..conftest import BROWSER_ARGS, CHROMIUM
from . import screen_support as ui
from .kiosk_support import ROOT, open_service, serving

FONTS_DIR = ROOT / "kiosk" / "static" / "fonts"
STYLE = ROOT / "kiosk" / "static" / "screen.css"
SHOTS = ui.ARTIFACTS / "fonts"
# As the ``browser`` fixture in tests/conftest.py launches Chromium, and without partial raster:
# Chromium redraws only the changed part of a tile, so an edge crossing that part (the
# rounded corner of a button that moved when the font came in) is a shade different from
# one drawn in one go, and the pixels would depend on what the page showed before.
CHROMIUM_ARGS = [*BROWSER_ARGS, "--disable-partial-raster"]
FAMILY = "Kiosk Noto Sans"
# The kiosk's faces as Chromium names them: the subset files of one weight share a name.
OWN_FACES = {"NotoSans-Regular", "NotoSans-Bold"}
# fontsource's subsets, told apart by the first range of their unicode-range.
SUBSETS = {"U+0-FF": "latin", "U+102-103": "vietnamese", "U+100-2BA": "latin-ext"}
# Vietnamese text needs the latin and vietnamese files only; latin-ext is for other letters.
VIETNAMESE_FILES = {"latin 400", "latin 700", "vietnamese 400", "vietnamese 700"}

SCENES = [
    "waiting", "idle", "idle-en", "reasons-en", "reasons", "thanks", "closed", "pad-officers", "pad-pin",
]


def blank_font(family: str = "Blank") -> bytes:
    """A TrueType font with one empty glyph (.notdef) and no character: a font that draws nothing.

    The smallest set of tables FreeType and fontconfig accept: head, hhea,
    maxp, hmtx, loca and glyf for the one glyph, a cmap with only its end
    marker, name for the family and post.
    """
    strings, records = b"", []
    for name_id, text in ((1, family), (2, "Regular"), (4, family), (6, family)):
        data = text.encode("utf-16-be")
        records.append(struct.pack(">6H", 3, 1, 0x409, name_id, len(data), len(strings)))
        strings += data
    name = struct.pack(">3H", 0, len(records), 6 + 12 * len(records)) + b"".join(records) + strings
    # Format 4 with the single segment every cmap must end with (0xFFFF).
    cmap_format4 = struct.pack(">7H", 4, 24, 0, 2, 2, 0, 0) + struct.pack(">5H", 0xFFFF, 0, 0xFFFF, 1, 0)
    tables = {
        b"cmap": struct.pack(">2H2HI", 0, 1, 3, 1, 12) + cmap_format4,
        b"glyf": b"\0\0\0\0",
        b"head": struct.pack(
            ">4I2H2q4h2H3h", 0x10000, 0x10000, 0, 0x5F0F3CF5, 0, 1000, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0
        ),
        b"hhea": struct.pack(">I3hH3h3h4hhH", 0x10000, 800, -200, 0, 500, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1),
        b"hmtx": struct.pack(">Hh", 500, 0),
        b"loca": struct.pack(">2H", 0, 0),
        b"maxp": struct.pack(">IH13H", 0x10000, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": name,
        b"post": struct.pack(">Ii2hI4I", 0x30000, 0, 0, 0, 0, 0, 0, 0, 0),
    }
    offset = 12 + 16 * len(tables)
    directory, body = b"", b""
    for tag in sorted(tables):
        data = tables[tag]
        directory += struct.pack(">4s3I", tag, 0, offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    return struct.pack(">I4H", 0x10000, len(tables), 128, 3, 16 * len(tables) - 128) + directory + body


def bare_fontconfig(workdir: Path) -> Path:
    """A fonts.conf with the machine's rules and no font but the blank one; its cache in ``workdir``."""
    fonts = workdir / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "blank.ttf").write_bytes(blank_font())
    system = os.environ.get("FONTCONFIG_FILE", "/etc/fonts/fonts.conf")
    conf = workdir / "fonts.conf"
    # The cache directory comes first: fontconfig writes to the first one it may, never the system's.
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f"  <cachedir>{workdir / 'cache'}</cachedir>\n"
        f'  <include ignore_missing="yes">{system}</include>\n'
        "  <reset-dirs/>\n"
        f"  <dir>{fonts}</dir>\n"
        "</fontconfig>\n"
    )
    return conf


@pytest.fixture(scope="module")
def system_browser(browser):
    """Chromium with the machine's fonts (``browser`` skips the tests where Chromium is missing)."""
    system = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield system
    system.close()


@pytest.fixture(scope="module")
def bare_browser(browser, tmp_path_factory):
    """Chromium with the blank font only."""
    conf = bare_fontconfig(tmp_path_factory.mktemp("fontconfig"))
    bare = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "FONTCONFIG_FILE": str(conf)}
    )
    yield bare
    bare.close()


def font_config() -> dict[str, Any]:
    """Five levels, the long names and reasons of the layout test, eight officers (two pages on the pad)."""
    config = ui.long_names_config(cooldown_s=0, thanks_s=600, reasons_timeout_s=600)
    config["officers"] += [
        {"id": 100 + i, "code": f"MT-{100 + i}", "name": name, "title": "Công chức văn hoá – xã hội",
         "photo_url": None, "pin_hash": None}
        for i, name in enumerate(
            ["Đặng Thị Ánh Tuyết", "Lê Hữu Nghĩa", "Phạm Quốc Việt", "Vũ Thị Ỷ Lan", "Hồ Sĩ Đức", "Ksor H'Bia"], 1
        )
    ]
    return config


@dataclass
class Scene:
    """One view as one browser drew it."""

    png: bytes = field(repr=False)
    problems: list[str]
    faces: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)


# Elements with text of their own, drawn and not hidden by font-size 0 (the pad's drawn arrows).
MARK_TEXT = """() => {
  let n = 0;
  for (const el of document.querySelectorAll("*")) {
    const text = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (text && el.getClientRects().length && getComputedStyle(el).fontSize !== "0px") el.dataset.fontProbe = n++;
  }
  return n;
}"""
UNMARK_TEXT = "() => document.querySelectorAll('[data-font-probe]').forEach((el) => delete el.dataset.fontProbe)"
FONT_FACES = "() => [...document.fonts].map((f) => [f.family, f.weight, f.status, f.unicodeRange.split(',')[0]])"


def faces_drawing_text(page) -> set[str]:
    """The faces that draw the page's visible text, as Chromium reports them (DevTools' "Rendered Fonts").

    A system font shows by its name; "<none>" marks a text element drawn by no font.
    """
    count = page.evaluate(MARK_TEXT)
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-font-probe]"})["nodeIds"]
        assert len(nodes) == count
        faces: set[str] = set()
        for node in nodes:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            faces |= {f["postScriptName"] if f["isCustomFont"] else f"system {f['familyName']}" for f in fonts}
            if not fonts:
                faces.add("<none>")
        return faces
    finally:
        cdp.detach()
        page.evaluate(UNMARK_TEXT)


def capture(page, path: Path) -> Scene:
    """The page as it is now: a screenshot (saved at ``path``), the layout problems and the fonts."""
    ui.fonts_ready(page)
    png = page.screenshot(animations="disabled")
    path.write_bytes(png)
    scene = Scene(png=png, problems=page.evaluate(ui.LAYOUT_PROBLEMS), faces=faces_drawing_text(page))
    for family, weight, status, first_range in page.evaluate(FONT_FACES):
        label = f"{SUBSETS.get(first_range, first_range)} {weight}"
        if family == FAMILY and status == "loaded":
            scene.loaded.add(label)
        elif status == "error":
            scene.failed.append(f"{family} {label}")
    return scene


def walk(
    browser, env: str, workdir: Path, viewport: dict[str, int], monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Scene]:
    """Every view of SCENES on a new kiosk in ``browser``, the same taps in the same order every time.

    The screenshots are saved as SHOTS/<env>-<width>x<height>-<scene>.png.
    """
    service = KioskService.open(workdir / "kiosk")
    # One id for the walk's one rating: its tracking code, shown on the thanks view, is the same in both browsers.
    monkeypatch.setattr(outbox, "new_id", lambda: "7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11")
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = f"{viewport['width']}x{viewport['height']}"
    scenes: dict[str, Scene] = {}
    try:
        with serving(create_app(service)) as url:
            # A fake clock: nothing moves between two screenshots but what the test does.
            page = ui.open_page(browser, url, viewport, clock=True, still=True)

            def capture_as(name: str) -> None:
                scenes[name] = capture(page, SHOTS / f"{env}-{size}-{name}.png")

            ui.view(page, "waiting")
            capture_as("waiting")
            service.apply_config(font_config())
            service.store_photo(12, "/api/v1/officers/12/photo?v=1", ui.portrait_photo(), "image/jpeg")
            ui.view(page, "idle")
            page.wait_for_function("() => document.getElementById('photo').naturalWidth === 240")
            # Decoded before the screenshot, never drawn half-way.
            page.locator("#photo").evaluate("img => img.decode()")
            capture_as("idle")
            page.locator('[data-action="language"]').tap()
            capture_as("idle-en")
            page.locator('[data-score="2"]').tap()
            ui.view(page, "reasons")
            for code in ("unclear", "bribe"):
                page.locator(f'[data-reason="{code}"]').tap()
            capture_as("reasons-en")
            page.locator('[data-action="language"]').tap()
            capture_as("reasons")
            page.locator('[data-action="send-reasons"]').tap()
            ui.view(page, "thanks")
            # The tracking code's QR code, decoded before the screenshot like the photo.
            page.wait_for_function("() => document.getElementById('tracking-qr').naturalWidth > 0")
            page.locator("#tracking-qr").evaluate("img => img.decode()")
            capture_as("thanks")
            config = font_config()
            config["on_duty"] = None
            service.apply_config(config)
            page.reload()
            ui.view(page, "closed")
            capture_as("closed")
            ui.long_press(page)
            page.locator('[data-panel="pin"]').wait_for(state="visible")
            # The second page: both drawn arrows show, one of them disabled.
            page.locator('[data-action="pad-next"]').tap()
            page.locator('[data-pad-officer="106"]').wait_for()
            capture_as("pad-officers")
            page.locator('[data-action="pad-prev"]').tap()
            page.locator('[data-pad-officer="13"]').tap()
            ui.enter_pin(page, "1")
            page.locator("#pad-message").filter(has_text="Sai mã PIN").wait_for()
            page.locator('[data-key="4"]').tap()
            capture_as("pad-pin")
            assert page.errors == []
            page.context.close()
    finally:
        service.close()
    return scenes


@pytest.fixture(scope="module", params=[ui.LANDSCAPE, ui.PORTRAIT], ids=["800x480", "720x1280"])
def walks(request, system_browser, bare_browser, tmp_path_factory) -> Iterator[tuple[dict, dict]]:
    """The views at one size, with the machine's fonts and with the blank font only."""
    viewport = request.param
    with pytest.MonkeyPatch.context() as monkeypatch:
        system = walk(system_browser, "system", tmp_path_factory.mktemp("system"), viewport, monkeypatch)
        bare = walk(bare_browser, "bare", tmp_path_factory.mktemp("bare"), viewport, monkeypatch)
    yield system, bare


def text_faces(browser) -> set[str]:
    """The faces that draw a line of plain Vietnamese in the browser's own sans-serif."""
    page = browser.new_page()
    try:
        page.set_content('<p style="font: 20px sans-serif">Rất hài lòng</p>')
        return faces_drawing_text(page)
    finally:
        page.close()


@pytest.mark.browser
def test_fonts_the_bare_browser_has_no_font_that_draws_letters(system_browser, bare_browser):
    # Without this, the comparisons below could pass between two browsers with the same fonts.
    assert text_faces(bare_browser) == {"system Blank"}
    assert "system Blank" not in text_faces(system_browser)


@pytest.mark.browser
def test_fonts_every_view_fits_with_and_without_the_system_fonts(walks):
    for env, scenes in zip(("system", "bare"), walks):
        assert list(scenes) == SCENES
        for name, scene in scenes.items():
            assert scene.problems == [], f"{env} {name}"


@pytest.mark.browser
def test_fonts_the_kiosk_font_draws_every_text(walks):
    for env, scenes in zip(("system", "bare"), walks):
        for name, scene in scenes.items():
            assert scene.failed == [], f"{env} {name}"
            assert scene.faces and scene.faces <= OWN_FACES, f"{env} {name}: text drawn by {scene.faces - OWN_FACES}"
            # Vietnamese never needs the bigger latin-ext file.
            assert scene.loaded and scene.loaded <= VIETNAMESE_FILES, f"{env} {name}"
        assert set().union(*(scene.faces for scene in scenes.values())) == OWN_FACES
        assert set().union(*(scene.loaded for scene in scenes.values())) == VIETNAMESE_FILES


@pytest.mark.browser
def test_fonts_every_view_is_pixel_identical_with_and_without_the_system_fonts(walks):
    system, bare = walks
    different = []
    for name in SCENES:
        a = Image.open(io.BytesIO(system[name].png)).convert("RGB")
        b = Image.open(io.BytesIO(bare[name].png)).convert("RGB")
        if a.size != b.size or ImageChops.difference(a, b).getbbox() is not None:
            box = ImageChops.difference(a, b).getbbox() if a.size == b.size else (a.size, b.size)
            different.append(f"{name}: differs in {box}")
    assert different == [], f"see {SHOTS}"


def font_files_in_css() -> list[str]:
    return re.findall(r'url\("fonts/([^"]+)"\) format\("woff2"\)', STYLE.read_text())


def test_fonts_the_css_uses_exactly_the_vendored_files_with_their_licence():
    used = font_files_in_css()
    assert sorted(used) == sorted(p.name for p in FONTS_DIR.glob("*.woff2"))
    assert len(used) == 6
    for name in used:
        assert (FONTS_DIR / name).read_bytes()[:4] == b"wOF2", name
    assert "SIL Open Font License" in (FONTS_DIR / "OFL.txt").read_text()
    readme = (FONTS_DIR / "README.md").read_text()
    assert "@fontsource/noto-sans" in readme
    for name in used:
        assert name in readme


def test_fonts_are_served_as_woff2_and_kept_for_a_day(tmp_path):
    service = open_service(tmp_path / "kiosk")
    try:
        client = create_app(service).test_client()
        for name in font_files_in_css():
            response = client.get(f"/static/fonts/{name}")
            assert response.status_code == 200
            assert response.mimetype == "font/woff2"
            assert response.cache_control.public and response.cache_control.max_age == FONT_MAX_AGE
            assert response.data == (FONTS_DIR / name).read_bytes()
            response.close()
        # The style sheet and the script stay revalidated on every load.
        style = client.get("/static/screen.css")
        assert style.cache_control.no_cache and style.cache_control.max_age is None
        style.close()
    finally:
        service.close()
