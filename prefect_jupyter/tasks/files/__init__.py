"""File tasks: copy, move, remove and list paths; create and extract zip archives."""

from prefect_jupyter.tasks.files.compression import Unzip, Zip
from prefect_jupyter.tasks.files.operations import Copy, Glob, Move, Remove

__all__ = ["Copy", "Glob", "Move", "Remove", "Unzip", "Zip"]
