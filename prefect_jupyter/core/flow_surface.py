"""Prefect 1's methods on ``Flow`` that reach beyond the graph: run, draw, save, register, serve.

``Flow`` (in :mod:`prefect_jupyter.core.flow`) keeps the graph; these methods are mixed into it so
that Prefect 1 code (``flow.run()``, ``flow.visualize()``, ``flow.register("project")``,
``Flow.load("name")``) works unchanged. None holds logic of its own: each hands over to the layer
that owns the job — the engine runs, ``viz`` draws, ``serialization`` and ``client`` register,
``agent`` serves — through :mod:`prefect_jupyter.core._integrations`, the one module of ``core``
allowed to import those layers (on first call, so ``import prefect_jupyter`` stays light).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect_jupyter.core import _integrations

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow


class FlowSurface:
    """The mixin holding ``Flow``'s run, visualize, save/load and registration methods."""

    name: str
    run_config: Any
    __dict__: dict[str, Any]

    # -- running ---------------------------------------------------------------------------------
    def run(
        self,
        parameters: dict[str, Any] | None = None,
        run_on_schedule: bool | None = None,
        runner_cls: type | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the flow here and return its final ``State``.

        Keyword arguments named after the flow's parameters are parameter values; the others
        (``task_states``, ``context``, ``executor``, ``return_tasks``, ...) go to the runner.
        With a schedule (and ``run_on_schedule``), runs at each scheduled time until stopped.

        Raises:
            ValueError: before anything runs, for unknown or missing required parameters.
            TypeError: before anything runs, when a task maps over a constant that is not a
                sequence (e.g. ``add.map(x=5)``).
            RuntimeError: when called inside the flow's own ``with Flow(...)`` block.

        While a flow file is loaded for registration (``prefect-jupyter register``, which sets
        ``context.loading_flow``), nothing runs: this warns and returns ``None``, as in Prefect 1.
        """
        from prefect_jupyter.context import context
        from prefect_jupyter.core.task_checks import check_mapped_constants

        if context.get("loading_flow", False):  # the file is being loaded to register its flows
            warnings.warn(
                "Attempting to call `flow.run` during execution of flow file will lead "
                "to unexpected results.",
                stacklevel=2,
            )
            return None
        if self.__dict__.get("_context_overlays"):  # inside this flow's own ``with`` block
            raise RuntimeError(
                "Don't call `flow.run()` from within a `Flow` context manager: the flow is "
                "still being built. Leave the `with Flow(...) as flow:` block first, then call "
                "`flow.run(...)`."
            )
        check_mapped_constants(self)
        return _integrations.run_flow(
            self, parameters, run_on_schedule=run_on_schedule, runner_cls=runner_cls, **kwargs
        )

    def visualize(
        self, flow_state: Any = None, filename: str | None = None, format: str | None = None,
        horizontal: bool = False,
    ) -> Any:
        """Draw the flow as a ``graphviz.Digraph`` (coloured by ``flow_state``); with ``filename``,
        also render it to ``filename.format``. See :func:`prefect_jupyter.viz.visualize`."""
        return _integrations.visualize(
            self, flow_state, filename=filename, format=format, horizontal=horizontal
        )

    # -- saving to a file ------------------------------------------------------------------------
    def save(self, fpath: str | os.PathLike | None = None) -> str:
        """Pickle the flow (with cloudpickle) to ``fpath``; returns the path written.

        The default path is ``<home_dir>/flows/<flow-name-slug>.prefect``, where
        :meth:`load` finds it by the flow's name.

        Example:
            >>> path = flow.save()
            >>> Flow.load(flow.name) == flow
        """
        path = Path(fpath) if fpath is not None else _default_path(self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_integrations.flow_to_bytes(self))
        return str(path)

    @classmethod
    def load(cls, fpath: str | os.PathLike) -> Flow:
        """The flow :meth:`save` wrote to ``fpath`` — a path, or the name of a flow saved at the
        default path (its name or its slug).

        Raises:
            FileNotFoundError: naming both places looked at, when neither holds a saved flow.
        """
        path = Path(os.path.expanduser(fpath))
        if not path.is_file():
            default = _default_path(str(fpath))
            if not default.is_file():
                raise FileNotFoundError(
                    f"No saved flow at {str(path)!r} nor at {str(default)!r}. Pass the path "
                    "`flow.save()` returned, or the name of a flow saved with `flow.save()`."
                )
            path = default
        return _integrations.flow_from_bytes(path.read_bytes())

    # -- registration (the logic lives in prefect_jupyter.serialization and .client) -------------
    def serialize(self, build: bool = False) -> dict[str, Any]:
        """The flow as the JSON dict a server stores; with ``build``, its code is pickled in."""
        return _integrations.serialize_flow(self, build_storage=build)

    def serialized_hash(self, build: bool = False) -> str:
        """A hash of the flow's structure and task code (the default idempotency key)."""
        return _integrations.structure_hash(self)

    def register(self, project_name: str | None = None, *args: Any, **kwargs: Any) -> str | None:
        """Register the flow (and its code) with the server; returns the flow's id.

        Takes Prefect 1's arguments — ``project_name``, ``build``, ``labels``,
        ``set_schedule_active``, ``version_group_id``, ``no_url``, ``idempotency_key`` and
        storage options — as described (once) in
        :func:`prefect_jupyter.client.register.register_flow`.
        """
        if self.__dict__.get("_context_overlays"):  # inside this flow's own ``with`` block
            raise ValueError(
                "Don't call `flow.register()` from within a `Flow` context manager: leave the "
                "`with Flow(...) as flow:` block first, then call `flow.register(...)`."
            )
        return _integrations.register_flow(self, project_name, *args, **kwargs)

    @classmethod
    def load_registered(cls, flow_id: str, api_server: str | None = None) -> Flow:
        """The registered flow ``flow_id``, with its code, loaded from the server."""
        return _integrations.load_registered(flow_id, api_server)

    def run_agent(
        self,
        token: str | None = None,
        show_flow_logs: bool = False,
        log_to_cloud: bool | None = None,
        labels: list[str] | None = None,
        **agent_kwargs: Any,
    ) -> None:
        """Run a local agent for this flow's runs until Ctrl-C (blocks).

        Its labels are the flow's (``run_config.labels``) plus ``labels``; ``log_to_cloud=False``
        keeps the runs' logs off the server; ``agent_kwargs`` go to
        :class:`prefect_jupyter.agent.LocalAgent` (``concurrency``, ``api``, ...).
        """
        own = list(getattr(self.run_config, "labels", None) or [])
        _integrations.start_local_agent(
            labels=sorted({*own, *(labels or [])}), show_flow_logs=show_flow_logs,
            api_token=token, no_cloud_logs=log_to_cloud is False, **agent_kwargs,
        )


def slugify(name: str) -> str:
    """``name`` in lower case with every run of other characters made one ``-``
    (``"I aM a-test!"`` -> ``"i-am-a-test"``): the file name :meth:`FlowSurface.save` uses."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _default_path(name: str) -> Path:
    from prefect_jupyter.configuration import config

    home = Path(os.path.expanduser(str(config.home_dir)))
    return home / "flows" / f"{slugify(name)}.prefect"
