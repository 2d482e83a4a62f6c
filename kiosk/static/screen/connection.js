// The page's connection to the kiosk process on this Pi: the state from /state, the
// JSON posts (ratings, reasons, the PIN pad's sign-in and sign-out) and the event
// stream /events, which brings GPIO ratings, the reasons answered with the buttons and
// state changes. When the kiosk stops
// answering, the page keeps its view for a short grace (a restart is quick), then
// reports the loss and tries again by itself. This module decides no view: it calls
// the handlers given to start(), and those ask views.js.

const OFFLINE_GRACE_MS = 1500;
const RECONNECT_MS = 2000;

// The kiosk's last answer to /state, and whether it answers now.
export let state = null;
export let online = false;
let stateAt = 0; // performance.now() when `state` came

let handlers = null; // {stateChanged(), rated(event), report(event), reported(event), notRecorded(event), lost()}
let graceTimer = 0;

// POST `body` as JSON; the JSON answer (refusals included), an error when the kiosk failed.
export function post(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => {
    if (!r.ok && r.status >= 500) throw new Error(String(r.status));
    return r.json();
  });
}

// Re-read the whole state; the page shows it through handlers.stateChanged.
export function refresh() {
  return fetch("/state", { cache: "no-store" })
    .then((r) => {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    })
    .then((s) => {
      state = s;
      stateAt = performance.now();
      online = true;
      handlers.stateChanged();
    })
    .catch(goneOffline);
}

// Seconds of the cool-down still to run: the state's figure less the time since it came,
// so a state read during a cool-down does not hold the page in it for ever.
export function cooldownLeftS() {
  return state ? state.cooldown_left_s - (performance.now() - stateAt) / 1000 : 0;
}

export function goneOffline() {
  online = false;
  if (graceTimer) return;
  graceTimer = setTimeout(endGrace, OFFLINE_GRACE_MS);
}

// Still no answer after the grace: the page says "please wait", and /state is tried again until the kiosk answers.
function endGrace() {
  graceTimer = 0;
  if (online) return;
  handlers.lost();
  refresh();
}

// EventSource reconnects by itself after a network error; after an HTTP error it
// gives up, so a new one is made. Each (re)connection re-reads the whole state.
function connect() {
  const events = new EventSource("/events");
  events.onopen = () => {
    online = true;
    clearTimeout(graceTimer);
    graceTimer = 0;
    refresh();
  };
  events.onerror = () => {
    goneOffline();
    if (events.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  };
  events.addEventListener("rated", (m) => handlers.rated(JSON.parse(m.data)));
  events.addEventListener("report", (m) => handlers.report(JSON.parse(m.data)));
  events.addEventListener("reported", (m) => handlers.reported(JSON.parse(m.data)));
  events.addEventListener("not_recorded", (m) => handlers.notRecorded(JSON.parse(m.data)));
  events.addEventListener("state", () => refresh());
}

// Read the state at once and open the event stream; `on` = {stateChanged, rated, report, reported, notRecorded, lost}.
export function start(on) {
  handlers = on;
  refresh();
  connect();
}
