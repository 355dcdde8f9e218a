// A flow run's page: header with Cancel / Restart, the live schematic, the task-run table, a
// timeline, live logs, parameters and context.
//
// Live updates poll one small query each ~0.7 s: the run's own row, the task runs of the flow's
// tasks (map_index -1) updated since the last one seen, a probe for changed mapped children,
// the number of matching log lines, and the number and newest change of the run's artifacts.
// Only when something changed are the mapped children's counts, the current table page (at
// most every 3 s while only children change), the timeline, the log tail or the artifacts
// fetched again.

import { gql, restartFlowRun } from "./api.js";
import { ArtifactView } from "./artifacts.js";
import { badge, card, duration, fill, flowLink, fmtDuration, h, labels, link, ms, pretty,
  when } from "./dom.js";
import { LogView } from "./logs.js";
import { schematic } from "./schematic.js";
import { FAILED, isFinished, stateMap } from "./states.js";
import { TaskRunTable } from "./task_table.js";
import { renderTimeline } from "./timeline.js";

const POLL_MS = 700;
/** Overlap of "updated since" windows, so a write that committed late is still seen. */
const OVERLAP_MS = 3000;
const EPOCH = "1970-01-01T00:00:00+00:00";
/** While only mapped children change, the table's page is fetched again at most this often:
 * a page of a 100,000-child run costs the server several polls' worth. The schematic's counts
 * follow every poll; a change of a task (map_index -1) or of the run shows at once. */
const TABLE_EVERY_MS = 3000;

const RUN_FIELDS = `id name state state_message scheduled_start_time start_time end_time version
  updated labels parameters context flow_id`;
const TASK_RUN_FIELDS = `id task_id map_index state state_message start_time end_time updated version
  serialized_state`;

const FIRST_QUERY = `query Run($id: uuid!) {
  flow_run_by_pk(id: $id) {
    ${RUN_FIELDS}
    flow { id name version serialized_flow tasks { id name slug mapped } }
  }
}`;

const POLL_QUERY = `query RunPoll($id: uuid!, $since: timestamptz!, $childSince: timestamptz!,
    $logWhere: log_bool_exp!) {
  flow_run_by_pk(id: $id) { ${RUN_FIELDS} }
  parents: task_run(where: {flow_run_id: {_eq: $id}, map_index: {_eq: -1}, updated: {_gt: $since}}) {
    ${TASK_RUN_FIELDS}
  }
  child_newest: task_run(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0}, updated: {_gt: $childSince}},
    order_by: [{updated: desc}], limit: 1) { updated }
  child_window: task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0},
    updated: {_gt: $childSince}}) { aggregate { count } }
  log_count: log_aggregate(where: $logWhere) { aggregate { count } }
  artifact_count: task_run_artifact_aggregate(where: {flow_run_id: {_eq: $id}}) {
    aggregate { count } }
  artifact_newest: task_run_artifact(where: {flow_run_id: {_eq: $id}},
    order_by: [{updated: desc}], limit: 1) { updated }
}`;

export async function flowRunPage(root, [runId], ctx) {
  const { flow_run_by_pk: first } = await gql(FIRST_QUERY, { id: runId });
  if (!first) {
    fill(root, h("h1", {}, "Flow run not found"), h("p", {}, "No flow run has the id ",
      h("code", {}, runId), ". It may have been deleted. ", link("#/", "Back to the dashboard"), "."));
    return;
  }
  const flow = first.flow;
  const graph = (flow.serialized_flow || {}).graph;
  const tasks = new Map(flow.tasks.map((t) => [t.id, t]));
  const slugByTask = new Map(flow.tasks.map((t) => [t.id, t.slug]));
  const mappedKinds = new Set((graph?.nodes || []).filter((n) => n.kind === "mapped").map((n) => n.id));
  const isMapped = (taskId) => (tasks.get(taskId) || {}).mapped || mappedKinds.has(slugByTask.get(taskId));

  const view = {
    run: first,
    parents: new Map(), // task id → its task run (map_index -1)
    children: new Map(), // task id → mapped_children payload
    since: EPOCH,
    childSince: EPOCH,
    childSignature: null,
    tableStale: false, // children changed since the table's page was fetched
    tableAt: 0, // when it was last fetched (Date.now())
  };
  let poller = null;
  const head = h("div", { class: "run-head" });
  const drawing = schematic(graph);
  const taskTable = new TaskRunTable(runId, tasks);
  const timeline = h("div", { class: "timeline" });
  const logs = new LogView(runId);
  const artifacts = new ArtifactView(runId);
  const artifactCard = card("Artifacts", artifacts.el);
  artifactCard.hidden = true; // shown once the run has any
  const params = h("pre", { class: "json" });
  const context = h("pre", { class: "json" });
  fill(root, head,
    card("Schematic", drawing.el),
    card("Task runs", taskTable.el),
    card("Timeline", timeline),
    card("Logs", logs.el),
    artifactCard,
    h("div", { class: "grid2" }, card("Parameters", params), card("Context", context)));

  let actions = null;
  const renderHead = (stateChanged) => {
    if (stateChanged || !actions) actions = runActions(view.run, ctx, () => poller?.now());
    fill(head, runHeader(view.run, flow, actions));
  };
  const renderTimelineNow = () => renderTimeline(timeline, [...view.parents.values()].map((tr) => {
    const t = tasks.get(tr.task_id) || {};
    const kids = view.children.get(tr.task_id);
    const start = kids && kids.min_start_time ? kids.min_start_time : tr.start_time;
    const end = kids && kids.max_end_time && isFinished(tr.state) ? kids.max_end_time : tr.end_time;
    return { name: t.name || t.slug || "?", state: tr.state, start, end };
  }), view.run.start_time, view.run.end_time);

  const refresh = async (initial = false) => {
    const data = await gql(POLL_QUERY, { id: runId, since: view.since, childSince: view.childSince,
      logWhere: logs.where() });
    const run = data.flow_run_by_pk;
    if (!run) throw new Error("This flow run was deleted.");
    const runChanged = run.version !== view.run.version || run.state !== view.run.state;
    view.run = { ...view.run, ...run };
    let changedParents = false;
    let newest = ms(view.since);
    for (const tr of data.parents) {
      const known = view.parents.get(tr.task_id);
      if (!known || known.version !== tr.version || known.updated !== tr.updated) changedParents = true;
      view.parents.set(tr.task_id, tr);
      newest = Math.max(newest, ms(tr.updated) - OVERLAP_MS);
    }
    view.since = new Date(newest).toISOString();
    const signature = `${(data.child_newest[0] || {}).updated}|${data.child_window.aggregate.count}`;
    const childActivity = signature !== view.childSignature;
    view.childSignature = signature;
    if (data.child_newest.length) {
      view.childSince = new Date(ms(data.child_newest[0].updated) - OVERLAP_MS).toISOString();
    }
    const work = [];
    if (childActivity || changedParents) work.push(loadChildCounts(view, isMapped));
    if (!initial && (childActivity || changedParents || runChanged)) view.tableStale = true;
    if (view.tableStale && (changedParents || runChanged || Date.now() - view.tableAt >= TABLE_EVERY_MS)) {
      view.tableStale = false;
      view.tableAt = Date.now();
      work.push(taskTable.refresh());
    }
    work.push(logs.update(data.log_count.aggregate.count));
    work.push(artifacts.update(data).then((any) => { artifactCard.hidden = !any; }));
    await Promise.all(work);
    if (runChanged) renderHead(true);
    if (childActivity || changedParents) {
      drawing.update(stateMap(graph || {}, slugByTask, view.parents, view.children));
    }
    if (childActivity || changedParents || !isFinished(view.run.state)) renderTimelineNow();
  };
  params.textContent = pretty(first.parameters || {});
  context.textContent = pretty(first.context || {});
  logs.changed = () => poller?.now();
  renderHead(true);
  // the table's first page needs no poll: it is fetched beside the first one, not after it
  view.tableAt = Date.now();
  await Promise.all([taskTable.show(), refresh(true)]);
  poller = ctx.poll(refresh, POLL_MS);
  // the header's elapsed time and the open timeline bars move while the run goes on
  const clock = setInterval(() => { if (!isFinished(view.run.state)) renderHead(false); }, 1000);
  ctx.onLeave(() => clearInterval(clock));
}

/** Fetch the children's state counts of every mapped task run (one request, aliased fields). */
async function loadChildCounts(view, isMapped) {
  const mapped = [...view.parents.values()].filter((tr) => isMapped(tr.task_id));
  if (!mapped.length) return;
  const params = mapped.map((_, i) => `$t${i}: UUID!`).join(", ");
  const fields = mapped.map((_, i) =>
    `m${i}: mapped_children(task_run_id: $t${i}) { min_start_time max_end_time state_counts }`);
  const data = await gql(`query MappedChildren(${params}) { ${fields.join("\n")} }`,
    Object.fromEntries(mapped.map((tr, i) => [`t${i}`, tr.id])));
  mapped.forEach((tr, i) => view.children.set(tr.task_id, data[`m${i}`] || {}));
}

/** The run's actions: Cancel while it is not finished, Restart from failure when the server
 * has a restart_flow_run mutation and the run failed or was cancelled. */
function runActions(run, ctx, changed) {
  const error = h("span", { class: "form-error", role: "alert" });
  const actions = h("div", { class: "actions" });
  const act = (label, action, cls, fn) => {
    const b = h("button", { type: "button", class: cls, "data-action": action,
      onclick: async () => {
        b.disabled = true;
        error.textContent = "";
        try {
          await fn();
          changed();
        } catch (e) {
          error.textContent = e.message;
          b.disabled = false;
        }
      } }, label);
    actions.append(b);
  };
  if (!isFinished(run.state) && run.state !== "Cancelling") {
    act("Cancel", "cancel", "danger", () => gql(
      `mutation ($id: UUID!) { cancel_flow_run(input: {flow_run_id: $id}) { state } }`, { id: run.id }));
  }
  if (ctx.caps.restart && (FAILED.has(run.state) || run.state === "Cancelled")) {
    act("Restart from failure", "restart", "primary", () => restartFlowRun(ctx.caps, run.id));
  }
  actions.append(error);
  return actions;
}

function runHeader(run, flow, actions) {
  const dur = duration(run.start_time, run.end_time);
  return [
    h("div", { class: "page-head" },
      h("h1", {}, run.name || run.id),
      badge(run.state, "big"),
      h("span", { class: "spacer" }), actions),
    h("p", { class: "subtitle" }, "Flow ", flowLink(flow), ` v${flow.version}`,
      " · scheduled ", when(run.scheduled_start_time),
      run.start_time ? [" · started ", when(run.start_time)] : null,
      run.end_time ? [" · ended ", when(run.end_time)] : null,
      dur != null ? ` · ${isFinished(run.state) ? "took" : "running for"} ${fmtDuration(dur)}` : null,
      " · labels ", labels(run.labels)),
    run.state_message ? h("p", { class: "state-message", dataset: { state: run.state || "None" } },
      run.state_message) : null,
  ];
}
