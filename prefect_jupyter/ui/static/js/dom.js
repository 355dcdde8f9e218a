// DOM helpers. Every piece of data reaches the page as a text node or an attribute value set
// with setAttribute/textContent — never through innerHTML — so user text (task names, log
// lines, parameters) is always shown as text.

import { fmtRelative, fmtTime } from "./format.js";

// times and durations: one module, shared with the JupyterLab extension
export { duration, fmtDuration, fmtRelative, fmtTime, ms } from "./format.js";

/** Create an element. `props`: class, dataset, title, on<Event> handlers, other attributes.
 * Children: nodes, strings (become text nodes), null/false (skipped) or arrays of those. */
export function h(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "value") e.value = v;
    else if (k === "checked" || k === "disabled" || k === "selected") e[k] = Boolean(v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A state badge; its colour comes from flow_widget.css via data-state. */
export function badge(state, extra) {
  return h("span", { class: `pj-badge pj-state${extra ? ` ${extra}` : ""}`,
    dataset: { state: state || "None" } }, state || "not run");
}

export const link = (href, text, cls) => h("a", { href, class: cls }, text);
export const runLink = (run) => link(`#/flow-run/${run.id}`, run.name || run.id.slice(0, 8));
export const flowLink = (flow) => (flow ? link(`#/flow/${flow.id}`, flow.name) : "—");

/** A card: a titled section of a page. */
export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...children);
}

/** A table. columns: [{title, cell: row => node|string, class?, sort?}]; `empty` shows when
 * there are no rows. Header cells with `sort` call onSort(sortKey) when clicked. */
export function table(columns, rows, { empty = "Nothing here yet.", sort, onSort, rowAttrs } = {}) {
  const head = h("tr", {}, columns.map((c) => {
    const th = h("th", { class: c.class, scope: "col" }, c.title);
    if (c.sort && onSort) {
      th.classList.add("sortable");
      if (sort && sort.key === c.sort) th.dataset.sorted = sort.dir;
      th.tabIndex = 0;
      th.addEventListener("click", () => onSort(c.sort));
      th.addEventListener("keydown", (ev) => { if (ev.key === "Enter") onSort(c.sort); });
    }
    return th;
  }));
  const body = h("tbody", {});
  for (const row of rows) {
    body.append(h("tr", rowAttrs ? rowAttrs(row) : {},
      columns.map((c) => h("td", { class: c.class }, c.cell(row)))));
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { class: "empty", colspan: columns.length }, empty)));
  return h("table", { class: "data" }, h("thead", {}, head), body);
}

/** Replace `parent`'s children with `children`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

/** A time element showing a relative time, with the exact time as its tooltip. */
export function when(ts) {
  return h("time", { datetime: ts || "", title: ts ? fmtTime(ts) : null }, fmtRelative(ts));
}

export function labels(list) {
  if (!list || !list.length) return h("span", { class: "muted" }, "—");
  return h("span", { class: "labels" }, list.map((l) => h("span", { class: "label" }, l)));
}

/** JSON for display in a <pre> (as text). */
export function pretty(value) {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

export const plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;

/** Debounce `fn` by `wait` ms. */
export function debounce(fn, wait) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), wait);
  };
}
