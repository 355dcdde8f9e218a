// A flow run's artifacts (Prefect 1's create_markdown_artifact / create_link_artifact), newest
// last. The page's poll asks for their number and the newest change; only when that changes is
// the list fetched again.
//
// Artifact data is user text: markdown is shown as text (never parsed into HTML), and a link
// becomes an <a> only for an http(s) URL, opened without access to this page.

import { gql } from "./api.js";
import { fill, h, when } from "./dom.js";

export const LIMIT = 200;

const QUERY = `query Artifacts($id: uuid!, $limit: Int!) {
  task_run_artifact(where: {flow_run_id: {_eq: $id}},
    order_by: [{created: asc}, {id: asc}], limit: $limit) {
    id kind data created task_run { map_index task { name slug } }
  }
}`;

export class ArtifactView {
  constructor(runId) {
    this.runId = runId;
    this.signature = null;
    this.box = h("div", { class: "artifacts" });
    this.el = this.box;
  }

  /** Called with the run page's poll answer (its ``artifact_count`` and ``artifact_newest``
   * fields); fetches the list when the artifacts changed. Resolves to
   * whether there are any. */
  async update(data) {
    const count = data.artifact_count.aggregate.count;
    const signature = `${count}|${(data.artifact_newest[0] || {}).updated}`;
    if (signature === this.signature) return count > 0;
    const { task_run_artifact: rows } = await gql(QUERY, { id: this.runId, limit: LIMIT });
    this.signature = signature;
    fill(this.box, rows.map(artifact),
      count > rows.length ? h("p", { class: "muted" }, `The first ${LIMIT} of ${count}.`) : null);
    return count > 0;
  }
}

function artifact(a) {
  const t = (a.task_run || {}).task || {};
  const index = (a.task_run || {}).map_index;
  const name = `${t.name || t.slug || "?"}${index != null && index >= 0 ? `[${index}]` : ""}`;
  const data = a.data || {};
  let body;
  if (a.kind === "markdown") {
    body = h("pre", { class: "message artifact-markdown" }, String(data.markdown ?? ""));
  } else if (a.kind === "link") {
    body = linkOrText(String(data.link ?? ""));
  } else {
    body = h("pre", { class: "message" }, JSON.stringify(data));
  }
  return h("div", { class: "artifact", dataset: { kind: a.kind, id: a.id } },
    h("p", { class: "subtitle" }, h("span", { class: "task-name" }, name), ` · ${a.kind} · `,
      when(a.created)),
    body);
}

/** An <a> for an absolute http(s) URL; anything else (javascript:, data:, a path) as text. */
function linkOrText(url) {
  let parsed = null;
  if (/^https?:\/\//i.test(url)) {
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
  }
  if (!parsed) return h("code", { class: "artifact-link" }, url);
  return h("a", { class: "artifact-link", href: parsed.href, target: "_blank",
    rel: "noopener noreferrer" }, url);
}
