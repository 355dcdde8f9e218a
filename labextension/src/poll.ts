// Short polling that runs only while its widget is visible: the web UI's Poller
// (prefect_jupyter/ui/static/js/poll.js, bundled from its one source file) with the widget's
// visibility in place of the browser tab's.
import { Widget } from '@lumino/widgets';
import { Poller } from '../../prefect_jupyter/ui/static/js/poll.js';

export class VisiblePoll {
  private readonly poller: Poller;

  constructor(widget: Widget, tick: () => Promise<void>, readonly interval = 700) {
    this.poller = new Poller(tick, interval, {
      visible: () => !widget.isDisposed && widget.isVisible,
      watchDocument: false
    });
  }

  /** Poll now (if visible) and keep polling while the widget is visible. */
  start(): void {
    this.poller.start();
  }

  /** Stop after the request in flight, if any. */
  stop(): void {
    this.poller.stop();
  }

  /** Poll once now, whatever the visibility (e.g. after the user created a run). */
  refresh(): void {
    this.poller.once();
  }
}
