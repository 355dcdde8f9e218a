"""`LocalResult`: task outputs stored as files on the machine that runs the task."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from prefect_jupyter.engine.result.base import LocationTemplate, Result, render_location

__all__ = ["LocalResult", "default_results_dir"]

_FALLBACK_HOME_DIR = os.path.join("~", ".prefect_jupyter")


def default_results_dir() -> str:
    """The directory `LocalResult` uses when none is given: ``<home_dir>/results``.

    ``home_dir`` comes from ``prefect_jupyter.configuration.config.home_dir`` when that module is
    available, and is ``~/.prefect_jupyter`` otherwise.

    Returns:
        The absolute results directory (not created here).
    """
    try:
        # Imported here, not at module level, so results work before configuration is loaded
        # and importing this module never reads configuration files.
        from prefect_jupyter.configuration import config
    except ModuleNotFoundError as exc:
        if exc.name != "prefect_jupyter.configuration":
            raise  # the configuration module exists but is broken: show the real error
        home_dir = _FALLBACK_HOME_DIR
    else:
        home_dir = getattr(config, "home_dir", None) or _FALLBACK_HOME_DIR
    return os.path.abspath(os.path.join(os.path.expanduser(os.fspath(home_dir)), "results"))


def _is_home_dir(directory: str) -> bool:
    home = os.path.dirname(default_results_dir())
    return os.path.abspath(os.path.expanduser(directory)) == os.path.abspath(home)


class LocalResult(Result):
    """A result stored as a file in a local directory.

    "Local" means local to the process that runs the task: with a distributed executor the
    files are written on the workers.

    Files are written atomically (to a temporary file in the same directory, then renamed), so
    a crash mid-write never leaves a truncated result behind. A templated location may contain
    ``/``; the subdirectories are created on write.

    Args:
        dir: directory for the result files; defaults to `default_results_dir()`, which is
            also used when ``dir`` is the home directory itself (as in Prefect 1).
        validate_dir: when true, ``dir`` is made absolute (``~`` expanded) and created now.
            Pass ``False`` when the directory only exists where the tasks will run.
        **kwargs: `Result` arguments (``value``, ``location``, ``serializer``, ...).

    Example:
        >>> result = LocalResult(dir="/tmp/results", location="{task_name}.pkl")  # doctest: +SKIP
        >>> written = result.write(42, task_name="answer")  # doctest: +SKIP
        >>> written.location  # doctest: +SKIP
        '/tmp/results/answer.pkl'
        >>> result.read(written.location).value  # doctest: +SKIP
        42
    """

    def __init__(
        self,
        dir: str | os.PathLike[str] | None = None,
        validate_dir: bool = True,
        **kwargs: Any,
    ) -> None:
        directory = default_results_dir() if dir is None else os.fspath(dir)
        if _is_home_dir(directory):
            # results never land loose in the home directory beside config and databases
            directory = default_results_dir()
        if validate_dir:
            directory = os.path.abspath(os.path.expanduser(directory))
            _make_dirs(directory, purpose="its results directory")
        self.dir = directory
        super().__init__(**kwargs)

    @property
    def default_location(self) -> str:
        """A new unique file path in ``dir``: ``prefect-result-<UTC timestamp>-<uuid>``."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dt%H-%M-%S-%f")
        return os.path.join(self.dir, f"prefect-result-{stamp}-{uuid.uuid4().hex}")

    def path_for(self, location: str) -> str:
        """The file path for ``location``: relative locations are taken relative to ``dir``.

        Args:
            location: a concrete location.

        Returns:
            The file path.
        """
        return os.path.join(self.dir, location)

    def read(self, location: str) -> Result:
        """Load the value stored at ``location``.

        Args:
            location: a path, absolute or relative to ``dir``.

        Returns:
            A new result with ``value`` loaded and ``location`` set to ``location``.

        Raises:
            FileNotFoundError: no result file exists at that path.
        """
        path = self.path_for(location)
        self.logger.debug("Reading result from %s", path)
        try:
            with open(path, "rb") as file:
                payload = file.read()
        except FileNotFoundError as exc:
            raise FileNotFoundError(
                f"LocalResult found no result file at {path!r} (location {location!r}, dir "
                f"{self.dir!r}). Check that the location was written by LocalResult.write() "
                "with the same dir, or call exists() before read()."
            ) from exc
        new = self.copy()
        new.location = location
        new.value = self.serializer.deserialize(payload)
        return new

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Serialize ``value_`` and store it at this result's location formatted with ``kwargs``.

        Args:
            value_: the value to store.
            **kwargs: values for the location template (usually the run context).

        Returns:
            A new result with ``value`` set and ``location`` set to the absolute file path.
        """
        new = self.format(**kwargs)
        assert new.location is not None  # format() always produces a concrete location
        path = self.path_for(new.location)
        # Serialize before touching the disk, so an unpicklable value leaves no file behind.
        payload = self.serializer.serialize(value_)
        parent = os.path.dirname(path)
        if parent:
            _make_dirs(parent, purpose="the directory for this result")
        _write_atomically(path, payload)
        self.logger.debug("Wrote result to %s", path)
        new.value = value_
        new.location = path
        return new

    def exists(self, location: LocationTemplate, **kwargs: Any) -> bool:
        """Whether a result file exists at ``location`` formatted with ``kwargs``.

        Only checks that the file is there; it does not read or validate it.

        Args:
            location: a location or location template, absolute or relative to ``dir``.
            **kwargs: values for the template.

        Returns:
            Whether the file exists.
        """
        return os.path.isfile(self.path_for(render_location(location, **kwargs)))

    def _identity(self) -> dict[str, Any]:
        return {**super()._identity(), "dir": self.dir}


def _make_dirs(directory: str, purpose: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise type(exc)(
            f"LocalResult could not create {purpose}, {directory!r}: {exc.strerror or exc}. "
            "Pass dir= a directory you can write to, or validate_dir=False if the directory "
            "only exists where tasks run."
        ) from exc


def _write_atomically(path: str, payload: bytes) -> None:
    # The temporary file sits next to the target so that os.replace is a rename within one
    # filesystem, which is atomic: readers see the old file or the whole new one, never a part.
    # No fsync: this protects against a killed kernel, not against power loss, and an fsync per
    # task output would slow down large mapped runs.
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(payload)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass  # the failure happened before the file was created
        raise
