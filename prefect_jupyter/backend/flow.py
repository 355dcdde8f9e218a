"""``FlowView``: a registered flow as the server describes it (Prefect 1's ``prefect.backend``).

Example:
    >>> view = FlowView.from_flow_name("etl", project_name="demo")   # doctest: +SKIP
    >>> view.flow_id, view.run_config, view.storage, view.flow_group_labels  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FlowView"]

_FIELDS = """id name version version_group_id archived core_version serialized_flow
  project { name } flow_group { id settings labels }"""


def _load(schema_path: str, data: Any) -> Any:
    """A run config or storage from its serialized form (``None`` when absent or unreadable:
    a view must not break on one field another library wrote)."""
    if not isinstance(data, dict):
        return None
    import importlib

    module, name = schema_path.rsplit(".", 1)
    try:
        return getattr(importlib.import_module(module), name)().load(data)
    except Exception:  # noqa: BLE001 - any schema error: the view keeps None, not a crash
        return None


@dataclass(frozen=True)
class FlowView:
    """A registered flow version as the server describes it, with Prefect 1's attributes.

    Build one with `from_id`, `from_flow_id`, `from_flow_group_id` or `from_flow_name`.

    Attributes:
        flow_id: the flow version's id.
        settings: its flow group's settings (e.g. ``heartbeat_enabled``).
        run_config: its run config (a ``RunConfig``), or ``None``.
        serialized_flow: the flow as registered (``flow.serialize()``).
        archived: whether a newer version replaced it.
        project_name: its project's name.
        core_version: the library version that registered it.
        storage: its storage (a ``Storage``), or ``None``.
        name: the flow's name.
        flow_group_labels: labels set on its flow group (they override the flow's own).
        version: its version number (1, 2, ...; ours, besides Prefect 1's).
        version_group_id: its version group (ours, besides Prefect 1's).
        flow_group_id: its flow group's id.
    """

    flow_id: str
    settings: dict = field(default_factory=dict)
    run_config: Any = None
    serialized_flow: dict = field(default_factory=dict)
    archived: bool = False
    project_name: str = ""
    core_version: str = ""
    storage: Any = None
    name: str = ""
    flow_group_labels: list[str] = field(default_factory=list)
    version: int = 0
    version_group_id: str = ""
    flow_group_id: str = ""

    @property
    def flow(self) -> Any:
        """The registered flow, rebuilt from ``serialized_flow`` (tasks and edges as
        registered; its tasks' code comes with it when it was stored by value)."""
        from prefect_jupyter.serialization.flow import FlowSchema

        return FlowSchema().load(self.serialized_flow)

    @classmethod
    def _from_flow_data(cls, flow: Any) -> FlowView:
        serialized = dict(flow.get("serialized_flow") or {})
        group = flow.get("flow_group") or {}
        return cls(
            flow_id=flow["id"], name=flow["name"], version=flow.get("version") or 0,
            version_group_id=flow.get("version_group_id") or "",
            archived=bool(flow.get("archived")),
            project_name=(flow.get("project") or {}).get("name", ""),
            core_version=flow.get("core_version") or "",
            serialized_flow=serialized,
            settings=dict(group.get("settings") or {}),
            flow_group_labels=list(group.get("labels") or []),
            flow_group_id=group.get("id") or "",
            run_config=_load("prefect_jupyter.run_configs.schema.RunConfigSchema",
                             serialized.get("run_config")),
            storage=_load("prefect_jupyter.storage.schema.StorageSchema",
                          serialized.get("storage")),
        )

    @classmethod
    def _query(cls, where: dict[str, Any], what: str, limit: int | None = 1) -> list[FlowView]:
        """The flows matching ``where``, newest version first (at least one).

        Raises:
            ValueError: none matches (``what`` names what was looked for).
        """
        from prefect_jupyter.client import Client

        found = Client().graphql(
            f"""query($where: flow_bool_exp, $limit: Int) {{ flow(where: $where,
                order_by: [{{version: desc}}], limit: $limit) {{ {_FIELDS} }} }}""",
            {"where": where, "limit": limit},
        ).data.flow
        if not found:
            raise ValueError(f"No flow {what} is registered: check it with "
                             "`prefect-jupyter get flows`.")
        return [cls._from_flow_data(row.to_dict() if hasattr(row, "to_dict") else row)
                for row in found]

    @classmethod
    def from_id(cls, flow_id: str) -> FlowView:
        """The flow version ``flow_id``, or else the newest flow of the flow group ``flow_id``.

        Raises:
            ValueError: it is neither a flow's nor a flow group's id.
        """
        for lookup in (cls.from_flow_id, cls.from_flow_group_id):
            try:
                return lookup(flow_id)
            except ValueError:
                pass
        raise ValueError(f"Given id {flow_id!r} is not an existing flow or flow group id.")

    @classmethod
    def from_flow_id(cls, flow_id: str) -> FlowView:
        """The flow version ``flow_id``.

        Raises:
            TypeError: ``flow_id`` is not a string.
            ValueError: there is no such flow.
        """
        if not isinstance(flow_id, str):
            raise TypeError(f"Unexpected type {type(flow_id)!r} for `flow_id`, expected 'str'.")
        if not _is_uuid(flow_id):  # a flow id is a UUID; anything else names no flow
            raise ValueError(f"No flow with id {flow_id!r} is registered: a flow id is a UUID.")
        return cls._query({"id": {"_eq": flow_id}}, f"with id {flow_id!r}")[0]

    @classmethod
    def from_flow_group_id(cls, flow_group_id: str) -> FlowView:
        """The newest flow of the flow group (version group) ``flow_group_id``.

        Raises:
            ValueError: there is no such flow group.
        """
        if not isinstance(flow_group_id, str):
            raise TypeError(
                f"Unexpected type {type(flow_group_id)!r} for `flow_group_id`, expected 'str'."
            )
        either = [{"version_group_id": {"_eq": flow_group_id}}]
        if _is_uuid(flow_group_id):
            either.append({"flow_group_id": {"_eq": flow_group_id}})
        return cls._query({"_or": either}, f"with flow group id {flow_group_id!r}")[0]

    @classmethod
    def from_flow_name(
        cls, flow_name: str, project_name: str = "", last_updated: bool = False
    ) -> FlowView:
        """The unarchived flow ``flow_name`` (in ``project_name``).

        Raises:
            ValueError: there is no such flow (in that project), or flows of that name live
                in several projects and neither ``project_name`` nor ``last_updated`` (take
                the newest) says which.
        """
        where: dict[str, Any] = {"name": {"_eq": flow_name}, "archived": {"_eq": False}}
        what = f"named {flow_name!r}"
        if project_name:
            where["project"] = {"name": {"_eq": project_name}}
            what += f" in project {project_name!r}"
        found = cls._query(where, what, limit=None)
        projects = sorted({view.project_name for view in found})
        if len(projects) > 1 and not last_updated:
            raise ValueError(
                f"Flows named {flow_name!r} exist in several projects ({', '.join(projects)}): "
                "give the project (project_name=..., or --project), or last_updated=True for "
                "the newest."
            )
        return found[0]

    def __repr__(self) -> str:
        return (f"FlowView(flow_id={self.flow_id!r}, name={self.name!r}, "
                f"project_name={self.project_name!r}, storage_type="
                f"{type(self.storage).__name__ if self.storage is not None else None})")


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
