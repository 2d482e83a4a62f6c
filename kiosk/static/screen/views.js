// The view controller: the only module that changes which view the screen shows (the
// data-view attribute on #app, which screen.css turns into one visible section:
// waiting, idle, reasons, thanks or closed) and the owner of the one view timer.
// A view shown for a while hands over to its `then` when the time is up, unless
// another view is asked for first: every request cancels the pending timer, so an
// old thanks or reasons timeout can never fire over a newer view. The PIN pad is a
// layer above the views, not a view: its own timers never touch data-view.

const root = document.getElementById("app");
let timer = 0;

export function current() {
  return root.dataset.view;
}

// Show view `name`; with `forMs`, call `then()` once it has been up that long.
export function show(name, { forMs, then } = {}) {
  clearTimeout(timer);
  // Written only when it changes: every write is a mutation that observers see.
  if (root.dataset.view !== name) root.dataset.view = name;
  timer = forMs === undefined ? 0 : setTimeout(then, forMs);
}
