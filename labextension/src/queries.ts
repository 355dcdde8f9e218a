// The GraphQL documents the panels send (Prefect Server 1's names, Hasura-style table queries).
import { graphql } from './api';
import type { GraphModel, StateMap } from './flow_widget';
import { nodeState } from './states';

export interface IParameter {
  name: string;
  slug?: string;
  default?: unknown;
  required?: boolean;
  type?: string;
}

export interface IFlow {
  id: string;
  name: string;
  version: number;
  parameters: IParameter[] | null;
  project: { name: string } | null;
}

export interface IFlowRunRow {
  id: string;
  name: string | null;
  state: string | null;
  state_message: string | null;
  created: string | null;
  start_time: string | null;
  end_time: string | null;
  flow: { id: string; name: string } | null;
}

export interface IFlowRun extends IFlowRunRow {
  scheduled_start_time: string | null;
  parameters: Record<string, unknown> | null;
  flow: { id: string; name: string; version: number } | null;
}

export interface ITaskRun {
  id: string;
  state: string | null;
  state_message: string | null;
  serialized_state: { n_map_states?: number | null } | null;
  task: { slug: string } | null;
}

export interface ILog {
  id: string;
  timestamp: string;
  level: string;
  name: string | null;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SIDEBAR = `
query PrefectJupyterSidebar($runs: Int!) {
  flow(where: {archived: {_eq: false}}, order_by: [{name: asc}], limit: 200) {
    id name version parameters project { name }
  }
  flow_run(order_by: [{created: desc}], limit: $runs) {
    id name state state_message created start_time end_time flow { id name }
  }
}`;

/** The flows (latest unarchived versions) and the most recent runs. */
export async function sidebarData(
  runs = 25
): Promise<{ flow: IFlow[]; flow_run: IFlowRunRow[] }> {
  return graphql(SIDEBAR, { runs });
}

const RUN_GRAPH = `
query PrefectJupyterRunGraph($id: uuid!) {
  flow_run_by_pk(id: $id) { id flow { id name serialized_flow } }
}`;

/** The graph model registered with the run's flow (serialized_flow.graph), or null. */
export async function runGraph(id: string): Promise<GraphModel | null> {
  const data = await graphql(RUN_GRAPH, { id });
  const flow = data.flow_run_by_pk?.flow;
  return (flow?.serialized_flow?.graph as GraphModel) ?? null;
}

const RUN = `
query PrefectJupyterRun($id: uuid!, $logs: log_bool_exp!) {
  flow_run_by_pk(id: $id) {
    id name state state_message created scheduled_start_time start_time end_time parameters
    flow { id name version }
  }
  task_run(where: {flow_run_id: {_eq: $id}, map_index: {_eq: -1}}) {
    id state state_message serialized_state task { slug }
  }
  log(where: $logs, order_by: [{timestamp: asc}], limit: 500) {
    id timestamp level name message
  }
}`;

export interface IRunData {
  run: IFlowRun | null;
  taskRuns: ITaskRun[];
  logs: ILog[];
}

/** A run's header, its (unmapped) task runs and its logs since `since` (an ISO time). */
export async function runData(id: string, since: string | null): Promise<IRunData> {
  const logs: Record<string, unknown> = { flow_run_id: { _eq: id } };
  if (since) {
    logs.timestamp = { _gte: since };
  }
  const data = await graphql(RUN, { id, logs });
  return { run: data.flow_run_by_pk, taskRuns: data.task_run || [], logs: data.log || [] };
}

/** Children's state counts of mapped task runs, by parent task run id. */
export async function mappedCounts(
  taskRunIds: string[]
): Promise<Record<string, Record<string, number>>> {
  if (!taskRunIds.length) {
    return {};
  }
  // one aliased field per parent; the ids come from the server, checked to be UUIDs before
  // they go into the document (the argument's scalar type name differs between servers)
  const ids = taskRunIds.filter(id => UUID.test(id));
  const fields = ids
    .map((id, i) => `m${i}: mapped_children(task_run_id: "${id}") { state_counts }`)
    .join('\n');
  if (!fields) {
    return {};
  }
  const data = await graphql(`query PrefectJupyterMapped {\n${fields}\n}`);
  return Object.fromEntries(
    ids.map((id, i) => [id, (data[`m${i}`]?.state_counts as Record<string, number>) || {}])
  );
}

/** Node states for the graph from the task runs and the mapped children's counts, derived by
 * the shared nodeState (as the web UI and prefect_jupyter.viz.model derive them). */
export function nodeStates(
  graph: GraphModel | null | undefined,
  taskRuns: ITaskRun[],
  counts: Record<string, Record<string, number>>
): StateMap {
  const kinds = new Map((graph?.nodes || []).map(n => [n.id, n.kind]));
  const states: StateMap = {};
  for (const tr of taskRuns) {
    const kind = tr.task ? kinds.get(tr.task.slug) : undefined;
    if (!tr.task || kind === undefined) {
      continue;
    }
    states[tr.task.slug] = nodeState(
      kind,
      tr.state,
      tr.state_message,
      counts[tr.id],
      tr.serialized_state?.n_map_states
    );
  }
  return states;
}

const CREATE_RUN = `
mutation PrefectJupyterCreateRun($input: create_flow_run_input!) {
  create_flow_run(input: $input) { id }
}`;

/** Create a run of `flowId` with `parameters`; resolves to the new run's id. */
export async function createFlowRun(
  flowId: string,
  parameters: Record<string, unknown>
): Promise<string> {
  const data = await graphql(CREATE_RUN, { input: { flow_id: flowId, parameters } });
  return data.create_flow_run.id;
}
