// The rating's tracking code, the closing part of the thanks view after the reasons view
// (docs/protocol.md §4). It is shown after every reasons view, whatever the citizen chose
// there and however the view ended (sent, timed out, answered with the buttons), and
// looks the same every time but for the code itself: so the screen, which the officer at
// the desk may see, tells nobody whether a complaint was made. Only the thanks after a
// rating without reasons (a high score while reasons_after_every_score is off) has no
// code: that citizen was never asked anything to follow.

import { state } from "./connection.js";
import { t } from "./language.js";

const $ = (id) => document.getElementById(id);
let code = null;

// The QR code is the kiosk's own picture (/tracking/<code>.svg); one that fails to load is not shown.
$("tracking-qr").addEventListener("error", (e) => {
  e.target.hidden = true;
});

// A long address breaks after a "/" or a ".", not after one of its hyphens, which a citizen copying
// it would take for a word cut in two: each part is kept whole (the kiosk's font has no non-breaking
// hyphen), but for one too long for a line, which may break anywhere.
const WHOLE_PART_MAX = 24;

function showAddress(el, url) {
  el.textContent = "";
  for (const part of url.split(/(?<=[/.])/)) {
    if (part.includes("-") && part.length <= WHOLE_PART_MAX) {
      const whole = document.createElement("span");
      whole.className = "whole";
      whole.textContent = part;
      el.append(whole);
    } else {
      el.append(part);
    }
    el.append(document.createElement("wbr"));
  }
}

// Show `shown` (e.g. "8ZFW6-KRARH") with the thanks, or, with null, the plain thanks.
export function setCode(shown) {
  code = shown;
  renderCode();
}

// Fill the code's part in the current language, with the board's address from the last config
// the kiosk got (it keeps it on disk, so the code is shown offline too).
export function renderCode() {
  const view = document.querySelector(".view-thanks");
  const codeText = $("tracking-code");
  const qr = $("tracking-qr");
  view.classList.toggle("tracked", Boolean(code));
  $("tracking").hidden = !code;
  if (!code) {
    codeText.removeAttribute("data-tracking-code");
    codeText.textContent = "";
    qr.hidden = true;
    qr.removeAttribute("src");
    return;
  }
  const board = state && state.public_board_url;
  codeText.textContent = code;
  codeText.setAttribute("data-tracking-code", code); // docs/protocol.md §4 hook
  $("tracking-hint").textContent = t(board ? "tracking_board" : "tracking_no_board");
  showAddress($("tracking-board"), board || "");
  $("tracking-board").hidden = !board;
  const src = `/tracking/${code}.svg`;
  if (board && qr.getAttribute("src") !== src) {
    qr.hidden = false;
    qr.src = src;
  } else if (!board) {
    qr.hidden = true;
    qr.removeAttribute("src");
  }
}
