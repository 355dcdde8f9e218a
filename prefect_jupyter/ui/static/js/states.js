// The UI's view of states: the sets and node states of the shared states module (generated from
// the state classes; the notebook widget and the labextension import the same one), plus the
// graph model's state map built from the server's task runs.

import { ALL, FAILED, FINISHED, RUNNING, SCHEDULED, SUBMITTED, isFinished, nodeState }
  from "../../widget/states.js";

export { FAILED, FINISHED, isFinished };

/** Runs that started and have not finished, or wait to go on (a retry, a resume, a pause). */
export const IN_PROGRESS = [...SUBMITTED, ...RUNNING, ...SCHEDULED].filter((s) => s !== "Scheduled");

/** The states a task run can be stored in, for the table's filter: every state class except
 * the base classes and ClientFailed (a failed API call, never stored). */
export const ALL_STATES = [...ALL].filter((s) => !["State", "Finished", "ClientFailed"].includes(s));

/** The state map drawn by flow_widget.js (applyStates): node id → {state, color, message,
 * counts, n_children}, as the shared nodeState derives it (and prefect_jupyter.viz.model in
 * Python).
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
    states[id] = nodeState(kinds.get(id), run.state, run.state_message,
      (children.get(taskId) || {}).state_counts, (run.serialized_state || {}).n_map_states);
  }
  return states;
}
