// The UI's only way to the server: GraphQL POSTs to api/graphql on this origin.

const TOKEN_KEY = "prefect_jupyter.api_token";
const ENDPOINT = "api/graphql";

export class ApiError extends Error {
  constructor(message, code = null, status = null) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Run a GraphQL query; resolves to its `data`, rejects with an ApiError naming the cause. */
export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(ENDPOINT, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError("The server does not answer. Is `prefect-jupyter server start` still running?",
      "UNREACHABLE");
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The API answered HTTP ${res.status} without JSON.`, "HTTP", res.status);
  }
  const errors = (body && body.errors) || [];
  if (res.status === 401) {
    throw new ApiError(errors.map((e) => e.message).join("\n") || "This server needs an API token.",
      "UNAUTHENTICATED", 401);
  }
  if (errors.length) {
    const code = (errors[0].extensions || {}).code || null;
    throw new ApiError(errors.map((e) => e.message).join("\n"), code, res.status);
  }
  if (!res.ok) throw new ApiError(`The API answered HTTP ${res.status}.`, "HTTP", res.status);
  return body.data;
}

let capsPromise = null;

/** What this server's schema offers: {queries, mutations, runFields: Sets of field names;
 * restart: {...}|null}. Optional features (agents, restart, late reasons) show only when the
 * server has them. */
export function capabilities() {
  if (!capsPromise) capsPromise = loadCapabilities().catch((e) => { capsPromise = null; throw e; });
  return capsPromise;
}

async function loadCapabilities() {
  const data = await gql(`{
    __schema {
      queryType { fields { name } }
      mutationType { fields { name args { name type { kind name ofType { kind name } } } } }
    }
    flow_run_type: __type(name: "flow_run") { fields { name } }
  }`);
  const queries = new Set(data.__schema.queryType.fields.map((f) => f.name));
  const mutationFields = (data.__schema.mutationType || { fields: [] }).fields;
  const mutations = new Set(mutationFields.map((f) => f.name));
  const restartField = mutationFields.find((f) => f.name === "restart_flow_run");
  const runFields = new Set(((data.flow_run_type || {}).fields || []).map((f) => f.name));
  return { queries, mutations, runFields,
    restart: restartField ? await restartShape(restartField) : null };
}

/** How to call restart_flow_run: with `input: {flow_run_id}` or a plain `flow_run_id` arg. */
async function restartShape(field) {
  const direct = field.args.find((a) => a.name === "flow_run_id");
  if (direct) return { mode: "direct", typeName: typeString(direct.type) };
  const input = field.args.find((a) => a.name === "input");
  if (!input) return null;
  const typeName = input.type.name || input.type.ofType.name;
  const data = await gql(`query ($name: String!) { __type(name: $name) { inputFields { name } } }`,
    { name: typeName });
  const fields = ((data.__type || {}).inputFields || []).map((f) => f.name);
  return fields.includes("flow_run_id") ? { mode: "input", typeName: `${typeName}!` } : null;
}

const typeString = (t) => (t.kind === "NON_NULL" ? `${t.ofType.name}!` : t.name);

/** Restart a flow run from its failure with the server's restart_flow_run mutation. */
export async function restartFlowRun(caps, flowRunId) {
  if (caps.restart.mode === "direct") {
    return gql(`mutation ($id: ${caps.restart.typeName}) { restart_flow_run(flow_run_id: $id) { __typename } }`,
      { id: flowRunId });
  }
  return gql(`mutation ($input: ${caps.restart.typeName}) { restart_flow_run(input: $input) { __typename } }`,
    { input: { flow_run_id: flowRunId } });
}

export async function health() {
  try {
    const res = await fetch("api/health", { headers: { Accept: "application/json" } });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}
