// The sidebar: the API server's flows (each with a quick-run form) and its most recent runs,
// refreshed every second while the panel is visible.
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { ApiError, status } from './api';
import { badge, h, setBadge, setText } from './dom';
import { fmtRelative } from './format';
import { VisiblePoll } from './poll';
import { IFlow, IFlowRunRow, sidebarData } from './queries';
import { runForm } from './runform';

export type OpenRun = (id: string, title: string) => void;

interface IRow {
  li: HTMLLIElement;
  update: (item: any) => void;
}

/** Keep `list`'s rows in the order of `items`, creating/updating/removing rows by id. */
function syncList<T extends { id: string }>(
  list: HTMLElement,
  rows: Map<string, IRow>,
  items: T[],
  create: (item: T) => IRow
): void {
  const seen = new Set<string>();
  let before: ChildNode | null = list.firstChild;
  for (const item of items) {
    seen.add(item.id);
    let row = rows.get(item.id);
    if (!row) {
      row = create(item);
      rows.set(item.id, row);
    }
    row.update(item);
    if (row.li !== before) {
      list.insertBefore(row.li, before);
    } else {
      before = before.nextSibling;
    }
  }
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.li.remove();
      rows.delete(id);
    }
  }
}

export class PrefectSidebar extends Widget {
  private readonly statusLine: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly flowList: HTMLUListElement;
  private readonly runList: HTMLUListElement;
  private readonly flowRows = new Map<string, IRow>();
  private readonly runRows = new Map<string, IRow>();
  private readonly poll: VisiblePoll;
  private serverUrl = '';
  private now = Date.now();

  constructor(private readonly openRun: OpenRun) {
    super();
    this.id = 'prefect-jupyter-sidebar';
    this.addClass('pj-widget');
    this.addClass('pj-lab-sidebar');
    const top = h('div', 'pj-lab-top', this.node);
    h('div', 'pj-lab-title', top, 'Prefect Jupyter');
    const refresh = h('button', 'pj-lab-refresh', top, '⟳');
    refresh.title = 'Refresh now';
    refresh.addEventListener('click', () => this.poll.refresh());
    this.statusLine = h('div', 'pj-lab-status', this.node);
    this.errorBox = h('div', 'pj-lab-error', this.node);
    this.errorBox.hidden = true;
    h('div', 'pj-lab-heading', this.node, 'Flows');
    this.flowList = h('ul', 'pj-lab-flows', this.node);
    h('div', 'pj-lab-heading', this.node, 'Recent runs');
    this.runList = h('ul', 'pj-lab-runs', this.node);
    this.poll = new VisiblePoll(this, () => this.tick());
  }

  /** Refresh now (e.g. after a run was created elsewhere). */
  refresh(): void {
    this.poll.refresh();
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
      if (!this.serverUrl) {
        const s = await status();
        this.serverUrl = s.server_url;
      }
      const data = await sidebarData();
      this.now = Date.now();
      this.showError(null);
      setText(this.statusLine, `Server: ${this.serverUrl}`);
      syncList(this.flowList, this.flowRows, data.flow, f => this.flowRow(f));
      syncList(this.runList, this.runRows, data.flow_run, r => this.runRow(r));
      this.node.dataset.loaded = 'true';
    } catch (err) {
      this.showError(err instanceof ApiError ? err.message : String(err));
    }
  }

  private showError(message: string | null): void {
    this.errorBox.hidden = message === null;
    this.node.dataset.error = message === null ? 'false' : 'true';
    if (message !== null) {
      setText(this.errorBox, message);
      setText(this.statusLine, '');
    }
  }

  private flowRow(flow: IFlow): IRow {
    const li = h('li', 'pj-lab-flow');
    li.dataset.id = flow.id;
    const line = h('div', 'pj-lab-flow-line', li);
    const name = h('span', 'pj-lab-flow-name', line);
    const version = h('span', 'pj-lab-flow-version', line);
    const project = h('span', 'pj-lab-flow-project', line);
    const run = h('button', 'pj-lab-quickrun', line, 'Run…');
    run.title = 'Start a run with parameters';
    let form: HTMLFormElement | null = null;
    let current = flow;
    run.addEventListener('click', () => {
      if (form) {
        form.remove();
        form = null;
        return;
      }
      form = runForm(current, (id, title) => {
        this.poll.refresh();
        this.openRun(id, title);
      });
      li.appendChild(form);
      (form.querySelector('input') as HTMLInputElement | null)?.focus();
    });
    return {
      li,
      update: (f: IFlow) => {
        current = f;
        setText(name, f.name);
        setText(version, `v${f.version}`);
        setText(project, f.project?.name ?? '');
      }
    };
  }

  private runRow(run: IFlowRunRow): IRow {
    const li = h('li', 'pj-lab-run');
    li.dataset.id = run.id;
    li.tabIndex = 0;
    const b = badge(li, run.state);
    const text = h('span', 'pj-lab-run-text', li);
    const name = h('span', 'pj-lab-run-name', text);
    const flow = h('span', 'pj-lab-run-flow', text);
    const when = h('span', 'pj-lab-run-when', li);
    let title = '';
    const open = () => this.openRun(run.id, title);
    li.addEventListener('click', open);
    li.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        open();
      }
    });
    return {
      li,
      update: (r: IFlowRunRow) => {
        setBadge(b, r.state);
        li.dataset.state = r.state || 'None';
        title = `${r.flow?.name ?? 'flow'} · ${r.name ?? r.id.slice(0, 8)}`;
        setText(name, r.name ?? r.id.slice(0, 8));
        setText(flow, r.flow?.name ?? '');
        setText(when, fmtRelative(r.start_time ?? r.created, this.now));
        li.title = r.state_message ?? '';
      }
    };
  }
}
