// Dashboard: runs in progress, upcoming and late runs (with why they are late), recent
// failures, agents and their labels.

import { gql } from "./api.js";
import { badge, card, duration, fill, flowLink, fmtDuration, h, labels, ms, plural, runLink,
  table, when } from "./dom.js";
import { FAILED, IN_PROGRESS } from "./states.js";

/** An agent that polled within this many seconds counts as alive. */
export const AGENT_WINDOW_S = 60;

const RUN_FIELDS = `id name state state_message labels scheduled_start_time start_time end_time
  flow { id name version }`;

export async function dashboardPage(root, _params, ctx) {
  const tiles = h("div", { class: "tiles" });
  const running = h("div");
  const upcoming = h("div");
  const failures = h("div");
  const agents = h("div");
  fill(root,
    h("h1", {}, "Dashboard"),
    tiles,
    h("div", { class: "grid2" },
      card("In progress", running),
      card("Upcoming and late", upcoming)),
    h("div", { class: "grid2" },
      card("Recent failures", failures),
      card("Agents", agents)));
  const hasAgents = ctx.caps.queries.has("agent");
  // the server explains late runs itself when it can (flow_run.late_reason)
  const serverReason = ctx.caps.runFields.has("late_reason");
  const query = `query Dashboard($now: timestamptz!, $day: timestamptz!) {
    running: flow_run(where: {state: {_in: ${JSON.stringify(IN_PROGRESS)}}},
      order_by: [{start_time: desc_nulls_last}], limit: 50) { ${RUN_FIELDS} }
    scheduled: flow_run(where: {state: {_eq: "Scheduled"}},
      order_by: [{scheduled_start_time: asc}], limit: 50) {
      ${RUN_FIELDS} ${serverReason ? "late_reason" : ""}
    }
    failed: flow_run(where: {state: {_in: ${JSON.stringify([...FAILED])}}},
      order_by: [{end_time: desc_nulls_last}], limit: 15) { ${RUN_FIELDS} }
    n_running: flow_run_aggregate(where: {state: {_in: ${JSON.stringify(IN_PROGRESS)}}}) { aggregate { count } }
    n_scheduled: flow_run_aggregate(where: {state: {_eq: "Scheduled"}}) { aggregate { count } }
    n_late: flow_run_aggregate(where: {state: {_eq: "Scheduled"}, scheduled_start_time: {_lt: $now}}) { aggregate { count } }
    n_failed: flow_run_aggregate(where: {state: {_in: ${JSON.stringify([...FAILED])}}, end_time: {_gt: $day}}) { aggregate { count } }
    n_success: flow_run_aggregate(where: {state: {_eq: "Success"}, end_time: {_gt: $day}}) { aggregate { count } }
    ${hasAgents ? "agent(order_by: [{last_queried: desc_nulls_last}]) { id name type labels last_queried core_version }" : ""}
  }`;
  const refresh = async () => {
    const now = Date.now();
    // in whole seconds: the tabs that refresh within one second ask the server the same
    // question, which it answers once (its answer cache)
    const asked = now - (now % 1000);
    const data = await gql(query, { now: new Date(asked).toISOString(),
      day: new Date(asked - 86400e3).toISOString() });
    const agentRows = data.agent || [];
    const count = (k) => data[k].aggregate.count;
    fill(tiles,
      tile("In progress", count("n_running"), "Running"),
      tile("Scheduled", count("n_scheduled"), "Scheduled"),
      tile("Late", count("n_late"), count("n_late") ? "Failed" : "None"),
      tile("Failed, last 24 h", count("n_failed"), count("n_failed") ? "Failed" : "None"),
      tile("Succeeded, last 24 h", count("n_success"), "Success"));
    fill(running, runTable(data.running, [
      { title: "Started", cell: (r) => when(r.start_time) },
      { title: "Duration", cell: (r) => fmtDuration(duration(r.start_time, null)) },
    ], "No run is in progress."));
    fill(upcoming, runTable(data.scheduled, [
      { title: "Scheduled", cell: (r) => scheduledCell(r, agentRows, hasAgents, now) },
      { title: "Labels", cell: (r) => labels(r.labels) },
    ], "No run is scheduled."));
    fill(failures, runTable(data.failed, [
      { title: "Ended", cell: (r) => when(r.end_time) },
      { title: "Message", cell: (r) => h("span", { class: "message" }, r.state_message || "") },
    ], "No failures."));
    fill(agents, agentTable(agentRows, hasAgents, now));
  };
  await refresh();
  ctx.poll(refresh, 1000);
}

function tile(title, n, state) {
  return h("div", { class: "tile", dataset: { state } },
    h("div", { class: "tile-n" }, n.toLocaleString()), h("div", { class: "tile-title" }, title));
}

function runTable(rows, extra, empty) {
  return table([
    { title: "Flow run", cell: runLink },
    { title: "Flow", cell: (r) => flowLink(r.flow) },
    { title: "State", cell: (r) => badge(r.state) },
    ...extra,
  ], rows, { empty });
}

function scheduledCell(run, agents, hasAgents, now) {
  const t = ms(run.scheduled_start_time);
  if (t == null || t > now) return when(run.scheduled_start_time);
  return h("div", { class: "late" },
    h("span", { class: "late-tag" }, "late"), " ", when(run.scheduled_start_time),
    h("div", { class: "late-reason" }, run.late_reason || lateReason(run, agents, hasAgents, now)));
}

/** Why a Scheduled run whose start time has passed has not started. */
export function lateReason(run, agents, hasAgents, now = Date.now()) {
  const alive = agents.filter((a) => {
    const t = ms(a.last_queried);
    return t != null && now - t <= AGENT_WINDOW_S * 1000;
  });
  if (!alive.length) {
    const hint = hasAgents && agents.length ? "" : " (start one with `prefect-jupyter agent local start`)";
    return `no agent has polled in the last ${AGENT_WINDOW_S} s${hint}`;
  }
  const want = run.labels || [];
  const fits = alive.filter((a) => want.every((l) => (a.labels || []).includes(l)));
  if (!fits.length) return `no agent with labels [${want.join(", ")}]`;
  return `waiting for an agent (${plural(fits.length, "agent")} can run it)`;
}

function agentTable(rows, hasAgents, now) {
  if (!hasAgents) return h("p", { class: "muted" }, "This server does not track agents yet.");
  return table([
    { title: "Agent", cell: (a) => a.name || a.id.slice(0, 8) },
    { title: "Type", cell: (a) => a.type || "—" },
    { title: "Labels", cell: (a) => labels(a.labels) },
    { title: "Last poll", cell: (a) => {
      const t = ms(a.last_queried);
      const stale = t == null || now - t > AGENT_WINDOW_S * 1000;
      return h("span", { class: stale ? "stale" : "fresh" }, when(a.last_queried));
    } },
  ], rows, { empty: `No agent has registered. Start one with \`prefect-jupyter agent local start\`.` });
}
