"""What the magics remember for one shell: the notebook's flows, cell specs, outputs and runs.

One :class:`Notebook` per shell holds the flows the magics know, the ``%%task NAME`` cell specs
of each flow, the latest outputs of each cell, and the run history (what ``%flow runs`` and
``%flow rerun`` read). Mistakes anywhere in the notebook layer raise :class:`CellError`, which
the magics turn into ``UsageError``. Nothing here imports IPython.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib
from typing import Any

from prefect_jupyter.core.flow import Flow

__all__ = ["CellError", "CellSpec", "Notebook", "RunRecord"]


class CellError(Exception):
    """A mistake in a notebook cell or magic line: the message names the cause and the fix."""


@dataclasses.dataclass
class CellSpec:
    """A ``%%task NAME`` cell: its source, the names it reads and assigns, and its task options."""

    name: str
    source: str
    filename: str
    reads: list[str]
    outputs: list[str]
    options: dict[str, Any]
    defines: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class RunRecord:
    """One flow run started from the notebook."""

    flow_name: str
    start: datetime.datetime
    end: datetime.datetime
    state: Any
    parameters: dict[str, Any]
    task_states: dict[str, Any]  # by task slug
    fingerprints: dict[str, str]  # by task slug: code + inputs, see ``fingerprints.fingerprints``


@dataclasses.dataclass
class Notebook:
    """Everything the magics remember for one shell."""

    flows: dict[str, Flow] = dataclasses.field(default_factory=dict)
    cells: dict[str, dict[str, CellSpec]] = dataclasses.field(default_factory=dict)
    outputs: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)
    runs: dict[str, list[RunRecord]] = dataclasses.field(default_factory=dict)
    current: str | None = None

    def current_flow_name(self, user_ns: dict) -> str:
        """The flow cell tasks join: the one chosen with ``%flow use``, else the notebook's name."""
        if self.current is None:
            session = user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME") or ""
            self.current = pathlib.Path(str(session)).stem or "notebook"
        return self.current

    def find_flow(self, name: str, user_ns: dict) -> Flow:
        """The flow called ``name``: one the magics made, else a ``Flow`` bound to that variable."""
        if name in self.flows:
            return self.flows[name]
        value = user_ns.get(name)
        if isinstance(value, Flow):
            return value
        known = sorted(set(self.flows) | {k for k, v in user_ns.items() if isinstance(v, Flow)})
        hint = f" Known flows: {', '.join(known)}." if known else " No flow is defined yet."
        raise CellError(
            f"No flow named {name!r}.{hint} Make one with `%%flow NAME` or `%%task NAME` cells."
        )

    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    def finished_runs(self, name: str) -> list[RunRecord]:
        """The runs of flow ``name`` that got as far as task states (what a rerun can reuse)."""
        return [r for r in self.runs.get(name, []) if r.task_states]

    def history(self, name: str) -> Any:
        """The runs of flow ``name`` as a ``pandas.DataFrame`` (start, end, duration, state, parameters)."""
        import pandas as pd

        rows = [
            {
                "start": r.start,
                "end": r.end,
                "duration": r.end - r.start,
                "state": type(r.state).__name__,
                "message": r.state.message,
                "parameters": r.parameters,
            }
            for r in self.runs.get(name, [])
        ]
        return pd.DataFrame(rows, columns=["start", "end", "duration", "state", "message", "parameters"])
