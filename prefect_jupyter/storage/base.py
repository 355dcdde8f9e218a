"""``Storage``: where a registered flow's code is kept, and how an agent gets the flow back.

A storage object keeps ``flows`` (flow name → location) — the part that is registered with the
flow and travels as JSON — and, in the process that added them, the ``Flow`` objects themselves
(``_flows``). ``add_flow`` records a flow, ``build`` writes what the storage needs written
(pickles, uploads), and ``get_flow(name)`` — run where the flow runs — loads it back.
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow
    from prefect_jupyter.engine.result.base import Result

__all__ = ["Storage", "default_key", "name_conflict", "not_contained", "unavailable"]


def default_key(flow_name: str) -> str:
    """``<flow-name>/<utc-timestamp>``: where a flow goes in a bucket when no key is given."""
    import re
    from datetime import UTC, datetime

    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

    return f"{slug(flow_name)}/{slug(datetime.now(UTC).isoformat())}"


def unavailable(storage: Storage, action: str, needs: str) -> Exception:
    """The error for a storage this project keeps for registration but can't use here."""
    from prefect_jupyter.exceptions import FlowStorageError

    return FlowStorageError(
        f"{type(storage).__name__} storage can't {action} here: that needs {needs}, which "
        "prefect_jupyter does not provide. The storage still registers and serializes as in "
        "Prefect 1; to run the flow with prefect_jupyter's agent use Local, Module, Git or S3 "
        "storage (or none: registration ships the flow's code)."
    )


def name_conflict(flow_name: str) -> ValueError:
    """The error for adding a second flow of the same name to one storage."""
    return ValueError(
        f'Name conflict: Flow with the name "{flow_name}" is already present in this storage.'
    )


def not_contained(flow_name: str) -> ValueError:
    """The error for asking a storage for a flow it doesn't hold."""
    return ValueError("Flow is not contained in this Storage")


class Storage(metaclass=ABCMeta):
    """The base of every storage.

    Args:
        result: the result type that stores this storage's flows' outputs by default.
        secrets: names of secrets the agent needs to load the flow (e.g. a token).
        labels: labels added to the flows in this storage.
        add_default_labels: add the storage's default labels too (default: config
            ``flows.defaults.storage.add_default_labels``).
        stored_as_script: the flow is kept as its ``.py`` file rather than pickled.
    """

    def __init__(
        self,
        result: Result | None = None,
        secrets: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        add_default_labels: bool | None = None,
        stored_as_script: bool = False,
    ) -> None:
        if isinstance(labels, str) or isinstance(secrets, str):
            raise TypeError(
                f"{type(self).__name__}(labels=..., secrets=...) take lists of names, not a "
                "single string: write labels=['a'] / secrets=['TOKEN']."
            )
        self.result = result
        self.secrets = list(secrets or [])
        self.stored_as_script = stored_as_script
        self.flows: dict[str, str] = {}
        self._flows: dict[str, Flow] = {}
        self._labels = list(labels or [])
        if add_default_labels is None:
            from prefect_jupyter.configuration import config

            defaults = config.get("flows", {}).get("defaults", {}).get("storage", {})
            add_default_labels = defaults.get("add_default_labels", True)
        self.add_default_labels = add_default_labels

    @property
    def labels(self) -> list[str]:
        """The labels of this storage's flows (with the default labels, if added)."""
        if not self.add_default_labels:
            return list(self._labels)
        return list(set(self._labels) | set(self.default_labels))

    @property
    def default_labels(self) -> list[str]:
        """Labels every agent that can load from this storage has (none for most storages)."""
        return []

    @property
    def name(self) -> str:
        """The storage's name (its class name)."""
        return type(self).__name__

    @property
    def logger(self) -> logging.Logger:
        """The storage's logger (``prefect_jupyter.<StorageClass>``)."""
        return logging.getLogger(f"prefect_jupyter.{type(self).__name__}")

    def __repr__(self) -> str:
        return f"<Storage: {type(self).__name__}>"

    def __contains__(self, obj: Any) -> bool:
        return isinstance(obj, str) and obj in self.flows

    def _record(self, flow: Flow, location: str) -> str:
        """Add ``flow`` at ``location`` (refusing a second flow of the same name)."""
        if flow.name in self:
            raise name_conflict(flow.name)
        self.flows[flow.name] = location
        self._flows[flow.name] = flow
        return location

    @abstractmethod
    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` in this storage; returns its location.

        Raises:
            ValueError: if a flow of the same name is already in this storage.
        """

    def get_flow(self, flow_name: str) -> Flow:
        """Load the flow ``flow_name`` back from this storage (where the flow runs)."""
        raise NotImplementedError(
            f"{type(self).__name__} storage can't load flows: use Local, Module or Git."
        )

    def build(self) -> Storage:
        """Write what this storage needs written for its flows; returns the storage."""
        self.run_basic_healthchecks()
        return self

    def serialize(self) -> dict:
        """This storage as JSON (``StorageSchema``; needs the ``serialization`` extra)."""
        from prefect_jupyter.storage.schema import StorageSchema

        return StorageSchema().dump(self)

    def run_basic_healthchecks(self) -> None:
        """Check the flows added here can be stored: every flow must be picklable."""
        if self.stored_as_script:
            return
        from prefect_jupyter.storage.pickling import pickle_flow

        for flow in self._flows.values():
            pickle_flow(flow)  # raises FlowSerializationError naming the task
