"""``FlowView``: a registered flow as the server describes it (Prefect 1's ``prefect.backend``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FlowView"]


@dataclass(frozen=True)
class FlowView:
    """A registered flow version: its id, name, version group and project.

    Build one with `from_id` or `from_flow_name`.
    """

    flow_id: str
    name: str
    version: int
    version_group_id: str
    archived: bool
    project_name: str

    @classmethod
    def _query(cls, where: dict[str, Any], what: str) -> FlowView:
        from prefect_jupyter.client import Client, queries

        found = Client().graphql(queries.FLOW_VIEW, {"where": where}).data.flow
        if not found:
            raise ValueError(f"No flow found for {what}: check it with `prefect-jupyter get flows`.")
        flow = found[0]
        return cls(
            flow_id=flow.id, name=flow.name, version=flow.version,
            version_group_id=flow.version_group_id, archived=flow.archived,
            project_name=(flow.get("project") or {}).get("name", ""),
        )

    @classmethod
    def from_id(cls, flow_id: str) -> FlowView:
        """The flow version ``flow_id``.

        Raises:
            ValueError: there is no such flow.
        """
        return cls._query({"id": {"_eq": flow_id}}, f"id {flow_id!r}")

    @classmethod
    def from_flow_name(cls, flow_name: str, project_name: str = "") -> FlowView:
        """The newest unarchived version of the flow ``flow_name`` (in ``project_name``).

        Raises:
            ValueError: there is no such flow (in that project).
        """
        where: dict[str, Any] = {"name": {"_eq": flow_name}, "archived": {"_eq": False}}
        what = f"name {flow_name!r}"
        if project_name:
            where["project"] = {"name": {"_eq": project_name}}
            what += f" in project {project_name!r}"
        return cls._query(where, what)
