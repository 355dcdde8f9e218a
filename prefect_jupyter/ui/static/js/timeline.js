// A simple timeline: one bar per task (start → end, or → now while it runs), coloured by state.
// A mapped task's bar spans its children (first start → last end).

import { fill, fmtDuration, h, ms } from "./dom.js";

/** rows: [{name, state, start, end}] (ISO timestamps or null). */
export function renderTimeline(el, rows, runStart, runEnd) {
  const now = Date.now();
  const started = rows.filter((r) => ms(r.start) != null);
  if (!started.length) {
    fill(el, h("p", { class: "muted" }, "No task has started yet."));
    return;
  }
  const t0 = Math.min(ms(runStart) ?? Infinity, ...started.map((r) => ms(r.start)));
  const ends = started.map((r) => ms(r.end) ?? now);
  const t1 = Math.max(ms(runEnd) ?? 0, ...ends, t0 + 1000);
  const span = t1 - t0;
  started.sort((a, b) => ms(a.start) - ms(b.start) || a.name.localeCompare(b.name));
  const ticks = h("div", { class: "tl-axis" });
  for (let i = 0; i <= 4; i++) {
    const tick = h("span", { class: "tl-tick" }, `+${fmtDuration((span * i) / 4000)}`);
    tick.style.left = `${i * 25}%`;
    ticks.append(tick);
  }
  const lines = started.map((r) => {
    const a = ms(r.start);
    const b = ms(r.end) ?? now;
    const bar = h("div", { class: `tl-bar${r.end ? "" : " tl-open"}`, dataset: { state: r.state || "None" },
      title: `${r.name}: ${r.state || "not run"}, ${fmtDuration((b - a) / 1000)}` });
    const width = Math.max(0.3, ((b - a) / span) * 100);
    bar.style.left = `${Math.min(100 - width, ((a - t0) / span) * 100)}%`;
    bar.style.width = `${width}%`;
    return h("div", { class: "tl-row" }, h("div", { class: "tl-name", title: r.name }, r.name),
      h("div", { class: "tl-track" }, bar));
  });
  const waiting = rows.length - started.length;
  fill(el, h("div", { class: "tl-row tl-head" }, h("div", { class: "tl-name" }), ticks), lines,
    waiting ? h("p", { class: "muted" }, `${waiting} more not started.`) : null);
}
