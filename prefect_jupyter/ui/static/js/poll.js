// Short polling for live pages: one request in flight at a time, paused while the tab is hidden,
// resumed (with an immediate refresh) when it shows again.

const listeners = new Set();

/** Subscribe to the live status: fn("live" | "paused" | "error", error?). */
export function onStatus(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function report(status, error) {
  for (const fn of listeners) fn(status, error);
}

export class Poller {
  /** Call `fn` now and then every `interval` ms after each call settles. */
  constructor(fn, interval = 800) {
    this.fn = fn;
    this.interval = interval;
    this.timer = null;
    this.running = false;
    this.stopped = true;
    this.again = false;
    this.failures = 0;
    this.onVisibility = () => {
      if (document.hidden) {
        clearTimeout(this.timer);
        report("paused");
      } else {
        this.now();
      }
    };
  }

  start() {
    this.stopped = false;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.now();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  /** Poll right away (e.g. after the user changed something); coalesces with a call in flight. */
  now() {
    if (this.stopped || document.hidden) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.tick();
  }

  async tick() {
    this.running = true;
    try {
      await this.fn();
      this.failures = 0;
      report(document.hidden ? "paused" : "live");
    } catch (e) {
      this.failures += 1;
      report("error", e);
      console.warn("poll failed:", e.message);
    } finally {
      this.running = false;
    }
    if (this.stopped || document.hidden) return;
    if (this.again) {
      this.again = false;
      this.tick();
      return;
    }
    // back off while the server is unreachable, up to 10 s
    const wait = this.failures ? Math.min(10000, this.interval * 2 ** this.failures) : this.interval;
    this.timer = setTimeout(() => this.tick(), wait);
  }
}
