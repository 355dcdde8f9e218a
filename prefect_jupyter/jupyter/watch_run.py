"""``%flow watch RUN_ID`` / :func:`watch`: a flow run of the server, live in the notebook's widget.

Above both :mod:`~prefect_jupyter.jupyter.widget` and
:mod:`~prefect_jupyter.jupyter.server_watch`: the widget knows how to follow a server run, the
watch only which of them this kernel can show.
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.jupyter.server_watch import follow, registered_flow

__all__ = ["watch"]


def watch(flow_run_id: str, flow: Any = None, wait: bool = False, client: Any = None) -> Any:
    """Show flow run ``flow_run_id`` of the server live in the notebook (``%flow watch RUN_ID``).

    The run's graph appears in the cell's output and follows the run from the server: states,
    mapped counts, the header and the run's log lines, whoever executes it — an agent started
    elsewhere, or ``flow.run_agent()`` in a later cell of this notebook. Outside a Jupyter
    kernel (terminal IPython, a script) there is no widget: it polls the run until it ends.

    Args:
        flow_run_id: the run's id, e.g. what ``Client().create_flow_run(...)`` returns.
        flow: the flow the run is of (default: the registered flow, loaded from the server).
        wait: block until the run ends and return its final state.
        client: a ``prefect_jupyter.client.Client`` (default: one for ``config.cloud.graphql``).

    Returns:
        With a widget and not ``wait``: the :class:`ServerWatch` (``.wait()`` blocks until the
        run ends, ``.state`` is then its final state, ``.widget`` the widget); otherwise the
        run's final state.

    Raises:
        ValueError: when the server has no such run.
        prefect_jupyter.client.ClientError: when the server can't be reached.

    Example:
        >>> run_id = Client().create_flow_run(flow_id=flow_id)
        >>> watch(run_id)        # the graph, live; then e.g. `flow.run_agent()` in a cell
    """
    flow = flow if flow is not None else registered_flow(flow_run_id, client)
    widget = _notebook_widget(flow)
    if widget is None:
        return follow(flow, flow_run_id, client=client)
    server_watch = widget.display().watch_server_run(flow_run_id, client=client)
    server_watch.widget = widget
    if not wait:
        return server_watch
    server_watch.wait()
    return server_watch.state


def _notebook_widget(flow: Any) -> Any:
    """A FlowWidget for ``flow`` when this runs in a Jupyter kernel, else ``None``."""
    try:
        from IPython import get_ipython

        from prefect_jupyter.jupyter.widget import FlowWidget
    except ImportError:
        return None
    if getattr(get_ipython(), "kernel", None) is None:
        return None  # terminal IPython or a script: nothing draws widgets
    return FlowWidget(flow)
