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
