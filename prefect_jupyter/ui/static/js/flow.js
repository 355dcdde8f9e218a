// A flow's page: schematic, Run form, schedule switch, parameters' defaults, versions and runs.

import { gql } from "./api.js";
import { badge, card, duration, fill, fmtDuration, h, labels, link, pretty, runLink, table,
  when } from "./dom.js";
import { describeSchedule } from "./flows.js";
import { schematic } from "./schematic.js";

const FLOW_QUERY = `query Flow($id: uuid!) {
  flow_by_pk(id: $id) {
    id name version version_group_id description archived parameters schedule
    is_schedule_active labels core_version created serialized_flow project { id name }
  }
}`;

const LIVE_QUERY = `query FlowLive($id: uuid!, $group: String!) {
  flow_by_pk(id: $id) { id archived is_schedule_active }
  versions: flow(where: {version_group_id: {_eq: $group}}, order_by: [{version: desc}]) {
    id version archived created
  }
  runs: flow_run(where: {flow: {version_group_id: {_eq: $group}}}, order_by: [{created: desc}],
    limit: 25) {
    id name state state_message scheduled_start_time start_time end_time flow { version }
  }
}`;

export async function flowPage(root, [flowId], ctx) {
  const { flow_by_pk: flow } = await gql(FLOW_QUERY, { id: flowId });
  if (!flow) {
    fill(root, h("h1", {}, "Flow not found"), h("p", {}, "No flow has the id ", h("code", {}, flowId),
      ". It may have been deleted. ", link("#/flows", "See all flows"), "."));
    return;
  }
  const graph = (flow.serialized_flow || {}).graph;
  const drawing = schematic(graph);
  const scheduleBox = h("div", { class: "schedule" });
  const versions = h("div");
  const runs = h("div");
  const params = flow.parameters || [];
  fill(root,
    h("div", { class: "page-head" },
      h("h1", {}, flow.name, " ", h("span", { class: "version" }, `v${flow.version}`)),
      flow.archived ? h("span", { class: "pill off" }, "archived") : null),
    h("p", { class: "subtitle" }, "Project ", h("strong", {}, flow.project ? flow.project.name : "—"),
      " · labels ", labels(flow.labels), " · registered ", when(flow.created)),
    flow.description ? h("p", { class: "description" }, flow.description) : null,
    h("div", { class: "grid-flow" },
      card("Run", runForm(flow, params)),
      card("Schematic", drawing.el)),
    h("div", { class: "grid2" },
      card("Parameters", paramTable(params)),
      card("Schedule", scheduleBox)),
    card("Run history", runs),
    card("Versions", versions));

  let poller = null;
  const refresh = async () => {
    const data = await gql(LIVE_QUERY, { id: flow.id, group: flow.version_group_id });
    const active = data.flow_by_pk ? data.flow_by_pk.is_schedule_active : flow.is_schedule_active;
    if (active !== flow.is_schedule_active || !scheduleBox.firstChild) {
      flow.is_schedule_active = active;
      fill(scheduleBox, scheduleView(flow, () => poller?.now()));
    }
    fill(versions, table([
      { title: "Version", cell: (v) => (v.id === flow.id ? `v${v.version} (this)` : link(`#/flow/${v.id}`, `v${v.version}`)) },
      { title: "Registered", cell: (v) => when(v.created) },
      { title: "Status", cell: (v) => (v.archived ? "archived" : "current") },
    ], data.versions));
    fill(runs, table([
      { title: "Flow run", cell: runLink },
      { title: "State", cell: (r) => badge(r.state) },
      { title: "Version", cell: (r) => `v${r.flow.version}`, class: "num" },
      { title: "Scheduled", cell: (r) => when(r.scheduled_start_time) },
      { title: "Started", cell: (r) => when(r.start_time) },
      { title: "Duration", cell: (r) => fmtDuration(duration(r.start_time, r.end_time)) },
      { title: "Message", cell: (r) => h("span", { class: "message" }, r.state_message || "") },
    ], data.runs, { empty: "This flow has not run yet." }));
  };
  await refresh();
  poller = ctx.poll(refresh, 1000);
}

function paramTable(params) {
  if (!params.length) return h("p", { class: "muted" }, "This flow has no parameters.");
  return table([
    { title: "Name", cell: (p) => h("code", {}, p.name) },
    { title: "Default", cell: (p) => h("code", {}, p.default === undefined || p.default === null ? "—" : pretty(p.default)) },
    { title: "Required", cell: (p) => (p.required ? "yes" : "no") },
  ], params);
}

function scheduleView(flow, changed) {
  if (!flow.schedule) return h("p", { class: "muted" }, "This flow has no schedule.");
  const active = flow.is_schedule_active;
  const error = h("span", { class: "form-error", role: "alert" });
  const button = h("button", { type: "button", class: active ? "" : "primary", "data-action": "schedule",
    onclick: async () => {
      button.disabled = true;
      const name = active ? "set_schedule_inactive" : "set_schedule_active";
      try {
        const data = await gql(`mutation ($id: UUID!) { ${name}(input: {flow_id: $id}) { success error } }`,
          { id: flow.id });
        if (!data[name].success) throw new Error(data[name].error || "the server refused");
        changed();
      } catch (e) {
        error.textContent = `Could not change the schedule: ${e.message}`;
        button.disabled = false;
      }
    } }, active ? "Turn schedule off" : "Turn schedule on");
  return h("div", {},
    h("p", {}, describeSchedule(flow.schedule), " — ",
      h("span", { class: `pill ${active ? "on" : "off"}` }, active ? "on" : "off")),
    h("div", { class: "row" }, button, error));
}

/** The Run form: one field per parameter (JSON, or plain text for strings), then create_flow_run. */
function runForm(flow, params) {
  const fields = params.map((p) => {
    const value = p.default === undefined || p.default === null ? "" :
      typeof p.default === "string" ? p.default : JSON.stringify(p.default);
    const input = h("input", { name: `param-${p.name}`, "data-param": p.name, value,
      placeholder: p.required ? "required" : "default", autocomplete: "off" });
    return { p, input, el: h("label", { class: "field" },
      h("span", { class: "field-name" }, p.name, p.required ? h("span", { class: "req" }, " *") : null),
      input) };
  });
  const runName = h("input", { name: "flow_run_name", placeholder: "optional", autocomplete: "off" });
  const error = h("div", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", disabled: flow.archived }, "Run");
  const form = h("form", { class: "run-form", "data-form": "run" },
    fields.length ? fields.map((f) => f.el) : h("p", { class: "muted" }, "No parameters."),
    h("label", { class: "field" }, h("span", { class: "field-name" }, "Run name"), runName),
    h("p", { class: "hint" }, "Values are JSON (42, [1, 2], {\"a\": 1}); anything else, and any parameter whose default is text, is sent as text."),
    h("div", { class: "row" }, submit), error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const parameters = {};
    for (const { p, input } of fields) {
      const text = input.value.trim();
      if (!text) {
        if (p.required) {
          error.textContent = `The parameter "${p.name}" is required.`;
          input.focus();
          return;
        }
        continue;
      }
      // a parameter whose default is text takes the field as text ("5" stays "5")
      parameters[p.name] = typeof p.default === "string" ? input.value : parseValue(text);
    }
    submit.disabled = true;
    try {
      const input = { flow_id: flow.id, parameters };
      if (runName.value.trim()) input.flow_run_name = runName.value.trim();
      const data = await gql(`mutation ($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }`,
        { input });
      location.hash = `#/flow-run/${data.create_flow_run.id}`;
    } catch (e) {
      error.textContent = e.message;
      submit.disabled = false;
    }
  });
  return form;
}

function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
