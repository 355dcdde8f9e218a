// DOM helpers. Every piece of data reaches the page as a text node or an attribute value set
// with setAttribute/textContent — never through innerHTML — so user text (task names, log
// lines, parameters) is always shown as text.

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

/** Parse a server timestamp (ISO 8601; a missing zone means UTC) to epoch ms, or null. */
export function ms(ts) {
  if (!ts) return null;
  const s = /[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : `${ts}Z`;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export function fmtTime(ts) {
  const t = ms(ts);
  if (t == null) return "—";
  const d = new Date(t);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

export function fmtDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "3 min ago" / "in 5 s". */
export function fmtRelative(ts, now = Date.now()) {
  const t = ms(ts);
  if (t == null) return "—";
  const d = (t - now) / 1000;
  const text = fmtDuration(Math.abs(d)).replace(/\.\d s$/, " s");
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** Seconds between two timestamps (end defaults to now). */
export function duration(start, end) {
  const a = ms(start);
  if (a == null) return null;
  const b = end ? ms(end) : Date.now();
  return b == null ? null : Math.max(0, (b - a) / 1000);
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
