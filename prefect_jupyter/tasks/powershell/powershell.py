"""``PowershellTask``: `ShellTask` for PowerShell (``pwsh`` by default)."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.tasks.shell import ShellTask

__all__ = ["PowershellTask"]


class PowershellTask(ShellTask):
    """Run a PowerShell command; the same arguments and results as `ShellTask`.

    Args:
        shell: ``"pwsh"`` (PowerShell 7, the default) or ``"powershell"`` (Windows PowerShell).
        **kwargs: the other `ShellTask` arguments.
    """

    script_suffix = ".ps1"

    def __init__(self, shell: str = "pwsh", **kwargs: Any) -> None:
        if shell not in ("pwsh", "powershell"):
            raise ValueError(f"PowershellTask runs 'pwsh' or 'powershell', not {shell!r}.")
        super().__init__(shell=shell, **kwargs)
