// The flow run's task-run table: sortable, filterable by state and task name, paged on the
// server (limit/offset), so a run with 100,000 mapped children stays fast.

import { gql } from "./api.js";
import { badge, debounce, duration, fill, fmtDuration, fmtTime, h, plural, table } from "./dom.js";
import { ALL_STATES } from "./states.js";

export const PAGE_SIZE = 25;

const QUERY = `query TaskRuns($where: task_run_bool_exp!, $order: [task_run_order_by!],
    $limit: Int!, $offset: Int!) {
  task_run(where: $where, order_by: $order, limit: $limit, offset: $offset) {
    id task_id map_index name state state_message start_time end_time
  }
  task_run_aggregate(where: $where) { aggregate { count } }
}`;

const SORTS = {
  task: (dir) => [{ task: { name: dir } }, { map_index: "asc" }],
  map_index: (dir) => [{ map_index: dir }],
  // descending is the ascending order reversed, which an index of the server serves both ways
  state: (dir) => [{ state: dir }, { map_index: dir }],
  start_time: (dir) => [{ start_time: `${dir}_nulls_last` }, { map_index: "asc" }],
  end_time: (dir) => [{ end_time: `${dir}_nulls_last` }, { map_index: "asc" }],
};

export class TaskRunTable {
  /** @param runId the flow run's id
   * @param tasks task id → {id, name, slug} of the run's flow */
  constructor(runId, tasks) {
    this.runId = runId;
    this.tasks = tasks;
    this.page = 0;
    this.count = 0;
    this.sort = { key: "task", dir: "asc" };
    this.seq = 0;
    this.stateSelect = h("select", { "aria-label": "Filter by state", name: "state",
      onchange: () => this.reset() },
      h("option", { value: "" }, "All states"), ALL_STATES.map((s) => h("option", { value: s }, s)));
    this.kindSelect = h("select", { "aria-label": "Which task runs", name: "kind",
      onchange: () => this.reset() },
      h("option", { value: "" }, "Tasks and mapped children"),
      h("option", { value: "tasks" }, "Tasks only"),
      h("option", { value: "children" }, "Mapped children only"));
    this.nameInput = h("input", { type: "search", name: "task-name", placeholder: "Task name…",
      "aria-label": "Filter by task name" });
    this.nameInput.addEventListener("input", debounce(() => this.reset(), 250));
    this.body = h("div", { class: "table-wrap" });
    this.pager = h("div", { class: "pager" });
    this.error = h("div", { class: "form-error", role: "alert" });
    this.el = h("div", { class: "task-runs" },
      h("div", { class: "filters" }, this.nameInput, this.stateSelect, this.kindSelect),
      this.error, this.body, this.pager);
  }

  /** Back to the first page (after a filter or the sort changed); errors show in the table. */
  reset() {
    this.page = 0;
    return this.show();
  }

  show() {
    return this.refresh().then(() => { this.error.textContent = ""; },
      (e) => { this.error.textContent = `Could not load the task runs: ${e.message}`; });
  }

  where() {
    const where = { flow_run_id: { _eq: this.runId } };
    if (this.stateSelect.value) where.state = { _eq: this.stateSelect.value };
    if (this.kindSelect.value === "tasks") where.map_index = { _eq: -1 };
    if (this.kindSelect.value === "children") where.map_index = { _gte: 0 };
    const name = this.nameInput.value.trim();
    if (name) {
      const ids = [...this.tasks.values()].filter((t) => (t.name || "").toLowerCase().includes(name.toLowerCase()))
        .map((t) => t.id);
      where.task_id = { _in: ids };
    }
    return where;
  }

  /** Fetch the current page again (after changes, or when the user changed a filter). */
  async refresh() {
    const seq = ++this.seq;
    const data = await gql(QUERY, { where: this.where(), order: SORTS[this.sort.key](this.sort.dir),
      limit: PAGE_SIZE, offset: this.page * PAGE_SIZE });
    if (seq !== this.seq) return; // a newer request is on its way
    this.count = data.task_run_aggregate.aggregate.count;
    const pages = Math.max(1, Math.ceil(this.count / PAGE_SIZE));
    if (this.page >= pages) {
      this.page = pages - 1;
      return this.refresh();
    }
    this.render(data.task_run, pages);
  }

  render(rows, pages) {
    const name = (r) => (this.tasks.get(r.task_id) || {}).name || r.name || "?";
    fill(this.body, table([
      { title: "Task", sort: "task", cell: (r) => h("span", { class: "task-name" }, name(r)) },
      { title: "Map index", sort: "map_index", class: "num", cell: (r) => (r.map_index < 0 ? "—" : String(r.map_index)) },
      { title: "State", sort: "state", cell: (r) => badge(r.state) },
      { title: "Started", sort: "start_time", cell: (r) => fmtTime(r.start_time) },
      { title: "Ended", sort: "end_time", cell: (r) => fmtTime(r.end_time) },
      { title: "Duration", class: "num", cell: (r) => (r.start_time ? fmtDuration(duration(r.start_time, r.end_time)) : "—") },
      { title: "Message", cell: (r) => h("span", { class: "message" }, r.state_message || "") },
    ], rows, {
      empty: "No task run matches.",
      sort: this.sort,
      onSort: (key) => {
        this.sort = { key, dir: this.sort.key === key && this.sort.dir === "asc" ? "desc" : "asc" };
        this.reset();
      },
      rowAttrs: (r) => ({ dataset: { taskRunId: r.id, mapIndex: String(r.map_index) } }),
    }));
    const go = (page) => () => { this.page = page; this.show(); };
    const first = this.page * PAGE_SIZE + 1;
    const last = Math.min(this.count, (this.page + 1) * PAGE_SIZE);
    fill(this.pager,
      h("span", { class: "pager-info" }, this.count ? `${first.toLocaleString()}–${last.toLocaleString()} of ${plural(this.count, "task run")}` : "0 task runs"),
      h("span", { class: "spacer" }),
      h("button", { type: "button", "data-page": "first", disabled: this.page === 0, onclick: go(0) }, "« First"),
      h("button", { type: "button", "data-page": "prev", disabled: this.page === 0, onclick: go(this.page - 1) }, "‹ Prev"),
      h("span", { class: "pager-page" }, `Page ${(this.page + 1).toLocaleString()} of ${pages.toLocaleString()}`),
      h("button", { type: "button", "data-page": "next", disabled: this.page >= pages - 1, onclick: go(this.page + 1) }, "Next ›"),
      h("button", { type: "button", "data-page": "last", disabled: this.page >= pages - 1, onclick: go(pages - 1) }, "Last »"));
  }
}
