// Short polling for live views: one request in flight at a time, the next one `interval` ms after
// the previous one settled, and none while the view is hidden. The web UI polls while its tab
// is shown (resuming with an immediate refresh); the JupyterLab extension bundles this module and
// polls while its panel is visible.

const listeners = new Set();

/** Subscribe to the live status: fn("live" | "paused" | "error", error?). */
export function onStatus(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function report(status, error) {
  for (const fn of listeners) fn(status, error);
}

const documentShown = () => !document.hidden;

export class Poller {
  /** Call `fn` now and then every `interval` ms after each call settles, while `visible()`.
   * @param options.visible whether the view is shown (default: the browser tab is)
   * @param options.watchDocument pause and resume with the tab's visibility (default: true) */
  constructor(fn, interval = 800, { visible = documentShown, watchDocument = true } = {}) {
    this.fn = fn;
    this.interval = interval;
    this.visible = visible;
    this.watchDocument = watchDocument;
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
    if (this.watchDocument) document.addEventListener("visibilitychange", this.onVisibility);
    this.now();
    return this;
  }

  /** Stop after the call in flight, if any. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.watchDocument) document.removeEventListener("visibilitychange", this.onVisibility);
  }

  /** Poll right away (e.g. after the user changed something); coalesces with a call in flight. */
  now() {
    if (this.stopped || !this.visible()) return;
    this.once();
  }

  /** Poll once right away, even when stopped or hidden (e.g. a view's first load or a refresh
   * button); polling goes on afterwards only when started and visible. */
  once() {
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
      report(this.visible() ? "live" : "paused");
    } catch (e) {
      this.failures += 1;
      report("error", e);
      console.warn("poll failed:", e.message);
    } finally {
      this.running = false;
    }
    if (this.stopped || !this.visible()) {
      this.again = false;
      return;
    }
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
