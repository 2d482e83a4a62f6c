"""Helpers of the touch screen's browser tests: pages on the two Touch Displays, views, the layout check.

Shared by test_kiosk_browser.py (the screen's behaviour and layout) and
test_kiosk_fonts.py (the same screen whatever fonts are installed).
"""
from __future__ import annotations

import io

from .kiosk_support import ROOT, central_config

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

# The central service's seven reasons, two of them made as long as an operator might write them.
LONG_REASONS = [
    {"code": "slow", "label": {"vi": "Chậm trễ, kéo dài, phải chờ quá ngày hẹn trả kết quả",
                               "en": "Slow: kept waiting past the promised date for the result"}},
    {"code": "attitude", "label": {"vi": "Thái độ chưa đúng mực", "en": "Impolite or careless"}},
    {"code": "unclear", "label": {"vi": "Hướng dẫn không rõ ràng, phải đi lại nhiều lần để bổ sung hồ sơ",
                                  "en": "Unclear guidance: had to come back several times to complete the file"}},
    {"code": "extra_papers", "label": {"vi": "Yêu cầu giấy tờ ngoài quy định",
                                       "en": "Asked for papers the rules do not require"}},
    {"code": "harassment", "label": {"vi": "Gây khó khăn, nhũng nhiễu", "en": "Obstruction, harassment"}},
    {"code": "bribe", "label": {"vi": "Vòi vĩnh, đòi tiền ngoài quy định", "en": "Asked for an unofficial payment"}},
    {"code": "other", "label": {"vi": "Lý do khác", "en": "Other"}},
]


def open_page(browser, url: str, viewport: dict[str, int] = LANDSCAPE, *, clock: bool = False, still: bool = False):
    """The kiosk's page on a touch screen, its console errors collected in ``page.errors``.

    ``still`` asks for reduced motion: no animation that could catch a screenshot half-way.
    """
    context = browser.new_context(
        viewport=viewport, has_touch=True, locale="vi-VN", reduced_motion="reduce" if still else "no-preference"
    )
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    if clock:
        page.clock.install()
    page.goto(url)
    return page


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


def fonts_ready(page) -> None:
    """Wait for the font files the page asked for: until then, text is laid out in a fallback (font-display: block)."""
    assert page.evaluate("async () => { await document.fonts.ready; return document.fonts.status; }") == "loaded"


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


# A province's board under a long address: the tracking code's view must show it whole.
LONG_BOARD_URL = "https://danhgiahailong.sonoivu.tinh-quang-tri.gov.vn/bo-phan-mot-cua/ket-qua-danh-gia/cong-khai"


def long_names_config(**settings) -> dict:
    """A central config with five levels, long reasons, a long desk name, officer name and title, and board address."""
    config = central_config(**settings)
    config["scale"] = FIVE_LEVELS
    config["reasons"] = [{**reason, "integrity": reason["code"] in ("harassment", "bribe")} for reason in LONG_REASONS]
    config["desk"]["name"] = "Quầy 12 — Đất đai, xây dựng, tài nguyên và môi trường, giao thông vận tải"
    config["officers"][0]["name"] = "Tôn Nữ Hoàng Thị Phương Nguyễn Ngọc Khánh Linh"
    config["officers"][0]["title"] = "Phó trưởng phòng Tài nguyên và Môi trường kiêm công chức địa chính"
    config["public_board_url"] = LONG_BOARD_URL
    return config
