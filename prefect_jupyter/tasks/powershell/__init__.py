"""``PowershellTask``: run a PowerShell command (Prefect 1's ``prefect.tasks.powershell``)."""

from prefect_jupyter.tasks.powershell.powershell import PowershellTask

__all__ = ["PowershellTask"]
