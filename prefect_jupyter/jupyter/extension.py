"""The IPython extension: ``%load_ext prefect_jupyter`` registers the ``%%task`` and ``%flow``
magics and the :class:`PrefectJupyter` settings (``%config PrefectJupyter.live = False``).

To load it in every kernel, add ``c.InteractiveShellApp.extensions = ["prefect_jupyter"]`` to
``ipython_config.py``.
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, Unicode
from traitlets.config import Configurable

__all__ = ["PrefectJupyter", "load_ipython_extension", "unload_ipython_extension"]


class PrefectJupyter(Configurable):
    """Settings of the notebook layer, set with ``%config PrefectJupyter.<name> = value``."""

    live = Bool(
        True, help="Show the live DAG widget while `%flow run` / `%%flow --run` run a flow."
    ).tag(config=True)
    default_executor = Unicode(
        "local",
        help="The executor `%flow run` uses without --executor (for flows without their own): "
        "local, threads, processes, dask, or a Dask scheduler address.",
    ).tag(config=True)


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
    _loaded[id(ip)] = (settings, magics)


def unload_ipython_extension(ip: Any) -> None:
    """Remove the magics and settings from the shell ``ip``."""
    found = _loaded.pop(id(ip), None)
    if found is None:
        return
    settings, magics = found
    if settings in ip.configurables:
        ip.configurables.remove(settings)
    for kind, names in magics.magics.items():
        for name in names:
            ip.magics_manager.magics[kind].pop(name, None)
    ip.magics_manager.registry.pop(type(magics).__name__, None)
