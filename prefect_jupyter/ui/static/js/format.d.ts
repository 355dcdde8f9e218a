// Types for format.js: times and durations shared by the web UI and the labextension.

/** A server timestamp (ISO 8601; a missing zone means UTC) as epoch ms, or null. */
export function ms(ts: string | null | undefined): number | null;
/** A server timestamp as local time (the date too unless it is today), or "—". */
export function fmtTime(ts: string | null | undefined): string;
/** Seconds as "250 ms", "4.2 s", "3 min 5 s" or "2 h 5 min" ("—" for none). */
export function fmtDuration(seconds: number | null | undefined): string;
/** "3 min 5 s ago" / "in 5 s" ("—" for none). */
export function fmtRelative(ts: string | null | undefined, now?: number): string;
/** Seconds between two timestamps (end defaults to now), or null. */
export function duration(start: string | null | undefined, end?: string | null): number | null;
/** Local time of day as a 24-hour clock ("22:13:20"), e.g. for log lines. */
export const CLOCK: Intl.DateTimeFormat;
