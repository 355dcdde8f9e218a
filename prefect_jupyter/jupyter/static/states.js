// State sets and node states for the browser: the notebook widget, the web UI and the JupyterLab
// extension all import this one module, so they colour, count and finish runs alike.
// The block below is generated from the state classes (prefect_jupyter.engine.state_sets) by
// scripts/generate-states-js; tests/jupyter/test_states_js.py fails when it drifts.

// BEGIN GENERATED
export const ALL = new Set(["Cached", "Cancelled", "Cancelling", "ClientFailed", "Failed", "Finished", "Looped", "Mapped", "Paused", "Pending", "Queued", "Resume", "Retrying", "Running", "Scheduled", "Skipped", "State", "Submitted", "Success", "TimedOut", "TriggerFailed", "ValidationFailed"]);
export const PENDING = new Set(["Paused", "Pending", "Resume", "Retrying", "Scheduled"]);
export const SCHEDULED = new Set(["Paused", "Queued", "Resume", "Retrying", "Scheduled"]);
export const SUBMITTED = new Set(["Submitted"]);
export const QUEUED = new Set(["Queued"]);
export const RUNNING = new Set(["Cancelling", "Running"]);
export const CANCELLING = new Set(["Cancelling"]);
export const FINISHED = new Set(["Cached", "Cancelled", "Failed", "Finished", "Looped", "Mapped", "Skipped", "Success", "TimedOut", "TriggerFailed", "ValidationFailed"]);
export const SUCCESSFUL = new Set(["Cached", "Mapped", "Skipped", "Success"]);
export const CACHED = new Set(["Cached"]);
export const MAPPED = new Set(["Mapped"]);
export const SKIPPED = new Set(["Skipped"]);
export const LOOPED = new Set(["Looped"]);
export const FAILED = new Set(["Failed", "TimedOut", "TriggerFailed", "ValidationFailed"]);
export const RETRYING = new Set(["Retrying"]);
export const PAUSED = new Set(["Paused"]);
export const META = new Set(["ClientFailed", "Queued", "Submitted"]);
export const RUNNABLE_SCHEDULED = new Set(["Queued", "Resume", "Retrying", "Scheduled"]);
// END GENERATED

/** Whether a state name is a finished state. */
export const isFinished = (state) => FINISHED.has(state);

/** How many of a mapped node's children have finished, and how many of those failed.
 * @param counts children's state names → how many */
export function childProgress(counts) {
  let done = 0, failed = 0;
  for (const [name, c] of Object.entries(counts || {})) {
    if (FINISHED.has(name)) done += c;
    if (FAILED.has(name)) failed += c;
  }
  return { done, failed };
}

/** One node's state fields ({state, color, message, counts, n_children}) from what the server
 * reports of its task run — as prefect_jupyter.viz.model.node_state derives them from states.
 * A mapped node counts its children's states once its task run is Mapped (before that: no
 * children); it has max(nMapStates, reported children) of them, since children appear as they
 * are reported while the Mapped state knows how many there will be. While any child has not
 * finished, a Mapped node reads Running. Colours come from the stylesheet (data-state), so
 * `color` is null.
 * @param kind the graph node's kind ("mapped", "task", ...)
 * @param state the task run's state name, or null
 * @param message the task run's state message, or null
 * @param counts children's state names → how many (mapped nodes), or null
 * @param nMapStates the Mapped state's n_map_states, or null */
export function nodeState(kind, state, message, counts, nMapStates) {
  const fields = { state: state || null, color: null, message: message ?? null, counts: null,
    n_children: null };
  if (kind !== "mapped") return fields;
  const mapped = MAPPED.has(state);
  const entries = mapped ? Object.entries(counts || {}).filter(([, c]) => c > 0) : [];
  fields.counts = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const reported = entries.reduce((total, [, c]) => total + c, 0);
  fields.n_children = mapped ? Math.max(nMapStates || 0, reported) : 0;
  if (mapped && childProgress(fields.counts).done < fields.n_children) fields.state = "Running";
  return fields;
}
