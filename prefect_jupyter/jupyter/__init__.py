"""The notebook layer: the IPython extension, its magics and the live DAG widget.

Importing this package imports neither IPython nor anywidget; the names below load on first use:

* :class:`FlowWidget` and :func:`show` (from :mod:`prefect_jupyter.jupyter.widget`);
* :class:`LiveRun` and :class:`RunTracker` (from :mod:`prefect_jupyter.jupyter.live`);
* :func:`watch` (from :mod:`prefect_jupyter.jupyter.watch_run`): a server's flow run, live.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "FlowWidget": "prefect_jupyter.jupyter.widget",
    "show": "prefect_jupyter.jupyter.widget",
    "LiveRun": "prefect_jupyter.jupyter.live",
    "RunTracker": "prefect_jupyter.jupyter.live",
    "watch": "prefect_jupyter.jupyter.watch_run",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
