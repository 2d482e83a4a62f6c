// Typing over the reasons view: the queue ticket number and a short comment. Each is a
// keypad on a layer above the views (like the PIN pad), never a view of its own: the
// reasons view and its timer stay where they are. The comment keyboard writes
// Vietnamese without a system keyboard: the letters ă â ê ô ơ ư đ have keys of their
// own, and a tone key puts its mark on the last vowel of the word being typed.

const $ = (id) => document.getElementById(id);

export const LIMITS = { ticket: 20, comment: 200 };

// The comment keyboard, row by row; a word in braces is a key that does something.
const COMMENT_ROWS = [
  "q w e r t y u i o p",
  "a s d f g h j k l đ",
  "z x c v b n m ă â ê",
  "ô ơ ư {acute} {grave} {hook} {tilde} {dot} {delete}",
  "{space} , . {done}",
];
// The combining marks of the five tones, as their keys show them over an "a".
const TONES = { acute: "\u0301", grave: "\u0300", hook: "\u0309", tilde: "\u0303", dot: "\u0323" };
const VOWELS = "aăâeêioôơuưy";

let editing = null; // {name, value, changed(value)}

function buildCommentKeys() {
  const box = $("comment-keys");
  for (const row of COMMENT_ROWS) {
    const line = document.createElement("div");
    line.className = "comment-row";
    for (const word of row.split(" ")) {
      const b = document.createElement("button");
      b.type = "button";
      const action = word.startsWith("{") ? word.slice(1, -1) : null;
      if (action in TONES) {
        b.setAttribute("data-tone", action);
        b.textContent = ("a" + TONES[action]).normalize("NFC");
      } else if (action) {
        b.setAttribute("data-action", `comment-${action}`);
        b.className = action === "delete" ? "key-del" : `key-${action}`;
        if (action === "delete") b.setAttribute("aria-label", "⌫");
        else b.setAttribute("data-t", action); // render.js writes the word in the current language
      } else {
        b.setAttribute("data-comment-key", word);
        b.textContent = word;
      }
      line.appendChild(b);
    }
    box.appendChild(line);
  }
}

// `text` with tone `mark` on the last vowel of its last word (any tone it had replaced).
export function withTone(text, mark) {
  const chars = Array.from(text.normalize("NFC"));
  for (let i = chars.length - 1; i >= 0 && chars[i] !== " "; i--) {
    const bare = chars[i].normalize("NFD").replace(/[\u0300\u0301\u0303\u0309\u0323]/g, "");
    const base = bare.normalize("NFC");
    if (VOWELS.includes(base.toLowerCase())) {
      chars[i] = (bare + mark).normalize("NFC");
      return chars.join("");
    }
  }
  return text;
}

// Open the pad `name` ("ticket" or "comment") with `value`; `changed(value)` after every key.
export function openEntry(name, value, changed) {
  closeEntries();
  editing = { name, value, changed };
  $(`${name}-value`).textContent = value;
  $(`${name}-pad`).hidden = false;
}

export function closeEntries() {
  editing = null;
  for (const name of Object.keys(LIMITS)) $(`${name}-pad`).hidden = true;
}

// A touch on an open pad; true when it was one (the touch is then handled here).
export function entryClick(el) {
  if (!editing) return false;
  const pad = $(`${editing.name}-pad`);
  if (!pad.contains(el)) return false;
  const e = editing;
  const key = el.getAttribute("data-ticket-key") ?? el.getAttribute("data-comment-key");
  const action = el.dataset.action || "";
  if (key !== null && Array.from(e.value).length < LIMITS[e.name]) e.value += key;
  else if (el.hasAttribute("data-tone")) e.value = withTone(e.value, TONES[el.getAttribute("data-tone")]);
  else if (action.endsWith("-space") && e.value && !e.value.endsWith(" ")) e.value += " ";
  else if (action.endsWith("-delete")) e.value = Array.from(e.value).slice(0, -1).join("");
  else if (action.endsWith("-clear")) e.value = "";
  $(`${e.name}-value`).textContent = e.value;
  e.changed(e.value.trim());
  if (action.endsWith("-done")) closeEntries();
  return true;
}

buildCommentKeys();
