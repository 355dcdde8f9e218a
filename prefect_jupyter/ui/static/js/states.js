// State names and the graph model's state map, built from the server's task runs.

export const FINISHED = new Set(["Finished", "Success", "Cached", "Mapped", "Skipped", "Looped",
  "Failed", "TimedOut", "TriggerFailed", "ValidationFailed", "Cancelled"]);
export const FAILED = new Set(["Failed", "TimedOut", "TriggerFailed", "ValidationFailed",
  "ClientFailed"]);
export const IN_PROGRESS = ["Submitted", "Queued", "Running", "Cancelling", "Paused", "Resume",
  "Retrying"];
export const ALL_STATES = ["Pending", "Scheduled", "Submitted", "Queued", "Paused", "Resume",
  "Retrying", "Running", "Cancelling", "Success", "Cached", "Mapped", "Skipped", "Looped",
  "Failed", "TimedOut", "TriggerFailed", "ValidationFailed", "Cancelled"];

export const isFinished = (state) => FINISHED.has(state);

/** The state map drawn by flow_widget.js (applyStates): node id → {state, color, message,
 * counts, n_children}, as prefect_jupyter.viz.model.node_state builds it.
 *
 * @param graph the flow's graph model (serialized_flow.graph)
 * @param slugByTask task id → node id (the task's slug)
 * @param parents task id → the run's task run for it (map_index -1)
 * @param children task id → mapped_children payload ({state_counts, ...}) of mapped tasks */
export function stateMap(graph, slugByTask, parents, children) {
  const kinds = new Map((graph.nodes || []).map((n) => [n.id, n.kind]));
  const states = {};
  for (const [taskId, run] of parents) {
    const id = slugByTask.get(taskId);
    if (!id || !kinds.has(id)) continue;
    const mapped = kinds.get(id) === "mapped";
    let counts = null;
    let n = null;
    if (mapped) {
      counts = { ...(((children.get(taskId) || {}).state_counts) || {}) };
      // children appear on the server as they are reported; the Mapped state knows how many
      // there will be
      const expected = (run.serialized_state || {}).n_map_states || 0;
      n = Math.max(expected, Object.values(counts).reduce((a, b) => a + b, 0));
    }
    states[id] = { state: run.state || null, color: null, message: run.state_message || null,
      counts, n_children: n };
  }
  return states;
}
