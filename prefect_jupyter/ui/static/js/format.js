// Times and durations as the web UI and the JupyterLab extension show them (the Lab bundles
// this file from here, so both say "3 min 5 s ago" alike). Plain functions, no DOM.

/** Parse a server timestamp (ISO 8601; a missing zone means UTC) to epoch ms, or null. */
export function ms(ts) {
  if (!ts) return null;
  const s = /[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : `${ts}Z`;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

// What toLocaleTimeString() and toLocaleString() print, made once: each of those calls sets up
// a new formatter (~0.2 ms), which a page of rows or 500 log lines pays hundreds of times.
const TIME = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "numeric", second: "numeric" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "numeric",
  day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
/** Local time of day as a 24-hour clock ("22:13:20"), e.g. for log lines. */
export const CLOCK = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "numeric",
  second: "numeric", hour12: false });

/** A server timestamp as local time (the date too unless it is today), or "—". */
export function fmtTime(ts) {
  const t = ms(ts);
  if (t == null) return "—";
  const d = new Date(t);
  const today = new Date().toDateString() === d.toDateString();
  return today ? TIME.format(d) : DATE_TIME.format(d);
}

/** Seconds as "250 ms", "4.2 s", "3 min 5 s" or "2 h 5 min" ("—" for none). */
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
