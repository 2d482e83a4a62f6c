// The touch screen's entry module, loaded by templates/screen.html as a module script
// (native ES modules, no build step; nothing inline, so the CSP's script-src 'self'
// holds). It sends each touch to the module it belongs to, keeps a public kiosk
// from zooming, selecting or scrolling, and starts the connection to the kiosk.

import { start } from "./connection.js";
import { face } from "./faces.js";
import { openPad, padClick, touchPad } from "./pad.js";
import { entryClick } from "./entry.js";
import {
  done, onNotRecorded, onRated, onReport, onReported, onState, openComment, openTicket, press, sendReasons,
  showBase, switchLanguage, toggleReason,
} from "./rating.js";
import { render } from "./render.js";

const LONG_PRESS_MS = 2000;
let longPress = 0;

function onClick(e) {
  const el = e.target.closest("button");
  if (!el || padClick(el) || entryClick(el)) return;
  if (el.hasAttribute("data-score")) press(el);
  else if (el.hasAttribute("data-reason")) toggleReason(el);
  else if (el.dataset.action === "send-reasons") sendReasons();
  else if (el.dataset.action === "ticket") openTicket();
  else if (el.dataset.action === "comment") openComment();
  else if (el.dataset.action === "language") switchLanguage();
  else if (el.dataset.action === "done") done();
}

function cancelLongPress() {
  clearTimeout(longPress);
  longPress = 0;
}

// The discreet spot: a finger held on the desk's name opens the officers' PIN pad.
function listenForLongPress(spot) {
  spot.addEventListener("pointerdown", () => {
    cancelLongPress();
    longPress = setTimeout(openPad, LONG_PRESS_MS);
  });
  for (const type of ["pointerup", "pointercancel", "pointerleave"]) spot.addEventListener(type, cancelLongPress);
}

// No context menu, selection, zoom or scrolling on a public kiosk.
function lockDown() {
  for (const type of ["contextmenu", "selectstart", "dragstart", "dblclick", "gesturestart"]) {
    document.addEventListener(type, (e) => e.preventDefault());
  }
  document.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });
  document.addEventListener("wheel", (e) => e.ctrlKey && e.preventDefault(), { passive: false });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && ["+", "-", "=", "0"].includes(e.key)) e.preventDefault();
  });
}

document.addEventListener("click", onClick);
document.getElementById("pad").addEventListener("pointerdown", touchPad);
listenForLongPress(document.querySelector('[data-action="open-pad"]'));
lockDown();
document.getElementById("photo").addEventListener("error", (e) => {
  e.target.hidden = true;
});

document.getElementById("thanks-face").innerHTML = face(1);
render();
// The state at once; the event stream re-reads it whenever it (re)connects.
start({
  stateChanged: onState, rated: onRated, report: onReport, reported: onReported, notRecorded: onNotRecorded,
  lost: showBase,
});
