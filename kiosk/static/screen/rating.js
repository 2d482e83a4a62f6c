// A citizen's rating on the touch screen: the tap on a level, the reasons after a low
// score, the thanks, the English switch, and between citizens the view the kiosk's
// state asks for. The thanks is shown the moment /press answers "recorded" (the
// rating is on disk by then). Every view change is asked of views.js.

import { cooldownLeftS, goneOffline, online, post, refresh, state } from "./connection.js";
import { lang, setLanguage } from "./language.js";
import { catchUpReasons, holdReasons, render } from "./render.js";
import { current, show } from "./views.js";

const ENGLISH_IDLE_MS = 60000;
let inflight = false;
let lastMine = null;
let reasonsFor = null; // {id, chosen: Set, cooldownEnd}
let englishTimer = 0;

// The view the state asks for, once any thanks or reasons view is over.
export function showBase() {
  if (!online || !state) {
    // A rating waiting for reasons is stored; the kiosk sends it by itself at its deadline.
    reasonsFor = null;
    holdReasons(false);
    return show("waiting");
  }
  const cooldownLeft = cooldownLeftS();
  if (state.view === "idle" && cooldownLeft > 0) return showThanks(cooldownLeft);
  show(state.view === "idle" || state.view === "closed" ? state.view : "waiting");
}

// A new state is shown at once; it picks the view unless a citizen is in the middle of a rating.
export function onState() {
  render();
  if (current() !== "thanks" && current() !== "reasons") showBase();
}

// Thanks for at least thanks_s, and until the cool-down is over (a press before then is ignored).
function showThanks(cooldownLeft) {
  const thanks = state ? state.settings.thanks_s : 4;
  show("thanks", { forMs: 1000 * Math.max(thanks, cooldownLeft || 0), then: nextCitizen });
}

// English is for one citizen: the next one starts in Vietnamese.
function nextCitizen() {
  if (lang !== "vi") {
    setLanguage("vi");
    render();
  }
  showBase();
}

function released(button) {
  inflight = false;
  button.classList.remove("pressing");
}

export function press(button) {
  if (inflight || current() !== "idle") return;
  inflight = true;
  button.classList.add("pressing");
  post("/press", { score: Number(button.getAttribute("data-score")) })
    .then((r) => {
      released(button);
      if (r.recorded) {
        lastMine = r.rating_id;
        if (r.ask_reasons) showReasons(r);
        else showThanks(r.cooldown_left_s);
      } else if (r.ignored === "cooldown") {
        showThanks(r.cooldown_left_s);
      } else {
        refresh();
      }
    })
    .catch(() => {
      released(button);
      goneOffline();
    });
}

function showReasons(r) {
  reasonsFor = { id: r.rating_id, chosen: new Set(), cooldownEnd: performance.now() + 1000 * r.cooldown_left_s };
  holdReasons(true);
  for (const b of document.getElementById("reasons").children) b.setAttribute("aria-pressed", "false");
  const timeoutMs = 1000 * (state ? state.settings.reasons_timeout_s : 20);
  // Sent a moment before the kiosk's own deadline, after which it sends the rating without reasons.
  const sendMs = Math.max(500, timeoutMs - 1000);
  const bar = document.getElementById("timebar");
  bar.classList.remove("running");
  bar.style.setProperty("--reasons-ms", `${sendMs}ms`);
  show("reasons", { forMs: sendMs, then: sendReasons });
  void bar.offsetWidth; // restart the bar's transition
  bar.classList.add("running");
}

// Send what is chosen (possibly nothing) and thank; the rating itself is already stored.
export function sendReasons() {
  const r = reasonsFor;
  if (!r) return;
  reasonsFor = null;
  holdReasons(false);
  post("/reasons", { rating_id: r.id, reasons: Array.from(r.chosen) }).catch(() => {});
  showThanks((r.cooldownEnd - performance.now()) / 1000);
  catchUpReasons();
}

export function toggleReason(button) {
  if (!reasonsFor) return;
  const code = button.getAttribute("data-reason");
  const on = !reasonsFor.chosen.has(code);
  if (on) reasonsFor.chosen.add(code);
  else reasonsFor.chosen.delete(code);
  button.setAttribute("aria-pressed", String(on));
}

// A rating from the event stream: a GPIO button, or a touch on another open page.
export function onRated(ev) {
  // Our own touch ratings are handled when /press answers.
  if (ev.source === "touch" && (inflight || ev.rating_id === lastMine)) return;
  if (reasonsFor) sendReasons();
  showThanks(ev.cooldown_left_s);
}

export function switchLanguage() {
  setLanguage(lang === "vi" ? "en" : "vi");
  render();
  clearTimeout(englishTimer);
  if (lang !== "vi") englishTimer = setTimeout(englishLeftOn, ENGLISH_IDLE_MS);
}

// Nobody rated since English was chosen: back to Vietnamese, through the same path as after a thanks.
function englishLeftOn() {
  if (current() === "idle") nextCitizen();
}
