"""``Copy``, ``Move``, ``Remove`` and ``Glob``: file-system operations as tasks.

Every path may be given when the task is created or when it is called; a missing path is a
``ValueError`` naming the argument, raised before anything is touched.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.files import Copy, Glob
    >>> with Flow("backup") as flow:
    ...     csvs = Glob(path="data", pattern="*.csv")()
    ...     copied = Copy().map(source_path=csvs, target_path=["backup/"] * 3)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["Copy", "Glob", "Move", "Remove"]

PathLike = str | Path


def _existing_source(source_path: PathLike, target_path: PathLike) -> tuple[Path, Path]:
    if not source_path:
        raise ValueError("No `source_path` provided.")
    if not target_path:
        raise ValueError("No `target_path` provided.")
    source = Path(source_path)
    if not source.exists():
        raise ValueError(f"Source path ({source}) not found")
    return source, Path(target_path)


class _SourceTarget(Task):
    def __init__(self, source_path: PathLike = "", target_path: PathLike = "", **kwargs: Any) -> None:
        self.source_path = source_path
        self.target_path = target_path
        super().__init__(**kwargs)


class Move(_SourceTarget):
    """Move a file or directory (``shutil.move``).

    Args:
        source_path: what to move.
        target_path: where to: a new path, or an existing directory to move into.
        **kwargs: passed on to `Task`.
    """

    @defaults_from_attrs("source_path", "target_path")
    def run(self, source_path: PathLike = "", target_path: PathLike = "") -> Path:
        """Move ``source_path`` to ``target_path`` and return the new path.

        Raises:
            ValueError: a path is missing or the source does not exist.
        """
        source, target = _existing_source(source_path, target_path)
        self.logger.info(f"Moving {source} to {target}...")
        return Path(shutil.move(str(source), str(target)))


class Copy(_SourceTarget):
    """Copy a file (into a file or directory) or a directory tree (to a new directory).

    Args:
        source_path: what to copy.
        target_path: the destination.
        **kwargs: passed on to `Task`.
    """

    @defaults_from_attrs("source_path", "target_path")
    def run(self, source_path: PathLike = "", target_path: PathLike = "") -> Path:
        """Copy ``source_path`` to ``target_path`` and return the path of the copy.

        Raises:
            ValueError: a path is missing or the source does not exist.
            FileExistsError: copying a directory onto an existing directory.
        """
        source, target = _existing_source(source_path, target_path)
        self.logger.info(f"Copying {source} to {target}...")
        if source.is_file():
            return Path(shutil.copy(source, target))
        return Path(shutil.copytree(source, target))


class Remove(Task):
    """Remove a file or an empty directory.

    Args:
        path: what to remove.
        **kwargs: passed on to `Task`.
    """

    def __init__(self, path: PathLike = "", **kwargs: Any) -> None:
        self.path = path
        super().__init__(**kwargs)

    @defaults_from_attrs("path")
    def run(self, path: PathLike = "") -> None:
        """Remove ``path``.

        Raises:
            ValueError: no path was given or it does not exist.
            OSError: the directory is not empty (remove its contents first).
        """
        if not path:
            raise ValueError("No `path` provided.")
        target = Path(path)
        if not target.exists():
            raise ValueError(f"Path ({target}) not found")
        self.logger.info(f"Removing {target}...")
        if target.is_file() or target.is_symlink():
            target.unlink()
        else:
            target.rmdir()


class Glob(Task):
    """List the paths under a directory that match a glob pattern.

    Args:
        path: the directory.
        pattern: the pattern; ``"*"`` (the default) lists the directory, ``"**/*"`` lists it
            recursively.
        **kwargs: passed on to `Task`.
    """

    def __init__(self, path: PathLike = "", pattern: str = "*", **kwargs: Any) -> None:
        self.path = path
        self.pattern = pattern
        super().__init__(**kwargs)

    @defaults_from_attrs("path", "pattern")
    def run(self, path: PathLike = "", pattern: str = "*") -> list[Path]:
        """Return the matching paths.

        Raises:
            ValueError: no path was given.
        """
        if not path:
            raise ValueError("No `path` provided.")
        directory = Path(path)
        self.logger.debug("Glob path: %s", directory / pattern)
        return list(directory.glob(pattern))
