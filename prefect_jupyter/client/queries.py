"""The GraphQL documents the client sends, in Prefect Server 1's names and input types.

Each mutation takes one ``$input`` variable of the type ``<mutation>_input``, as Prefect 1's client
sent them, so that the server can be checked against Prefect 1's own client too.
"""

from __future__ import annotations

__all__ = ["mutation"]


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
