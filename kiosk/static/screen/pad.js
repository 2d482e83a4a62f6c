// The officers' PIN pad: a layer over the screen (not a view) where an officer picks
// their name and enters their PIN to start a shift, or ends the shift on duty. It
// closes itself when left alone, and refuses digits while the kiosk says it is locked
// after wrong PINs (the lock is the kiosk's, so it survives closing the pad). Its
// timers only close or unlock the pad; they never change the view under it.

import { online, post, refresh, state } from "./connection.js";
import { t } from "./language.js";

const PAD_IDLE_MS = 30000;
const PAD_PAGE = 6;
const PIN_MAX = 12;

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const padState = { step: "list", mode: "in", officer: null, digits: "", page: 0, lockedUntil: 0, message: "" };
let idleTimer = 0;
let lockTimer = 0;

export function openPad() {
  if (!online || !state || !state.scale) return;
  Object.assign(padState, { step: "list", officer: null, digits: "", page: 0 });
  setLocked(state.pin_locked_for_s);
  pad.hidden = false;
  touchPad();
  renderPad();
}

function closePad() {
  pad.hidden = true;
  clearTimeout(idleTimer);
  padState.digits = "";
}

// Any touch on the pad keeps it open for another PAD_IDLE_MS.
export function touchPad() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(closePad, PAD_IDLE_MS);
}

export function refreshPad() {
  if (!pad.hidden) renderPad();
}

// The pad refuses digits while the kiosk says it is locked, and says for how long.
function setLocked(seconds) {
  clearTimeout(lockTimer);
  padState.lockedUntil = 0;
  padState.message = "";
  if (seconds > 0) {
    padState.lockedUntil = performance.now() + 1000 * seconds;
    padState.message = t("locked")(Math.ceil(seconds / 60));
    lockTimer = setTimeout(unlock, 1000 * seconds);
  }
}

function unlock() {
  setLocked(0);
  refreshPad();
}

function renderOfficerList() {
  const on = state.officer;
  const out = $("pad-signout");
  out.hidden = !on;
  if (on) out.textContent = t("sign_out") + on.name;
  const officers = state.officers || [];
  const pages = Math.max(1, Math.ceil(officers.length / PAD_PAGE));
  padState.page = Math.min(padState.page, pages - 1);
  const box = $("pad-officers");
  box.textContent = "";
  for (const o of officers.slice(padState.page * PAD_PAGE, (padState.page + 1) * PAD_PAGE)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "pad-officer";
    b.dataset.padOfficer = String(o.id);
    const name = document.createElement("b");
    name.textContent = o.name;
    const title = document.createElement("span");
    title.textContent = [o.title, o.code].filter(Boolean).join(" · ");
    b.append(name, title);
    box.appendChild(b);
  }
  $("pad-pages").hidden = pages < 2;
  $("pad-page").textContent = `${t("page")}${padState.page + 1}/${pages}`;
  pad.querySelector('[data-action="pad-prev"]').disabled = padState.page === 0;
  pad.querySelector('[data-action="pad-next"]').disabled = padState.page >= pages - 1;
}

function renderPinEntry() {
  const out = padState.mode === "out";
  $("pad-who").textContent = out ? t("sign_out_who") + (state.officer ? state.officer.name : "") : padState.officer.name;
  pad.querySelector('[data-action="pin-ok"]').textContent = out ? t("sign_out").replace(/: $/, "") : t("ok");
  const dots = $("pad-dots");
  dots.textContent = "";
  for (let i = 0; i < padState.digits.length; i++) dots.appendChild(document.createElement("span"));
  $("pad-message").textContent = padState.message || "";
  const locked = padState.lockedUntil > performance.now();
  for (const b of $("keys").children) b.disabled = locked;
}

function renderPad() {
  const list = padState.step === "list";
  $("pad-list").hidden = !list;
  $("pad-pin").hidden = list;
  for (const el of pad.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  if (list) renderOfficerList();
  else renderPinEntry();
}

function padAction(action, el) {
  touchPad();
  if (action === "pad-close") return closePad();
  if (action === "pad-back") {
    Object.assign(padState, { step: "list", digits: "" });
    if (!padState.lockedUntil) padState.message = "";
  } else if (action === "pad-prev") padState.page -= 1;
  else if (action === "pad-next") padState.page += 1;
  else if (action === "sign-out") Object.assign(padState, { step: "pin", mode: "out", officer: null, digits: "" });
  else if (action === "pin-delete") padState.digits = padState.digits.slice(0, -1);
  else if (action === "pin-ok") return submitPin();
  else if (el.dataset.key && padState.digits.length < PIN_MAX) padState.digits += el.dataset.key;
  else if (el.dataset.padOfficer) {
    const id = Number(el.dataset.padOfficer);
    const officer = (state.officers || []).find((o) => o.id === id);
    Object.assign(padState, { step: "pin", mode: "in", officer, digits: "" });
    if (!padState.lockedUntil) padState.message = "";
  }
  renderPad();
}

function submitPin() {
  const pin = padState.digits;
  if (!pin) return;
  padState.digits = "";
  const request =
    padState.mode === "out"
      ? post("/duty/sign-out", { pin })
      : post("/duty/sign-in", { officer_id: padState.officer.id, pin });
  request
    .then((r) => {
      if (r.ok) {
        closePad();
        refresh();
        return;
      }
      if (r.locked_for_s > 0) setLocked(r.locked_for_s);
      else if (r.error === "wrong_pin") padState.message = t("wrong_pin")(r.attempts_left);
      else padState.message = (r.error !== "locked" && t(r.error)) || t("failed");
      renderPad();
    })
    .catch(() => {
      padState.message = t("failed");
      renderPad();
    });
}

// While the pad is open every click belongs to it: the screen under it takes none.
export function padClick(el) {
  if (pad.hidden) return false;
  if (pad.contains(el)) padAction(el.dataset.action, el);
  return true;
}
