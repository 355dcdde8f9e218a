"""The IPython extension: ``%load_ext prefect_jupyter`` registers the ``%%task`` and ``%flow``
magics and the :class:`PrefectJupyter` settings (``%config PrefectJupyter.live = False``).

To load it in every kernel, add ``c.InteractiveShellApp.extensions = ["prefect_jupyter"]`` to
``ipython_config.py``.
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, CaselessStrEnum, Unicode, default, observe
from traitlets.config import Configurable

__all__ = ["PrefectJupyter", "load_ipython_extension", "unload_ipython_extension"]


class PrefectJupyter(Configurable):
    """Settings of the notebook layer, set with ``%config PrefectJupyter.<name> = value``."""

    live = Bool(
        True,
        help="Show the live DAG widget while a flow runs in a kernel (`flow.run()`, `%flow run`, "
        "`%%flow --run`).",
    ).tag(config=True)
    default_executor = Unicode(
        "local",
        help="The executor `%flow run` uses without --executor (for flows without their own): "
        "local, threads, processes, dask, or a Dask scheduler address.",
    ).tag(config=True)
    log_level = CaselessStrEnum(
        ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="The level of prefect_jupyter's log records (the `prefect_jupyter` logger's level). "
        "While a widget shows a run, its records at this level and above go to the widget (per "
        "task and for the run) and only warnings and errors to stderr.",
    ).tag(config=True)

    @default("log_level")
    def _current_log_level(self) -> str:
        # what the logger has now (config.logging.level), so that setting any other level applies
        import logging

        from prefect_jupyter.utilities.logging import get_logger

        name = logging.getLevelName(get_logger().getEffectiveLevel())
        return name if name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO"

    @observe("log_level")
    def _set_log_level(self, change: dict) -> None:
        from prefect_jupyter.utilities.logging import get_logger

        get_logger().setLevel(str(change["new"]).upper())


_loaded: dict[int, tuple[PrefectJupyter, Any]] = {}


def load_ipython_extension(ip: Any) -> None:
    """Register the magics and settings with the shell ``ip`` (loading twice does nothing)."""
    from prefect_jupyter.jupyter.magics import PrefectMagics

    if id(ip) in _loaded:
        return
    settings = PrefectJupyter(parent=ip)
    magics = PrefectMagics(ip, settings)
    ip.configurables.append(settings)
    ip.register_magics(magics)
    hook = _live_hook(ip, settings)
    _loaded[id(ip)] = (settings, magics, hook)
    if hook is not None:
        from prefect_jupyter.core.flow import Flow
        from prefect_jupyter.engine.events import add_run_hook

        add_run_hook(hook)
        # a flow shown as a cell's value draws as its graph
        ip.display_formatter.ipython_display_formatter.for_type(Flow, _display_flow)


def unload_ipython_extension(ip: Any) -> None:
    """Remove the magics and settings from the shell ``ip``."""
    found = _loaded.pop(id(ip), None)
    if found is None:
        return
    settings, magics, hook = found
    if hook is not None:
        from prefect_jupyter.core.flow import Flow
        from prefect_jupyter.engine.events import remove_run_hook

        remove_run_hook(hook)
        ip.display_formatter.ipython_display_formatter.type_printers.pop(Flow, None)
    if settings in ip.configurables:
        ip.configurables.remove(settings)
    for kind, names in magics.magics.items():
        for name in names:
            ip.magics_manager.magics[kind].pop(name, None)
    ip.magics_manager.registry.pop(type(magics).__name__, None)


def _display_flow(flow: Any) -> None:
    from IPython.display import display

    from prefect_jupyter.jupyter.graph_mime import widget_mime_bundle
    from prefect_jupyter.jupyter.widget import LAST_STATES, FlowWidget

    # coloured by the flow's last run; the graph model rides along so the saved notebook shows
    # the graph without a kernel
    display(widget_mime_bundle(FlowWidget(flow, LAST_STATES.get(flow))), raw=True)


def _live_hook(ip: Any, settings: PrefectJupyter) -> Any:
    """In a Jupyter kernel: a run hook showing a live graph for each ``flow.run()``."""
    if getattr(ip, "kernel", None) is None:
        return None  # terminal IPython can't draw widgets

    def show_live(flow: Any, observers: tuple) -> Any:
        from prefect_jupyter.jupyter.live import LiveRun

        if not settings.live or any(isinstance(o, LiveRun) for o in observers):
            return None  # switched off, or the caller (e.g. %flow run) shows its own

        from prefect_jupyter.jupyter.widget import FlowWidget

        # a flow's own executor is known here; one given to flow.run(executor=...) is not
        return FlowWidget(flow).display().observe_run(flow.executor)

    return show_live
