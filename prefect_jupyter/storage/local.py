"""``Local`` storage: flows pickled to (or kept as scripts in) files on this machine."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, default_key, name_conflict, not_contained

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Local"]


class Local(Storage):
    """Keep flows as files on this machine: pickled (default) or as their ``.py`` scripts.

    Each flow added is pickled (cloudpickle, by value for notebook code) to
    ``<directory>/<flow-name>/<timestamp>`` at once, or to ``path`` if given. With
    ``stored_as_script=True`` nothing is written: ``path`` is the flow's ``.py`` file (or an
    importable module path), which is run to load the flow. Its default label is the host name,
    so only agents on this machine pick the flow's runs.

    Args:
        directory: where pickled flows go (default ``<config.home_dir>/flows``); made unless
            ``validate=False``.
        validate: make ``directory`` absolute and create it.
        path: where this flow is kept (a file, or a module path with ``stored_as_script``).
        stored_as_script: the flow is kept as its ``.py`` file at ``path``.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments (``labels``, ...).

    Example:
        >>> flow.storage = Local(directory="~/flows")
        >>> flow.storage.add_flow(flow)
        '/home/me/flows/etl/2024-05-01t12-00-00-000000-00-00'
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        validate: bool = True,
        path: str | None = None,
        stored_as_script: bool = False,
        **kwargs: Any,
    ) -> None:
        from prefect_jupyter.configuration import config
        from prefect_jupyter.engine.results import LocalResult

        if directory is None:
            directory = os.path.join(str(config.home_dir), "flows")
        directory = os.fspath(directory)
        if validate:
            directory = os.path.abspath(os.path.expanduser(directory))
            os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.path = path
        result = LocalResult(directory, validate_dir=validate)
        super().__init__(result=result, stored_as_script=stored_as_script, **kwargs)

    @property
    def default_labels(self) -> list[str]:
        """The host name (only agents here can read these files)."""
        return [socket.gethostname()] if self.add_default_labels else []

    def add_flow(self, flow: Flow) -> str:
        """Pickle ``flow`` to a file now (or, for a script, record its ``path``).

        Raises:
            ValueError: for a second flow of the same name, or a script without ``path``.
            prefect_jupyter.serialization.storage.FlowSerializationError: when the flow
                can't be pickled (naming the task).
        """
        if flow.name in self:
            raise name_conflict(flow.name)
        if self.stored_as_script:
            if not self.path:
                raise ValueError(
                    "A `path` must be provided to show where flow `.py` file is stored."
                )
            location = self.path
        else:
            from prefect_jupyter.utilities.storage import flow_to_bytes_pickle

            location = self.path or os.path.join(self.directory, *default_key(flow.name).split("/"))
            os.makedirs(os.path.dirname(location) or ".", exist_ok=True)
            with open(location, "wb") as f:
                f.write(flow_to_bytes_pickle(flow))
        return self._record(flow, location)

    def get_flow(self, flow_name: str) -> Flow:
        """The flow ``flow_name``, from its pickle, its script, or its module.

        Raises:
            ValueError: if the flow is not in this storage.
            prefect_jupyter.exceptions.FlowStorageError: when the pickle can't be loaded here.
        """
        from prefect_jupyter.utilities import storage as helpers

        if flow_name not in self.flows:
            raise not_contained(flow_name)
        location = self.flows[flow_name]
        if not os.path.isfile(location):
            return helpers.extract_flow_from_module(location, flow_name=flow_name)
        if self.stored_as_script:
            return helpers.extract_flow_from_file(file_path=location, flow_name=flow_name)
        with open(location, "rb") as f:
            return helpers.flow_from_bytes_pickle(f.read())
