// Fills the page from the kiosk's state, in the current language: the desk, the
// officer on duty (data-officer-id), one button per level (data-score) and one choice
// per reason (data-reason), the hooks of docs/protocol.md §4. Buttons are rebuilt only
// when the config changes them, and the reasons never while a citizen is choosing,
// so a re-render does not pull a button from under a finger.

import { state } from "./connection.js";
import { face, looks } from "./faces.js";
import { fitText } from "./fit.js";
import { label, lang, t } from "./language.js";
import { refreshPad } from "./pad.js";
import { renderCode } from "./tracking.js";

const $ = (id) => document.getElementById(id);
const reasonCodes = (s) => JSON.stringify(s.reasons.map((r) => r.code));
let scaleKey = "";
let reasonsKey = "";
let reasonsHeld = false;

function buildLevels(scale) {
  const box = $("levels");
  box.textContent = "";
  box.classList.toggle("many", scale.levels.length > 3);
  const look = looks(scale);
  // Best first: left to right, or top to bottom, as on the paper forms (Rất hài lòng first).
  const levels = scale.levels.slice().sort((a, b) => b.score - a.score);
  for (const level of levels) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "level";
    b.setAttribute("data-score", String(level.score)); // docs/protocol.md §4 hook
    b.style.setProperty("--c", look[level.score].colour);
    b.innerHTML = face(look[level.score].mood) + '<span class="level-label"></span>';
    box.appendChild(b);
  }
}

function buildReasons(reasons) {
  const box = $("reasons");
  box.textContent = "";
  for (const reason of reasons) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "reason";
    b.setAttribute("data-reason", reason.code); // docs/protocol.md §4 hook
    b.setAttribute("aria-pressed", "false");
    box.appendChild(b);
  }
}

function renderButtons() {
  const key = JSON.stringify(state.scale);
  if (key !== scaleKey) {
    buildLevels(state.scale);
    scaleKey = key;
  }
  const rkey = reasonCodes(state);
  if (rkey !== reasonsKey && !reasonsHeld) {
    buildReasons(state.reasons);
    reasonsKey = rkey;
  }
  const labels = {};
  for (const l of state.scale.levels) labels[l.score] = l.label;
  for (const b of $("levels").children) b.lastChild.textContent = label(labels[b.getAttribute("data-score")]);
  const reasonLabels = {};
  for (const r of state.reasons) reasonLabels[r.code] = r.label;
  for (const b of $("reasons").children) b.textContent = label(reasonLabels[b.getAttribute("data-reason")]);
}

function renderDesk() {
  const desk = state.desk;
  $("desk-name").textContent = desk ? desk.name : "";
  $("unit-name").textContent = desk ? desk.unit.name : "";
  fitText($("desk-name"));
  fitText($("unit-name"));
  const langs = state.settings.languages || ["vi"];
  const switcher = document.querySelector('[data-action="language"]');
  switcher.hidden = !langs.includes("en");
  switcher.textContent = t("switch");
  switcher.lang = lang === "vi" ? "en" : "vi";
}

function renderOfficer() {
  const officer = state.officer;
  const card = $("officer");
  const photo = $("photo");
  card.classList.toggle("nobody", !officer);
  // A photo with transparent corners must not show the placeholder silhouette behind it.
  card.classList.toggle("has-photo", Boolean(officer && officer.photo_url));
  if (officer) {
    card.setAttribute("data-officer-id", String(officer.id)); // docs/protocol.md §4 hook
    $("officer-name").textContent = officer.name;
    $("officer-title").textContent = officer.title || "";
    if (officer.photo_url) {
      if (photo.getAttribute("src") !== officer.photo_url) photo.src = officer.photo_url;
      photo.hidden = false;
    } else {
      photo.hidden = true;
      photo.removeAttribute("src");
    }
  } else {
    card.removeAttribute("data-officer-id");
    $("officer-name").textContent = t("nobody");
    $("officer-title").textContent = "";
    photo.hidden = true;
  }
  fitText($("officer-name"));
  fitText($("officer-title"));
}

export function render() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  renderCode();
  if (!state || !state.scale) return;
  renderButtons();
  renderDesk();
  renderOfficer();
  refreshPad();
}

// While a citizen chooses reasons, a new config does not rebuild their buttons.
export function holdReasons(held) {
  reasonsHeld = held;
}

// Rebuild the reasons a new config changed while they were held.
export function catchUpReasons() {
  if (state && reasonCodes(state) !== reasonsKey) render();
}
