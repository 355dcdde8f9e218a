"""The GraphQL documents of the client side, in Prefect Server 1's names and input types.

All of them live here: those of :class:`~prefect_jupyter.client.Client` and those of the code that
runs flows for the server (``backend/api.py``, ``backend/restore.py``) and of the agent. Each
mutation takes one ``$input`` variable of the type ``<mutation>_input``, as Prefect 1's client
sent them, so that the server can be checked against Prefect 1's own client too.
"""

from __future__ import annotations

__all__ = ["mapped_task_runs", "mutation", "newest_flow_id", "task_run_infos"]


def mutation(name: str, fields: str) -> str:
    """``mutation($input: <name>_input!) { <name>(input: $input) { <fields> } }``."""
    return f"mutation($input: {name}_input!) {{ {name}(input: $input) {{ {fields} }} }}"


PROJECT_BY_NAME = """
query($name: String!) { project(where: {name: {_eq: $name}}) { id name } }
"""

FLOW_BY_ID = """
query($id: uuid!) {
  flow_by_pk(id: $id) { id name version archived version_group_id serialized_flow }
}
"""

FLOW_RUN_INFO = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id name flow_id parameters context version scheduled_start_time serialized_state
    task_runs(where: {map_index: {_eq: -1}}) {
      id version serialized_state task { id slug }
    }
    flow { project { id name } }
  }
}
"""

FLOW_RUN_STATE = """
query($id: uuid!) { flow_run_by_pk(id: $id) { serialized_state } }
"""

TASK_RUN_STATE = """
query($id: UUID!) { get_task_run_info(task_run_id: $id) { serialized_state } }
"""


def task_run_infos(count: int) -> str:
    """One request finding or creating ``count`` task runs: ``t0 ... t<count-1>``, each from an
    input variable ``$i0 ... $i<count-1>`` of ``get_or_create_task_run_info``."""
    params = ", ".join(f"$i{i}: get_or_create_task_run_info_input!" for i in range(count))
    fields = " ".join(
        f"t{i}: get_or_create_task_run_info(input: $i{i}) {{ id version }}" for i in range(count)
    )
    return f"mutation({params}) {{ {fields} }}"


def mapped_task_runs(task_count: int, single_count: int) -> str:
    """One request finding or creating the mapped children of ``task_count`` tasks (``m0 ...``,
    each from an input ``$m<i>`` of ``create_mapped_task_runs``) and ``single_count`` other task
    runs (``t0 ...``, as :func:`task_run_infos`)."""
    params = [f"$m{i}: create_mapped_task_runs_input!" for i in range(task_count)]
    params += [f"$i{i}: get_or_create_task_run_info_input!" for i in range(single_count)]
    fields = [
        f"m{i}: create_mapped_task_runs(input: $m{i}) {{ task_runs {{ map_index id version }} }}"
        for i in range(task_count)
    ]
    fields += [
        f"t{i}: get_or_create_task_run_info(input: $i{i}) {{ id version }}"
        for i in range(single_count)
    ]
    return f"mutation({', '.join(params)}) {{ {' '.join(fields)} }}"


# -- running flows for the server (backend/, agent/) --------------------------------------------

#: a flow run with its flow, the flow's tasks and its unmapped task runs (what a run process needs)
BACKEND_FLOW_RUN = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id name flow_id parameters context labels version state serialized_state
    scheduled_start_time
    task_runs(where: {map_index: {_eq: -1}}) { id version state task { id slug } }
    flow { id name version project { id name } tasks { id slug } }
  }
}
"""

BACKEND_FLOW_RUNS = """
query($ids: [uuid!]) {
  flow_run(where: {id: {_in: $ids}}) {
    id name flow_id state version labels serialized_state run_config flow { library }
  }
}
"""

STORED_LOG_IDS = """
query($ids: [uuid!]) { log(where: {id: {_in: $ids}}) { id } }
"""

TASK_RUN_VERSIONS = """
query($ids: [uuid!]) { task_run(where: {id: {_in: $ids}}) { id version } }
"""

#: one page of a flow run's task runs with their serialized states, what a restarted run
#: reuses (the server caps the rows of one answer; a run can have 100,000 mapped children)
FLOW_RUN_TASK_RUNS = """
query($id: uuid!, $limit: Int!, $offset: Int!) {
  task_run(where: {flow_run_id: {_eq: $id}}, order_by: {map_index: asc},
           limit: $limit, offset: $offset) {
    id version map_index state serialized_state task { slug }
  }
}
"""
TASK_RUN_PAGE = 5_000

#: what a runner asks a server once: its mutations, and what its reports can carry (null on a
#: server without them)
SERVER_FEATURES = """
query {
  __schema { mutationType { fields { name } } }
  __type(name: "write_run_report_input") { inputFields { name } }
}
"""

# -- views of flows, flow runs and task runs (backend/flow.py, flow_run.py, task_run.py) ----------
FLOW_VIEW = """
query($where: flow_bool_exp) {
  flow(where: $where, order_by: [{version: desc}], limit: 1) {
    id name version version_group_id archived project { id name }
  }
}
"""

FLOW_RUN_VIEW = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id name flow_id parameters context labels state serialized_state updated
  }
}
"""

TASK_RUN_VIEW = """
query($where: task_run_bool_exp) {
  task_run(where: $where) {
    id name map_index flow_run_id state serialized_state task { id slug name }
  }
}
"""

CACHED_TASK_RUN_STATES = """
query($where: task_run_bool_exp, $limit: Int) {
  task_run(where: $where, order_by: {state_timestamp: desc}, limit: $limit) {
    serialized_state
  }
}
"""

FLOW_RUN_STATES_AFTER = """
query($id: uuid!, $offset: Int!) {
  flow_run_state(where: {flow_run_id: {_eq: $id}}, order_by: [{timestamp: asc}, {version: asc}],
                 offset: $offset) {
    state message serialized_state timestamp
  }
}
"""

FLOW_RUN_LOGS_AFTER = """
query($id: uuid!, $offset: Int!) {
  log(where: {flow_run_id: {_eq: $id}}, order_by: [{timestamp: asc}, {id: asc}], offset: $offset) {
    timestamp level message
  }
}
"""


def newest_flow_id(flow_name: str, project_name: str) -> dict:
    """The id of a project's newest unarchived version of a flow, in Prefect 1's nested-dict form.

    ``StartFlowRun`` asks this way, as Prefect 1's did. The names are written into the document as
    GraphQL string literals (JSON-escaped by ``with_args``): a quote in a name can't change it.
    """
    from prefect_jupyter.utilities.graphql import EnumValue, with_args

    where = {
        "name": {"_eq": flow_name}, "archived": {"_eq": False},
        "project": {"name": {"_eq": project_name}},
    }
    arguments = {"where": where, "order_by": {"version": EnumValue("desc")}, "limit": 1}
    return {"query": {with_args("flow", arguments): {"id"}}}
