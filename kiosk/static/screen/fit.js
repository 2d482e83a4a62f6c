// Long names shrink to fit their box instead of being cut: a desk called "Quầy 12 —
// Đất đai, xây dựng, tài nguyên và môi trường, giao thông vận tải" or an officer with
// a long name and title must be read whole. Each fitted element starts at its size
// from screen.css and steps down until its text fits (one line, or the lines the CSS
// allows it); only below MIN_SCALE does the CSS's ellipsis take over. An element is
// fitted again whenever its box changes size: when its view appears (a hidden box
// has no size to fit), when the screen turns, and once the kiosk's font has loaded.

const MIN_SCALE = 0.6;
const STEP = 0.92;
const fitted = new Set();
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) fit(entry.target);
});

function overflows(el) {
  return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
}

function fit(el) {
  el.style.fontSize = "";
  if (!el.clientWidth) return; // not shown now: fitted when its box appears
  const full = parseFloat(getComputedStyle(el).fontSize);
  let size = full;
  while (overflows(el) && size > full * MIN_SCALE) {
    size = Math.max(full * MIN_SCALE, size * STEP);
    el.style.fontSize = `${size}px`;
  }
}

// Fit `el` now (call it after changing its text) and whenever its box changes size.
export function fitText(el) {
  if (!fitted.has(el)) {
    fitted.add(el);
    observer.observe(el);
  }
  fit(el);
}

// Text measured before the kiosk's font loaded was measured in another font.
document.fonts.ready.then(() => {
  for (const el of fitted) fit(el);
});
