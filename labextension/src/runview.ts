// A flow run in the main area: header, the live schematic (the shared DAG drawing), task-run
// messages and logs, refreshed every second while visible and the run is not finished.
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { ApiError } from './api';
import { badge, h, setBadge, setText } from './dom';
import { applyStates, drawGraph, GraphModel } from './flow_widget';
import { duration, fmtDuration } from './format';
import { VisiblePoll } from './poll';
import { ILog, IRunData, mappedCounts, nodeStates, runData, runGraph } from './queries';
import { isFinished } from './states';

const SVG_NS = 'http://www.w3.org/2000/svg';

export class RunView extends Widget {
  private readonly stateBadge: HTMLElement;
  private readonly flowName: HTMLElement;
  private readonly runName: HTMLElement;
  private readonly times: HTMLElement;
  private readonly message: HTMLElement;
  private readonly params: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly graphBox: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly logs: HTMLElement;
  private readonly poll: VisiblePoll;
  private graph: GraphModel | null | undefined = undefined;
  private readonly seenLogs = new Set<string>();
  private logsSince: string | null = null;
  private finishedTicks = 0;

  constructor(readonly runId: string) {
    super();
    this.addClass('pj-widget');
    this.addClass('pj-lab-runview');
    this.node.dataset.runId = runId;
    const head = h('div', 'pj-header', this.node);
    this.stateBadge = badge(head, null);
    this.flowName = h('span', 'pj-flow', head);
    this.runName = h('span', 'pj-lab-runview-name', head);
    this.times = h('span', 'pj-elapsed', head);
    const refresh = h('button', 'pj-lab-refresh', head, '⟳');
    refresh.title = 'Refresh now';
    refresh.addEventListener('click', () => {
      this.finishedTicks = 0;
      this.poll.refresh();
    });
    this.message = h('div', 'pj-lab-message', this.node);
    this.params = h('div', 'pj-lab-params', this.node);
    this.errorBox = h('div', 'pj-lab-error', this.node);
    this.errorBox.hidden = true;
    this.graphBox = h('div', 'pj-scroll pj-lab-graph', this.node);
    this.svg = document.createElementNS(SVG_NS, 'svg');
    this.graphBox.appendChild(this.svg);
    h('div', 'pj-section-title', this.node, 'Logs');
    this.logs = h('div', 'pj-lab-logs', this.node);
    this.poll = new VisiblePoll(this, () => this.tick());
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.poll.start();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.poll.start();
    }
  }

  protected onBeforeHide(msg: Message): void {
    super.onBeforeHide(msg);
    this.poll.stop();
  }

  protected onBeforeDetach(msg: Message): void {
    this.poll.stop();
    super.onBeforeDetach(msg);
  }

  private async tick(): Promise<void> {
    try {
      if (this.graph === undefined) {
        this.graph = await runGraph(this.runId);
        this.drawGraph();
      }
      const data = await runData(this.runId, this.logsSince);
      const mapped = (this.graph?.nodes || []).filter(n => n.kind === 'mapped').map(n => n.id);
      const parents = data.taskRuns.filter(t => t.task && mapped.includes(t.task.slug));
      const counts = await mappedCounts(parents.map(t => t.id));
      this.showError(null);
      this.render(data);
      applyStates(this.svg, nodeStates(this.graph, data.taskRuns, counts));
      this.node.dataset.loaded = 'true';
      const done = isFinished(data.run?.state);
      this.finishedTicks = done ? this.finishedTicks + 1 : 0;
      if (this.finishedTicks >= 2) {
        this.poll.stop(); // finished: one more tick for trailing logs, then quiet
      }
    } catch (err) {
      this.showError(err instanceof ApiError ? err.message : String(err));
    }
  }

  private drawGraph(): void {
    if (!this.graph) {
      this.graphBox.replaceChildren(
        h('div', 'pj-lab-note', null, 'This flow was registered without a graph model.')
      );
      return;
    }
    drawGraph(this.svg, this.graph);
  }

  private render(data: IRunData): void {
    const run = data.run;
    if (!run) {
      this.showError(`Flow run ${this.runId} not found: it may have been deleted.`);
      return;
    }
    setBadge(this.stateBadge, run.state);
    this.node.dataset.state = run.state || 'None';
    setText(this.flowName, run.flow ? `${run.flow.name} v${run.flow.version}` : '');
    setText(this.runName, run.name ?? run.id);
    const started = run.start_time ? `started ${new Date(run.start_time).toLocaleString()}` : '';
    const seconds = duration(run.start_time, run.end_time);
    const took = seconds === null ? '' : fmtDuration(seconds);
    setText(this.times, [started, took].filter(Boolean).join(' · '));
    setText(this.message, run.state_message ?? '');
    const params = Object.entries(run.parameters ?? {});
    setText(
      this.params,
      params.length
        ? `Parameters: ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`
        : ''
    );
    this.title.label = `${run.flow?.name ?? 'Flow'} · ${run.name ?? run.id.slice(0, 8)}`;
    this.appendLogs(data.logs);
  }

  private appendLogs(logs: ILog[]): void {
    const atBottom =
      this.logs.scrollTop + this.logs.clientHeight >= this.logs.scrollHeight - 4;
    for (const log of logs) {
      if (this.seenLogs.has(log.id)) {
        continue;
      }
      this.seenLogs.add(log.id);
      const line = h('div', 'pj-lab-log', this.logs);
      line.dataset.level = log.level;
      const time = new Date(log.timestamp).toLocaleTimeString();
      line.textContent = `${time} ${log.level} ${log.name ?? ''} | ${log.message}`;
      this.logsSince = log.timestamp;
    }
    if (atBottom) {
      this.logs.scrollTop = this.logs.scrollHeight;
    }
  }

  private showError(message: string | null): void {
    this.errorBox.hidden = message === null;
    this.node.dataset.error = message === null ? 'false' : 'true';
    if (message !== null) {
      setText(this.errorBox, message);
    }
  }
}
