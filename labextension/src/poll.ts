// Short polling that runs only while its widget is visible: one request at a time, the next one
// `interval` ms after the previous one finished.
import { Widget } from '@lumino/widgets';

export class VisiblePoll {
  private timer: number | null = null;
  private running = false;
  private stopped = false;

  constructor(
    private readonly widget: Widget,
    private readonly tick: () => Promise<void>,
    readonly interval = 700
  ) {}

  /** Poll now (if visible) and keep polling while the widget is visible. */
  start(): void {
    this.stopped = false;
    if (this.timer === null && !this.running) {
      void this.run();
    }
  }

  /** Stop after the request in flight, if any. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Poll once now, whatever the visibility (e.g. after the user created a run). */
  refresh(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.running) {
      void this.run();
    }
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (this.widget.isDisposed) {
      return;
    }
    this.running = true;
    try {
      await this.tick();
    } finally {
      this.running = false;
    }
    if (!this.stopped && !this.widget.isDisposed && this.widget.isVisible) {
      this.timer = window.setTimeout(() => void this.run(), this.interval);
    }
  }
}
