// Types for poll.js: the polling loop shared by the web UI and the labextension.

export type PollStatus = 'live' | 'paused' | 'error';

/** Subscribe to the live status; returns the unsubscribe function. */
export function onStatus(fn: (status: PollStatus, error?: unknown) => void): () => boolean;

export interface IPollerOptions {
  /** whether the view is shown (default: the browser tab is) */
  visible?: () => boolean;
  /** pause and resume with the tab's visibility (default: true) */
  watchDocument?: boolean;
}

export class Poller {
  constructor(fn: () => Promise<void>, interval?: number, options?: IPollerOptions);
  /** Poll now (if visible) and keep polling while visible. */
  start(): this;
  /** Stop after the call in flight, if any. */
  stop(): void;
  /** Poll right away if started and visible; coalesces with a call in flight. */
  now(): void;
  /** Poll once right away, even when stopped or hidden. */
  once(): void;
}
