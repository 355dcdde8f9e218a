// The flow DAG widget (anywidget front end). Shared drawing code: drawGraph + applyStates are
// also imported by the web UI and the labextension. The graph is drawn once; state updates
// only flip data-state attributes and mapped counts on the nodes that changed.
// Kept cheap for 1,000 nodes: an update changes attributes only (no text, so no re-layout of the
// SVG; a node's tooltip is filled in when the pointer enters it), at most once per animation
// frame, and large graphs get no colour transition (it would repaint the whole SVG each frame).
import { FAILED, FINISHED, SUCCESSFUL } from "./states.js";

const NS = "http://www.w3.org/2000/svg";
const INDEX = Symbol("pjNodes");
const LARGE = 200; // nodes: from here on, no colour transition
let seq = 0; // marker ids must be unique in the page (several widgets, UI panels)

function el(tag, attrs, parent, ns = NS) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
const div = (cls, parent, text) => {
  const e = el("div", { class: cls }, parent, null);
  if (text != null) e.textContent = text;
  return e;
};

function pathOf(points) {
  if (!points || points.length < 2) return "";
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i + 2 < points.length; i += 3)
    d += `C${points[i]} ${points[i + 1]} ${points[i + 2]}`;
  if (points.length < 4) d += `L${points[points.length - 1]}`;
  return d;
}

/** Draw `graph` (a prefect_jupyter graph model) into the <svg> `svgRoot`, replacing its content. */
export function drawGraph(svgRoot, graph) {
  const L = graph.layout || { width: 400, height: 200 };
  svgRoot.replaceChildren();
  svgRoot.classList.add("pj-graph");
  svgRoot.classList.toggle("pj-large", (graph.nodes || []).length >= LARGE);
  svgRoot.setAttribute("width", L.width);
  svgRoot.setAttribute("height", L.height);
  svgRoot.setAttribute("viewBox", `0 0 ${L.width} ${L.height}`);
  const arrow = `pj-arrow-${++seq}`;
  const marker = el("marker", { id: arrow, viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, el("defs", {}, svgRoot));
  el("path", { d: "M0,0L10,5L0,10z", class: "pj-arrowhead" }, marker);
  const edges = el("g", { class: "pj-edges" }, svgRoot);
  for (const e of graph.edges || []) {
    const p = el("path", { d: pathOf(e.points), class: "pj-edge", "marker-end": `url(#${arrow})`,
      "data-source": e.source, "data-target": e.target }, edges);
    if (e.mapped) p.classList.add("pj-mapped");
  }
  const nodes = el("g", { class: "pj-nodes" }, svgRoot);
  const index = new Map();
  for (const n of graph.nodes || []) {
    const g = el("g", { class: "pj-node", "data-id": n.id, "data-kind": n.kind,
      "data-state": "None", transform: `translate(${n.x || 0},${n.y || 0})` }, nodes);
    const title = el("title", {}, g);
    title.textContent = n.name; // the state joins it when the pointer enters the node
    el("rect", { class: "pj-box", width: n.w, height: n.h, rx: n.kind === "constant" ? 11 : 5 }, g);
    const label = el("text", { class: "pj-label", x: n.w / 2,
      y: n.kind === "mapped" ? 16 : n.h / 2 + 4 }, g);
    label.textContent = n.name;
    const item = { g, title, w: n.w, name: n.name, key: null, state: null, message: null };
    if (n.kind === "mapped") {
      const x = 8, w = n.w - 16;
      el("rect", { class: "pj-bar", x, y: 24, width: w, height: 5, rx: 2 }, g);
      item.ok = el("rect", { class: "pj-bar-ok", x, y: 24, width: 0, height: 5 }, g);
      item.bad = el("rect", { class: "pj-bar-bad", x, y: 24, width: 0, height: 5 }, g);
      item.other = el("rect", { class: "pj-bar-other", x, y: 24, width: 0, height: 5 }, g);
      item.counts = el("text", { class: "pj-counts", x: n.w / 2, y: 40 }, g);
      item.bx = x; item.bw = w;
    }
    index.set(n.id, item);
  }
  if (!svgRoot[INDEX]) svgRoot.addEventListener("mouseover", (ev) => fillTitle(svgRoot, ev.target));
  svgRoot[INDEX] = index;
  applyStates(svgRoot, Object.fromEntries((graph.nodes || []).map((n) => [n.id, n])));
  return index;
}

/** Write the tooltip of the node under the pointer (not on every update: text changes cost a
 * re-layout of the whole SVG). */
function fillTitle(svgRoot, target) {
  const g = target.closest && target.closest(".pj-node");
  const item = g && svgRoot[INDEX] && svgRoot[INDEX].get(g.dataset.id);
  if (!item) return;
  const text = `${item.name}: ${item.state || "not run"}${item.message ? ` — ${item.message}` : ""}`;
  if (item.title.textContent !== text) item.title.textContent = text;
}

/** Apply `states` ({node id: {state, message, counts, n_children}}) to a drawn graph; only
 * nodes whose entry changed are touched. */
export function applyStates(svgRoot, states) {
  const index = svgRoot[INDEX];
  if (!index || !states) return;
  for (const [id, s] of Object.entries(states)) {
    const item = index.get(id);
    if (!item || !s) continue;
    const key = `${s.state}|${s.message}|${JSON.stringify(s.counts)}|${s.n_children}`;
    if (item.key === key) continue;
    item.key = key;
    item.state = s.state;
    item.message = s.message;
    if (item.g.getAttribute("data-state") !== (s.state || "None")) item.g.setAttribute("data-state", s.state || "None");
    if (item.counts) {
      const c = childCounts(s.counts);
      const n = s.n_children || 0;
      const f = (k) => (n ? (item.bw * k) / n : 0);
      item.ok.setAttribute("width", f(c.ok));
      item.bad.setAttribute("x", item.bx + f(c.ok));
      item.bad.setAttribute("width", f(c.failed));
      item.other.setAttribute("x", item.bx + f(c.ok + c.failed));
      item.other.setAttribute("width", f(c.other));
      // a map left unfinished by its run (no longer Running): its children that never ran
      const rest = n - c.ok - c.failed - c.other;
      if (rest > 0 && s.state !== "Running" && n) c.notes.push(`${rest} not run`);
      item.counts.textContent = `${c.ok}/${n}` + c.notes.map((t) => ` · ${t}`).join("");
    }
  }
}

/** A mapped node's children by outcome: `ok` (successful), `failed`, `other` (finished
 * otherwise, e.g. Cancelled) and notes such as "2 failed", "22 cancelled". */
export function childCounts(counts) {
  const c = { ok: 0, failed: 0, other: 0, notes: [] };
  const others = {};
  for (const [name, k] of Object.entries(counts || {})) {
    if (SUCCESSFUL.has(name)) c.ok += k;
    else if (FAILED.has(name)) c.failed += k;
    else if (FINISHED.has(name)) { c.other += k; others[name.toLowerCase()] = k; }
  }
  if (c.failed) c.notes.push(`${c.failed} failed`);
  for (const [name, k] of Object.entries(others)) c.notes.push(`${k} ${name}`);
  return c;
}

function fmtSeconds(s) {
  if (s == null) return "";
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
const fmtDuration = (s) => (s != null && s < 1 ? `${Math.round(s * 1000)} ms` : fmtSeconds(s));

function renderHeader(box, h, since) {
  const names = ["pj-badge", "pj-flow", "pj-progress", "pj-notes", "pj-elapsed"];
  if (!box.querySelector(".pj-badge")) {
    const zoom = box.querySelector(".pj-zoom"); // the header's buttons stay last
    for (const cls of names) box.insertBefore(div(cls, null), zoom);
  }
  const [badge, flow, progress, notes, elapsed] = names.map((cls) => box.querySelector(`.${cls}`));
  const extra = h.running && h.elapsed != null ? (Date.now() - since) / 1000 : 0;
  const more = [];
  if (h.failed) more.push(`${h.failed} failed`);
  for (const [name, k] of Object.entries(h.ended || {})) more.push(`${k} ${name.toLowerCase()}`);
  if (h.children) more.push(`${h.children[0]}/${h.children[1]} mapped`);
  if (h.rate) more.push(`${h.rate}/s`);
  if (h.eta != null) more.push(`${fmtSeconds(Math.max(0, h.eta - extra))} left`);
  const texts = [h.state || "not run", h.flow || "", `${h.done ?? 0}/${h.total ?? 0} tasks done`,
    more.join(" · "), h.elapsed == null ? "" : fmtSeconds(h.elapsed + extra)];
  // only changed texts are written: each write costs a layout
  [badge, flow, progress, notes, elapsed].forEach((e, i) => { if (e.textContent !== texts[i]) e.textContent = texts[i]; });
  if (badge.dataset.state !== (h.state || "None")) badge.dataset.state = h.state || "None";
  let link = box.querySelector("a.pj-dashboard");
  if (h.dashboard && !link) {
    link = el("a", { class: "pj-dashboard", target: "_blank", rel: "noopener" }, null, null);
    link.textContent = "Dask dashboard";
    box.insertBefore(link, box.querySelector(".pj-zoom"));
  }
  if (link) { link.hidden = !h.dashboard; if (h.dashboard) link.href = h.dashboard; }
}

function section(panel, title, text, pre) {
  if (text == null || text === "" || (Array.isArray(text) && !text.length)) return null;
  div("pj-section-title", panel, title);
  const e = el(pre ? "pre" : "div", { class: "pj-section" }, panel, null);
  e.textContent = Array.isArray(text) ? text.join("\n") : text;
  return e;
}

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
/** Log lines ("HH:MM:SS LEVEL who: message") at `level` or above. */
const atLevel = (lines, level) => {
  const min = LEVELS.indexOf(level);
  return (lines || []).filter((l) => LEVELS.indexOf(l.split(" ", 3)[1]) >= min);
};

/** A level picker; `onPick(level)` when changed. */
function levelPicker(parent, level, onPick) {
  const pick = el("select", { class: "pj-level", title: "Show log lines at this level and above" }, parent, null);
  for (const name of LEVELS) el("option", { value: name }, pick, null).textContent = name;
  pick.value = level;
  pick.onchange = () => onPick(pick.value);
}

/** The details of `sel`: the kernel's answer, else what it sent during the run. */
function detailsOf(model, sel, live, pushed) {
  const d = model.get("details") || {};
  if (d.id === sel) return d;
  if (pushed[sel]) return pushed[sel];
  const node = sel.replace(/\[\d+\]$/, "");
  const name = (model.get("graph").nodes || []).find((n) => n.id === node)?.name || node;
  const parent = pushed[node];
  const i = sel === node ? null : Number(sel.slice(node.length + 1, -1));
  const row = parent && i != null && (parent.children || []).find((c) => c.map_index === i);
  if (row) return { ...row, id: sel, node, name: `${name}[${i}]`, kind: "child", inputs: [], logs: [] };
  return { ...(live[node] || {}), id: sel, node, name: i == null ? name : `${name}[${i}]`, map_index: i };
}

function renderDetails(panel, model, d, view) {
  const sel = model.get("selected");
  panel.replaceChildren();
  panel.hidden = !sel;
  if (!sel) return;
  const top = div("pj-details-top", panel);
  div("pj-details-name", top, d.name);
  const badge = div("pj-badge", top, d.state || "not run");
  badge.dataset.state = d.state || "None";
  const close = el("button", { class: "pj-close", title: "Close" }, top, null);
  close.textContent = "×";
  close.onclick = () => { model.set("selected", ""); model.save_changes(); };
  if (d.map_index != null) {
    const up = el("button", { class: "pj-up" }, top, null);
    up.textContent = "↑ parent";
    up.onclick = () => { model.set("selected", d.node); model.save_changes(); };
  }
  section(panel, "Message", d.message);
  section(panel, "Duration", d.duration == null ? null : fmtDuration(d.duration));
  section(panel, "Inputs", (d.inputs || []).map((i) => `${i.key ?? "(upstream)"} = ${i.value ?? "…"}` +
    `  ← ${i.source}${i.mapped ? " (mapped)" : ""}`));
  section(panel, "Result", d.result, true);
  if (d.children) renderChildren(panel, model, d, view); // before the (long) logs of all children
  section(panel, "Traceback", d.traceback, true);
  const logs = atLevel(d.logs, view.level);
  if (d.logs && d.logs.length) {
    section(panel, "Logs", logs.length ? logs : [`(no lines at ${view.level} or above)`], true);
    levelPicker(div("pj-log-tools", panel), view.level, (v) => { view.level = v; view.refresh(); });
  }
}

function renderChildren(panel, model, d, view) {
  div("pj-section-title", panel, `Children (${d.children.length})`);
  const search = el("input", { type: "search", class: "pj-search", placeholder: "index or state…" }, panel, null);
  search.value = view.search || "";
  const list = div("pj-children", panel);
  const fill = () => {
    const q = (view.search = search.value.trim()).toLowerCase();
    list.replaceChildren();
    const hit = (c) => !q || String(c.map_index).startsWith(q) || (c.state || "not run").toLowerCase().includes(q);
    const rows = d.children.filter(hit).slice(0, 200);
    for (const c of rows) {
      const row = div("pj-child", list);
      row.dataset.state = c.state || "None";
      row.textContent = `[${c.map_index}] ${c.state || "not run"}${c.result != null ? ` = ${c.result}` : ""}` +
        `${c.message && !c.result ? ` — ${c.message}` : ""}`;
      row.onclick = () => { model.set("selected", `${d.node}[${c.map_index}]`); model.save_changes(); };
    }
  };
  search.oninput = fill;
  fill();
}

/** The run log under the graph: built once, then updated (closed: only its title). */
function renderRunLog(box, lines, view) {
  box.hidden = !lines.length;
  if (!lines.length) return;
  let head = box.querySelector("details.pj-runlog");
  if (!head) {
    head = el("details", { class: "pj-runlog" }, box, null);
    el("span", { class: "pj-runlog-title" }, el("summary", {}, head, null), null);
    levelPicker(head.firstChild, view.level, (v) => { view.level = v; view.refresh(); });
    el("pre", { class: "pj-section" }, head, null);
    head.ontoggle = () => { view.logOpen = head.open; renderRunLog(box, view.lines(), view); };
  }
  if (head.open !== view.logOpen) head.open = view.logOpen;
  head.querySelector("select.pj-level").value = view.level;
  const shown = atLevel(lines, view.level);
  head.querySelector(".pj-runlog-title").textContent = `Run log (${shown.length} of ${lines.length} lines) `;
  const pre = head.querySelector("pre");
  const text = head.open ? shown.slice(-500).join("\n") : "";
  if (pre.textContent !== text) pre.textContent = text;
}

/** Zoom buttons: scale the drawing (its viewBox stays), or fit it into the visible box. */
function zoomButtons(header, scroll, svg, model) {
  const bar = div("pj-zoom", header);
  let scale = 1;
  const apply = () => {
    const L = model.get("graph").layout || { width: 400, height: 200 };
    svg.setAttribute("width", L.width * scale);
    svg.setAttribute("height", L.height * scale);
  };
  const button = (text, title, fn) => {
    const b = el("button", { title }, bar, null);
    b.textContent = text;
    b.onclick = () => { fn(); apply(); };
  };
  button("−", "Zoom out", () => { scale = Math.max(0.05, scale / 1.25); });
  button("+", "Zoom in", () => { scale = Math.min(4, scale * 1.25); });
  button("Fit", "Fit the whole graph", () => {
    const L = model.get("graph").layout || { width: 400, height: 200 };
    scale = Math.min(1, (scroll.clientWidth - 4) / L.width, 556 / L.height);
  });
  return () => { scale = 1; };
}

// What the kernel sends during a run, kept per widget model from the moment the model exists
// (anywidget's initialize), not per view: a view made after the run started (the output area
// renders it a little later, or a second view) still has every node's details and log line.
// Keyed by the model's graph object, the one value that is the same for every model proxy.
const STORES = new WeakMap();
function storeOf(model) {
  const key = model.get("graph") || {};
  let store = STORES.get(key);
  if (!store) STORES.set(key, (store = { pushed: {}, lines: [] }));
  return store;
}

function keep(model) {
  const pushed = () => Object.assign(storeOf(model).pushed, model.get("node_details") || {});
  const lines = () => {
    const store = storeOf(model);
    const got = model.get("log_lines") || {};
    if (!got.lines || got.start === store.start) return;
    if (got.start === 0) store.lines = []; // a new run
    store.start = got.start;
    store.lines = store.lines.concat(got.lines).slice(-1000);
  };
  model.on("change:node_details", pushed);
  model.on("change:log_lines", lines);
  pushed(); lines();
  return () => { model.off("change:node_details", pushed); model.off("change:log_lines", lines); };
}

/** anywidget entry point. */
// anywidget's entry point goes through the default export only (a named `render` export is
// deprecated there); the UI and the labextension reuse drawGraph/applyStates.
function render({ model, el: root }) {
  root.classList.add("pj-widget");
  const header = div("pj-header", root);
  const scroll = div("pj-scroll", root);
  const svg = el("svg", {}, scroll);
  const panel = div("pj-details", root);
  const runLog = div("pj-runlog-box", root);
  let since = Date.now();
  // every node's latest state: `states` (all nodes, sent now and then) with `changes` (the nodes
  // changed by the latest update) on top
  const merged = () => ({ ...(model.get("states") || {}), ...(model.get("changes") || {}) });
  let live = merged();
  const store = storeOf(model); // node details and log lines sent during the run (see keep)
  const pushed = store.pushed;
  const view = { level: "INFO", search: "", logOpen: false, refresh: () => { details(); logs(); },
    lines: () => store.lines };
  const unzoom = zoomButtons(header, scroll, svg, model);
  const draw = () => { unzoom(); drawGraph(svg, model.get("graph") || {}); applyStates(svg, live); mark(); };
  const mark = () => {
    const sel = (model.get("selected") || "").replace(/\[\d+\]$/, "");
    const reused = new Set(model.get("reused") || []);
    for (const [id, item] of svg[INDEX] || []) {
      item.g.classList.toggle("pj-selected", id === sel);
      item.g.classList.toggle("pj-reused", reused.has(id));
    }
  };
  const head = () => renderHeader(header, model.get("header") || {}, since);
  const details = () => {
    const sel = model.get("selected");
    renderDetails(panel, model, sel ? detailsOf(model, sel, live, pushed) : {}, view);
  };
  const logs = () => renderRunLog(runLog, store.lines, view);
  svg.addEventListener("click", (ev) => {
    const g = ev.target.closest(".pj-node");
    if (!g || g.dataset.kind === "constant") return;
    model.set("selected", g.dataset.id);
    model.save_changes();
    details(); // at once, from what the kernel sent: it may be busy running the flow
  });
  let queued = 0, pending = null; // one applyStates per animation frame, of what changed
  const applyLater = (changed) => {
    pending = Object.assign(pending || {}, changed);
    queued = queued || requestAnimationFrame(() => {
      const now = pending;
      queued = 0; pending = null;
      applyStates(svg, now);
    });
  };
  const onPushed = () => { // after keep()'s handler, registered first
    const got = model.get("node_details") || {};
    const sel = model.get("selected") || "";
    if (sel && got[sel.replace(/\[\d+\]$/, "")] && (model.get("details") || {}).id !== sel) details();
  };
  const onLines = logs;
  const on = {
    "change:graph": draw,
    "change:states": () => { live = merged(); applyLater(live); },
    "change:changes": () => {
      const changed = model.get("changes") || {};
      Object.assign(live, changed);
      applyLater(changed);
    },
    "change:header": () => { since = Date.now(); head(); },
    "change:selected": () => { mark(); details(); },
    "change:details": details,
    "change:node_details": onPushed,
    "change:log_lines": onLines,
    "change:reused": mark,
  };
  for (const [name, fn] of Object.entries(on)) model.on(name, fn);
  draw(); head(); details(); onLines();
  const timer = setInterval(() => { if ((model.get("header") || {}).running) head(); }, 500);
  return () => {
    clearInterval(timer);
    cancelAnimationFrame(queued);
    for (const [name, fn] of Object.entries(on)) model.off(name, fn);
  };
}

export default { initialize: ({ model }) => keep(model), render };
