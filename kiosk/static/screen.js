// Hài Lòng touch screen. Plain JS, no framework: the state comes from /state,
// ratings go to /press, and /events (server-sent events) brings GPIO ratings and
// state changes. The thanks view is shown the moment /press answers "recorded".
"use strict";
(() => {
  const TEXT = {
    vi: {
      question: "Ông/Bà đánh giá thế nào về sự phục vụ của cán bộ?",
      nobody: "Quầy tiếp nhận",
      switch: "English",
      reasons_title: "Xin Ông/Bà cho biết lý do",
      reasons_hint: "Có thể chọn nhiều lý do, rồi bấm Gửi.",
      send: "Gửi",
      thanks: "Cảm ơn Ông/Bà!",
      thanks_text: "Ý kiến của Ông/Bà đã được ghi nhận.",
      closed: "Quầy đang tạm nghỉ",
      closed_text: "Xin Ông/Bà vui lòng chờ cán bộ quay lại hoặc liên hệ quầy khác.",
      pad_choose: "Cán bộ: chọn tên để bắt đầu ca",
      pad_hint: "Nhập mã PIN rồi bấm nút đỏ.",
      close: "Đóng",
      back: "Quay lại",
      ok: "Đăng nhập",
      sign_out: "Kết thúc ca: ",
      sign_out_who: "Kết thúc ca của ",
      page: "Trang ",
      wrong_pin: (n) => `Sai mã PIN. Còn ${n} lần thử.`,
      locked: (m) => `Đã khoá vì nhập sai nhiều lần. Thử lại sau ${m} phút.`,
      unknown_officer: "Không tìm thấy cán bộ này.",
      nobody_on_duty: "Không có cán bộ nào đang trong ca.",
      failed: "Chưa gửi được. Xin thử lại.",
    },
    en: {
      question: "How would you rate the officer's service?",
      nobody: "Reception desk",
      switch: "Tiếng Việt",
      reasons_title: "Please tell us why",
      reasons_hint: "You may choose several reasons, then press Send.",
      send: "Send",
      thanks: "Thank you!",
      thanks_text: "Your opinion has been recorded.",
      closed: "This desk is closed",
      closed_text: "Please wait for an officer to return or go to another desk.",
      pad_choose: "Officers: choose your name to start your shift",
      pad_hint: "Enter your PIN, then press the red key.",
      close: "Close",
      back: "Back",
      ok: "Sign in",
      sign_out: "End shift: ",
      sign_out_who: "End the shift of ",
      page: "Page ",
      wrong_pin: (n) => `Wrong PIN. ${n} ${n === 1 ? "try" : "tries"} left.`,
      locked: (m) => `Locked after too many wrong PINs. Try again in ${m} min.`,
      unknown_officer: "This officer is not known here.",
      nobody_on_duty: "Nobody is on duty.",
      failed: "Not sent. Please try again.",
    },
  };
  // Okabe–Ito colours, told apart with every common colour-vision deficiency (and
  // by lightness), each level also has its own face and words: colour is never the
  // only cue. Satisfied levels from the best down, unsatisfied ones from the worst up.
  const GOOD = ["#009e73", "#0072b2", "#56b4e9", "#8fa3b3"];
  const BAD = ["#d55e00", "#e69f00", "#f0e442", "#cc79a7"];
  const LONG_PRESS_MS = 2000;
  const PAD_IDLE_MS = 30000;
  const ENGLISH_IDLE_MS = 60000;
  const OFFLINE_GRACE_MS = 1500;
  const PAD_PAGE = 6;
  const PIN_MAX = 12;

  const $ = (id) => document.getElementById(id);
  const app = $("app");
  const pad = $("pad");
  let state = null;
  let lang = "vi";
  let scaleKey = "";
  let reasonsKey = "";
  let online = false;
  let offlineTimer = 0;
  let viewTimer = 0;
  let englishTimer = 0;
  let inflight = false;
  let lastMine = null;
  let reasonsFor = null; // {id, chosen: Set, cooldownEnd}
  let reasonsTimer = 0;

  const t = (key) => TEXT[lang][key];
  const label = (obj) => (obj && (obj[lang] || obj.vi)) || "";
  const view = () => app.dataset.view;

  function setView(name) {
    if (app.dataset.view !== name) app.dataset.view = name;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => {
      if (!r.ok && r.status >= 500) throw new Error(String(r.status));
      return r.json();
    });
  }

  // A face as inline SVG: mood -1 (frown) .. 1 (broad smile).
  function face(mood) {
    const y = 64 + 24 * mood;
    const ends = 66 - 4 * mood;
    return (
      '<svg class="face" viewBox="0 0 100 100" aria-hidden="true">' +
      '<circle class="disc" cx="50" cy="50" r="46"/>' +
      '<circle class="eye" cx="35" cy="40" r="6"/><circle class="eye" cx="65" cy="40" r="6"/>' +
      `<path class="mouth" d="M28 ${ends} Q50 ${y} 72 ${ends}"/></svg>`
    );
  }

  // Mood and colour of each level, from where it stands against satisfied_from.
  function looks(scale) {
    const scores = scale.levels.map((l) => l.score).sort((a, b) => b - a);
    const from = scale.satisfied_from;
    const good = scores.filter((s) => s >= from);
    const bad = scores.filter((s) => s < from).reverse();
    const out = {};
    good.forEach((s, i) => {
      out[s] = { mood: good.length < 2 ? 1 : 1 - (0.65 * i) / (good.length - 1), colour: GOOD[Math.min(i, GOOD.length - 1)] };
    });
    bad.forEach((s, i) => {
      out[s] = { mood: bad.length < 2 ? -1 : -1 + (0.9 * i) / (bad.length - 1), colour: BAD[Math.min(i, BAD.length - 1)] };
    });
    return out;
  }

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
      b.setAttribute("data-score", String(level.score)); // PROTOCOL.md §4 hook
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
      b.setAttribute("data-reason", reason.code); // PROTOCOL.md §4 hook
      b.setAttribute("aria-pressed", "false");
      box.appendChild(b);
    }
  }

  function render() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    if (!state || !state.scale) return;
    const key = JSON.stringify(state.scale);
    if (key !== scaleKey) {
      buildLevels(state.scale);
      scaleKey = key;
    }
    const rkey = JSON.stringify(state.reasons.map((r) => r.code));
    if (rkey !== reasonsKey && !reasonsFor) {
      buildReasons(state.reasons);
      reasonsKey = rkey;
    }
    const labels = {};
    for (const l of state.scale.levels) labels[l.score] = l.label;
    for (const b of $("levels").children) b.lastChild.textContent = label(labels[b.getAttribute("data-score")]);
    const reasonLabels = {};
    for (const r of state.reasons) reasonLabels[r.code] = r.label;
    for (const b of $("reasons").children) b.textContent = label(reasonLabels[b.getAttribute("data-reason")]);

    const desk = state.desk;
    $("desk-name").textContent = desk ? desk.name : "";
    $("unit-name").textContent = desk ? desk.unit.name : "";
    const langs = state.settings.languages || ["vi"];
    const switcher = document.querySelector('[data-action="language"]');
    switcher.hidden = !langs.includes("en");
    switcher.textContent = t("switch");
    switcher.lang = lang === "vi" ? "en" : "vi";

    const officer = state.officer;
    const card = $("officer");
    const photo = $("photo");
    card.classList.toggle("nobody", !officer);
    // A photo with transparent corners must not show the placeholder silhouette behind it.
    card.classList.toggle("has-photo", Boolean(officer && officer.photo_url));
    if (officer) {
      card.setAttribute("data-officer-id", String(officer.id)); // PROTOCOL.md §4 hook
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
    if (!pad.hidden) renderPad();
  }

  // The view the state asks for, once any thanks or reasons view is over.
  function showBase() {
    clearTimeout(viewTimer);
    if (!online || !state) {
      // A rating waiting for reasons is stored; the kiosk sends it by itself at its deadline.
      reasonsFor = null;
      clearTimeout(reasonsTimer);
      return setView("waiting");
    }
    if (state.view === "idle" && state.cooldown_left_s > 0) return showThanks(state.cooldown_left_s);
    setView(state.view === "idle" || state.view === "closed" ? state.view : "waiting");
  }

  function showThanks(cooldownLeft) {
    clearTimeout(viewTimer);
    setView("thanks");
    const thanks = state ? state.settings.thanks_s : 4;
    viewTimer = setTimeout(endThanks, 1000 * Math.max(thanks, cooldownLeft || 0));
  }

  function endThanks() {
    // English is for one citizen: the next one starts in Vietnamese.
    if (lang !== "vi") {
      lang = "vi";
      render();
    }
    showBase();
  }

  function press(button) {
    if (inflight || view() !== "idle") return;
    inflight = true;
    button.classList.add("pressing");
    post("/press", { score: Number(button.getAttribute("data-score")) })
      .then((r) => {
        inflight = false;
        button.classList.remove("pressing");
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
        inflight = false;
        button.classList.remove("pressing");
        goneOffline();
      });
  }

  function showReasons(r) {
    reasonsFor = { id: r.rating_id, chosen: new Set(), cooldownEnd: performance.now() + 1000 * r.cooldown_left_s };
    for (const b of $("reasons").children) b.setAttribute("aria-pressed", "false");
    const timeoutMs = 1000 * (state ? state.settings.reasons_timeout_s : 20);
    // Sent a moment before the kiosk's own deadline, after which it sends the rating without reasons.
    const sendMs = Math.max(500, timeoutMs - 1000);
    const bar = $("timebar");
    bar.classList.remove("running");
    bar.style.setProperty("--reasons-ms", `${sendMs}ms`);
    setView("reasons");
    void bar.offsetWidth; // restart the bar's transition
    bar.classList.add("running");
    clearTimeout(reasonsTimer);
    reasonsTimer = setTimeout(sendReasons, sendMs);
  }

  // Send what is chosen (possibly nothing) and thank; the rating itself is already stored.
  function sendReasons() {
    const r = reasonsFor;
    if (!r) return;
    reasonsFor = null;
    clearTimeout(reasonsTimer);
    post("/reasons", { rating_id: r.id, reasons: Array.from(r.chosen) }).catch(() => {});
    showThanks((r.cooldownEnd - performance.now()) / 1000);
    if (state && JSON.stringify(state.reasons.map((x) => x.code)) !== reasonsKey) render();
  }

  function toggleReason(button) {
    if (!reasonsFor) return;
    const code = button.getAttribute("data-reason");
    const on = !reasonsFor.chosen.has(code);
    if (on) reasonsFor.chosen.add(code);
    else reasonsFor.chosen.delete(code);
    button.setAttribute("aria-pressed", String(on));
  }

  function onRated(ev) {
    // Our own touch ratings are handled when /press answers.
    if (ev.source === "touch" && (inflight || ev.rating_id === lastMine)) return;
    if (reasonsFor) sendReasons();
    showThanks(ev.cooldown_left_s);
  }

  function refresh() {
    return fetch("/state", { cache: "no-store" })
      .then((r) => {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then((s) => {
        state = s;
        online = true;
        render();
        if (view() !== "thanks" && view() !== "reasons") showBase();
      })
      .catch(goneOffline);
  }

  // After a short grace the calm "please wait" view; /state is tried again until the kiosk answers.
  function goneOffline() {
    online = false;
    if (offlineTimer) return;
    offlineTimer = setTimeout(() => {
      offlineTimer = 0;
      if (online) return;
      showBase();
      refresh();
    }, OFFLINE_GRACE_MS);
  }

  // EventSource reconnects by itself after a network error; after an HTTP error it
  // gives up, so a new one is made. Each (re)connection re-reads the whole state.
  function connect() {
    const es = new EventSource("/events");
    es.onopen = () => {
      online = true;
      clearTimeout(offlineTimer);
      offlineTimer = 0;
      refresh();
    };
    es.onerror = () => {
      goneOffline();
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
    es.addEventListener("rated", (m) => onRated(JSON.parse(m.data)));
    es.addEventListener("state", () => refresh());
  }

  // ---- The officers' PIN pad ----
  const padState = { step: "list", mode: "in", officer: null, digits: "", page: 0, lockedUntil: 0, message: "" };
  let padIdle = 0;
  let padLockTimer = 0;

  function openPad() {
    if (!online || !state || !state.scale) return;
    Object.assign(padState, { step: "list", officer: null, digits: "", page: 0 });
    setLocked(state.pin_locked_for_s);
    pad.hidden = false;
    touchPad();
    renderPad();
  }

  function closePad() {
    pad.hidden = true;
    clearTimeout(padIdle);
    padState.digits = "";
  }

  function touchPad() {
    clearTimeout(padIdle);
    padIdle = setTimeout(closePad, PAD_IDLE_MS);
  }

  // The pad refuses digits while the kiosk says it is locked, and says for how long.
  function setLocked(seconds) {
    clearTimeout(padLockTimer);
    padState.lockedUntil = 0;
    padState.message = "";
    if (seconds > 0) {
      padState.lockedUntil = performance.now() + 1000 * seconds;
      padState.message = t("locked")(Math.ceil(seconds / 60));
      padLockTimer = setTimeout(() => {
        setLocked(0);
        if (!pad.hidden) renderPad();
      }, 1000 * seconds);
    }
  }

  function renderPad() {
    const list = padState.step === "list";
    $("pad-list").hidden = !list;
    $("pad-pin").hidden = list;
    for (const el of pad.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    if (list) {
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
      return;
    }
    const who = padState.mode === "out" ? t("sign_out_who") + (state.officer ? state.officer.name : "") : padState.officer.name;
    $("pad-who").textContent = who;
    pad.querySelector('[data-action="pin-ok"]').textContent = padState.mode === "out" ? t("sign_out").replace(/: $/, "") : t("ok");
    const dots = $("pad-dots");
    dots.textContent = "";
    for (let i = 0; i < padState.digits.length; i++) dots.appendChild(document.createElement("span"));
    $("pad-message").textContent = padState.message || "";
    const locked = padState.lockedUntil > performance.now();
    for (const b of $("keys").children) b.disabled = locked;
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

  // ---- Input ----
  let longPress = 0;
  function cancelLongPress() {
    clearTimeout(longPress);
    longPress = 0;
  }

  document.addEventListener("click", (e) => {
    const el = e.target.closest("button");
    if (!el) return;
    if (!pad.hidden) {
      if (pad.contains(el)) padAction(el.dataset.action, el);
      return;
    }
    if (el.hasAttribute("data-score")) press(el);
    else if (el.hasAttribute("data-reason")) toggleReason(el);
    else if (el.dataset.action === "send-reasons") sendReasons();
    else if (el.dataset.action === "language") {
      lang = lang === "vi" ? "en" : "vi";
      render();
      clearTimeout(englishTimer);
      if (lang !== "vi") englishTimer = setTimeout(() => view() === "idle" && endThanks(), ENGLISH_IDLE_MS);
    }
  });

  pad.addEventListener("pointerdown", touchPad);
  const spot = document.querySelector('[data-action="open-pad"]');
  spot.addEventListener("pointerdown", () => {
    cancelLongPress();
    longPress = setTimeout(openPad, LONG_PRESS_MS);
  });
  for (const type of ["pointerup", "pointercancel", "pointerleave"]) spot.addEventListener(type, cancelLongPress);

  // No context menu, selection, zoom or scrolling on a public kiosk.
  for (const type of ["contextmenu", "selectstart", "dragstart", "dblclick", "gesturestart"]) {
    document.addEventListener(type, (e) => e.preventDefault());
  }
  document.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });
  document.addEventListener("wheel", (e) => e.ctrlKey && e.preventDefault(), { passive: false });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && ["+", "-", "=", "0"].includes(e.key)) e.preventDefault();
  });

  $("photo").addEventListener("error", (e) => {
    e.target.hidden = true;
  });

  $("thanks-face").innerHTML = face(1);
  render();
  // The state at once; the event stream re-reads it whenever it (re)connects.
  refresh();
  connect();
})();
