// Flows: every registered flow's latest version, with its latest run and its schedule.

import { gql } from "./api.js";
import { badge, card, fill, h, link, table, when } from "./dom.js";

export async function flowsPage(root, _params, ctx) {
  const search = h("input", { type: "search", class: "search", placeholder: "Filter by name…",
    "aria-label": "Filter flows by name" });
  const body = h("div");
  fill(root, h("div", { class: "page-head" }, h("h1", {}, "Flows"), search), card(null, body));
  const query = `query Flows($name: String!) {
    flow(where: {archived: {_eq: false}, name: {_ilike: $name}}, order_by: [{name: asc}]) {
      id name version version_group_id schedule is_schedule_active labels created
      project { id name }
      flow_runs(order_by: [{created: desc}], limit: 1) {
        id name state scheduled_start_time start_time end_time
      }
    }
  }`;
  const refresh = async () => {
    const name = `%${search.value.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const { flow } = await gql(query, { name });
    fill(body, table([
      { title: "Flow", cell: (f) => link(`#/flow/${f.id}`, f.name) },
      { title: "Project", cell: (f) => (f.project ? f.project.name : "—") },
      { title: "Version", cell: (f) => String(f.version), class: "num" },
      { title: "Latest run", cell: latestRun },
      { title: "Schedule", cell: (f) => scheduleCell(f) },
    ], flow, { empty: search.value ? "No flow matches." :
      "No flow is registered yet. Register one with flow.register(project_name=...)." }));
  };
  await refresh();
  const poller = ctx.poll(refresh, 2000);
  search.addEventListener("input", () => poller.now());
}

function latestRun(f) {
  const run = (f.flow_runs || [])[0];
  if (!run) return h("span", { class: "muted" }, "never run");
  return h("span", { class: "latest" }, badge(run.state), " ",
    link(`#/flow-run/${run.id}`, run.name || run.id.slice(0, 8)), " ", when(run.end_time || run.start_time || run.scheduled_start_time));
}

function scheduleCell(f) {
  if (!f.schedule) return h("span", { class: "muted" }, "none");
  return h("span", {}, describeSchedule(f.schedule), " ",
    h("span", { class: `pill ${f.is_schedule_active ? "on" : "off"}` }, f.is_schedule_active ? "on" : "off"));
}

/** A short description of a serialized schedule (serialization/schedule.py's JSON). */
export function describeSchedule(schedule) {
  const clocks = (schedule && schedule.clocks) || [];
  if (!clocks.length) return "no clocks";
  return clocks.map((c) => {
    if (c.type === "IntervalClock" && typeof c.interval === "number") return `every ${interval(c.interval)}`;
    if (c.type === "CronClock" && c.cron) return `cron ${c.cron}`;
    if (c.type === "DatesClock" && Array.isArray(c.dates)) return `${c.dates.length} fixed dates`;
    return c.type || "clock";
  }).join("; ");
}

function interval(seconds) {
  const units = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? name : `${n} ${name}s`;
    }
  }
  return `${seconds} s`;
}
