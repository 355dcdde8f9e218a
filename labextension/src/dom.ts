// Tiny DOM helpers: every piece of text goes in through textContent, never as markup.

/** A new element with class `cls` and text `text`, appended to `parent` when given. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string | null,
  parent?: HTMLElement | null,
  text?: string | null
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) {
    e.className = cls;
  }
  if (text !== undefined && text !== null) {
    e.textContent = text;
  }
  if (parent) {
    parent.appendChild(e);
  }
  return e;
}

/** A state badge: its colour comes from flow_widget.css through data-state. */
export function badge(parent: HTMLElement | null, state: string | null): HTMLElement {
  const b = h('span', 'pj-badge', parent, state || 'not run');
  b.dataset.state = state || 'None';
  return b;
}

/** Set a badge's state, touching the DOM only when it changed. */
export function setBadge(b: HTMLElement, state: string | null): void {
  const key = state || 'None';
  if (b.dataset.state !== key) {
    b.dataset.state = key;
    b.textContent = state || 'not run';
  }
}

/** Set textContent only when it changed (keeps selections and avoids reflows). */
export function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) {
    e.textContent = text;
  }
}

/** "3 s ago", "5 min ago", or the local date for older times. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) {
    return '';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) {
    return `${s} s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  return new Date(t).toLocaleString();
}

/** Seconds between two ISO times (or until now), as "4.2 s" / "3 min 5 s". */
export function duration(start: string | null, end: string | null): string {
  if (!start) {
    return '';
  }
  const s = ((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000;
  if (Number.isNaN(s)) {
    return '';
  }
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
