// A citizen's rating on the touch screen: the tap on a level, the reasons after it
// (after every score, or a low one, as the kiosk says), the thanks (after the reasons,
// with the rating's tracking code: tracking.js), the English switch,
// and between citizens the view the kiosk's state asks for. The thanks is shown the
// moment /press answers "recorded" (the rating is on disk by then). The reasons may
// also be answered with the GPIO buttons: the kiosk then reports each answer once it
// has stored it, and the page shows it. Reasons the kiosk did not confirm are never
// thanked for: the citizen is asked again. Every view change is asked of views.js.

import { cooldownLeftS, goneOffline, online, post, refresh, state } from "./connection.js";
import { lang, setLanguage, t } from "./language.js";
import { closeEntries, openEntry } from "./entry.js";
import { catchUpReasons, holdReasons, render } from "./render.js";
import { setCode } from "./tracking.js";
import { current, show } from "./views.js";

const ENGLISH_IDLE_MS = 60000;
let inflight = false;
let lastMine = null;
// The rating whose reasons are asked: {id, code (its tracking code), chosen: Set (touched),
// buttons: Set (answered with the buttons, stored), order, step (the reason the buttons are
// at), buttonMode, cooldownEnd, sending}.
let reasonsFor = null;
// Reasons whose send failed because the kiosk did not answer: asked again when it does.
let unsent = null;
let englishTimer = 0;
// After a refused send, the page sends again by itself after this long.
const RETRY_MS = 8000;
// How long the rating view says that a press was not recorded.
const NOTICE_MS = 15000;
let noticeTimer = 0;

// The view the state asks for, once any thanks or reasons view is over.
export function showBase() {
  if (!online || !state) {
    // A rating waiting for reasons is stored; the kiosk sends it by itself at its deadline.
    closeEntries();
    if (reasonsFor) unsent = reasonsFor;
    reasonsFor = null;
    holdReasons(false);
    return show("waiting");
  }
  if (unsent) {
    // Back: the reasons the kiosk never confirmed are asked again, the choices kept.
    const again = unsent;
    unsent = null;
    return showReasons({ rating_id: again.id, tracking_code: again.code, cooldown_left_s: 0 },
      { again, notice: "not_recorded" });
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
  setCode(null);
  show("thanks", { forMs: 1000 * Math.max(thanks, cooldownLeft || 0), then: nextCitizen });
}

// The thanks after the reasons view, with the rating's tracking code: for every citizen who
// was asked the reasons, whatever they chose, for the same tracking_s (long enough to copy
// the code; thanks_s is not) and until the cool-down is over. "Done" ends it sooner.
function showTracked(code, cooldownLeft) {
  if (!code) return showThanks(cooldownLeft);
  const tracking = state ? state.settings.tracking_s : 30;
  setCode(code);
  show("thanks", { forMs: 1000 * Math.max(tracking, cooldownLeft || 0), then: nextCitizen });
}

// The citizen pressed "Done" on the code: the next citizen's screen at once (the thanks
// only for what is left of the cool-down).
export function done() {
  if (current() === "thanks") nextCitizen();
}

// English is for one citizen: the next one starts in Vietnamese.
function nextCitizen() {
  setCode(null);
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
        hidePressNotice();
        lastMine = r.rating_id;
        if (r.ask_reasons) showReasons(r);
        else showThanks(r.cooldown_left_s);
      } else if (r.ignored === "cooldown") {
        showThanks(r.cooldown_left_s);
      } else if (r.ignored === "not_recorded") {
        onNotRecorded();
      } else {
        refresh();
      }
    })
    .catch(() => {
      released(button);
      goneOffline();
    });
}

function showReasons(r, { again = null, notice = null, buttonMode = false } = {}) {
  reasonsFor = {
    id: r.rating_id,
    code: r.tracking_code || (again ? again.code : null),
    chosen: new Set(again ? again.chosen : []),
    buttons: new Set(again ? again.buttons : []),
    order: [],
    step: -1,
    buttonMode: buttonMode || Boolean(again && again.buttonMode),
    ticket: again ? again.ticket : "",
    comment: again ? again.comment : "",
    cooldownEnd: performance.now() + 1000 * (r.cooldown_left_s || 0),
    sending: false,
  };
  holdReasons(true);
  setNotice(notice);
  markReasons();
  runReasonsTimer(1000 * (state ? state.settings.reasons_timeout_s : 20));
}

// The reasons view for `ms`, with its bar, then the send; asked again after every answer.
function runReasonsTimer(ms) {
  const bar = document.getElementById("timebar");
  bar.classList.remove("running");
  bar.style.setProperty("--reasons-ms", `${ms}ms`);
  show("reasons", { forMs: ms, then: sendReasons });
  void bar.offsetWidth; // restart the bar's transition
  bar.classList.add("running");
}

function setNotice(key) {
  const notice = document.getElementById("reasons-notice");
  notice.hidden = !key;
  // data-t: a language switch re-renders it like every other text.
  if (key) notice.setAttribute("data-t", key);
  else notice.removeAttribute("data-t");
  notice.textContent = key ? t(key) : "";
}

// What each reason shows: chosen (by touch, or stored from the buttons), and the one the buttons are at.
function markReasons() {
  const r = reasonsFor;
  document.getElementById("buttons-legend").hidden = !(r && r.buttonMode);
  document.getElementById("ticket-button").textContent = t("ticket")(r ? r.ticket : "");
  document.getElementById("comment-button").textContent = t("comment")(r ? r.comment : "");
  for (const b of document.getElementById("reasons").children) {
    const code = b.getAttribute("data-reason");
    b.setAttribute("aria-pressed", String(Boolean(r && (r.chosen.has(code) || r.buttons.has(code)))));
    b.classList.toggle("current", Boolean(r && r.buttonMode && r.order[r.step] === code));
  }
}

// Send what is chosen (possibly nothing); thank only once the kiosk says it stored it.
export function sendReasons() {
  const r = reasonsFor;
  if (!r || r.sending) return;
  r.sending = true;
  post("/reasons", reasonsBody(r))
    .then((answer) => {
      r.sending = false;
      if (answer.ok) finishReasons(r);
      else notRecorded(r);
    })
    .catch((err) => {
      r.sending = false;
      // The kiosk answered that it failed (an HTTP status): asked again at once.
      if (/^\d+$/.test(err.message)) return notRecorded(r);
      // The kiosk did not answer: nothing is known to be stored. Asked again when it is back.
      if (reasonsFor !== r) return;
      unsent = r;
      reasonsFor = null;
      holdReasons(false);
      goneOffline();
    });
}

// Another rating came (the next citizen): the reasons chosen so far go with their rating,
// and the page moves on without waiting for the answer.
function handOver() {
  const r = reasonsFor;
  reasonsFor = null;
  holdReasons(false);
  setNotice(null);
  closeEntries();
  post("/reasons", reasonsBody(r)).catch(() => {});
  catchUpReasons();
}

// What /reasons is sent for `r`: the touched reasons, and the ticket and comment when given.
function reasonsBody(r) {
  const body = { rating_id: r.id, reasons: Array.from(r.chosen) };
  if (r.ticket) body.ticket = r.ticket;
  if (r.comment) body.comment = r.comment;
  return body;
}

// The queue ticket number and a short comment, typed on keypads over the reasons view
// (entry.js); every key gives the citizen the whole reasons time again.
function typing(field) {
  return (value) => {
    if (!reasonsFor) return;
    reasonsFor[field] = value;
    markReasons();
    runReasonsTimer(1000 * (state ? state.settings.reasons_timeout_s : 20));
  };
}

export function openTicket() {
  if (reasonsFor) openEntry("ticket", reasonsFor.ticket, typing("ticket"));
}

export function openComment() {
  if (reasonsFor) openEntry("comment", reasonsFor.comment, typing("comment"));
}

function finishReasons(r) {
  if (reasonsFor !== r) return;
  closeEntries();
  reasonsFor = null;
  holdReasons(false);
  setNotice(null);
  showTracked(r.code, (r.cooldownEnd - performance.now()) / 1000);
  catchUpReasons();
}

// The kiosk refused them (its disk failed, or the rating had to go without them): say so,
// keep the choices, and send again shortly unless the citizen presses Send first.
function notRecorded(r) {
  if (reasonsFor !== r) return;
  setNotice("not_recorded");
  runReasonsTimer(RETRY_MS);
}

// The kiosk stored an answer given with the buttons (or could not: then it asks again).
export function onReport(ev) {
  const r = reasonsFor;
  if (!r || r.id !== ev.rating_id) return;
  r.order = ev.order;
  r.step = ev.step;
  r.buttons = new Set(ev.chosen);
  if (ev.step > 0 || ev.chosen.length || ev.failed) r.buttonMode = true;
  setNotice(ev.failed ? "not_recorded" : null);
  markReasons();
  runReasonsTimer(1000 * (state ? state.settings.reasons_timeout_s : 20));
}

// The kiosk finished the reasons (the buttons said done, or another page sent them).
export function onReported(ev) {
  if (reasonsFor && reasonsFor.id === ev.rating_id && ev.ok) finishReasons(reasonsFor);
}

export function toggleReason(button) {
  if (!reasonsFor) return;
  const code = button.getAttribute("data-reason");
  if (reasonsFor.chosen.has(code)) reasonsFor.chosen.delete(code);
  else reasonsFor.chosen.add(code);
  markReasons();
}

// A rating from the event stream: a GPIO button, or a touch on another open page.
export function onRated(ev) {
  // Our own touch ratings are handled when /press answers.
  if (ev.source === "touch" && (inflight || ev.rating_id === lastMine)) return;
  hidePressNotice();
  if (reasonsFor && reasonsFor.id !== ev.rating_id) handOver();
  if (ev.ask_reasons) showReasons(ev, { buttonMode: ev.source === "button" });
  else showThanks(ev.cooldown_left_s);
}

// A press the kiosk could not store (a touch, or a button: the event stream says so): never a
// thanks; the citizen is told on the rating view, which stays, for NOTICE_MS. The kiosk is then
// restarted by systemd's watchdog and the page reconnects by itself.
export function onNotRecorded() {
  const notice = document.getElementById("press-notice");
  notice.setAttribute("data-t", "press_not_recorded");
  notice.textContent = t("press_not_recorded");
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(hidePressNotice, NOTICE_MS);
  if (current() !== "idle") showBase();
}

// A rating recorded since: the notice is no longer true.
function hidePressNotice() {
  const notice = document.getElementById("press-notice");
  clearTimeout(noticeTimer);
  notice.hidden = true;
  notice.removeAttribute("data-t");
}

export function switchLanguage() {
  setLanguage(lang === "vi" ? "en" : "vi");
  render();
  markReasons();
  clearTimeout(englishTimer);
  if (lang !== "vi") englishTimer = setTimeout(englishLeftOn, ENGLISH_IDLE_MS);
}

// Nobody rated since English was chosen: back to Vietnamese, through the same path as after a thanks.
function englishLeftOn() {
  if (current() === "idle") nextCitizen();
}
