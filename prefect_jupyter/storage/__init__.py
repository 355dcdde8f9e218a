"""Storage: where a registered flow's code is kept (Prefect 1's ``prefect.storage``).

prefect_jupyter ships a flow's code with its registration by default (cloudpickle, by value for
notebook code), so most flows need no storage. Set one to keep the flow elsewhere:

* loaded for real here: :class:`Local` (files on this machine, pickled or as scripts),
  :class:`Module` (an importable module), :class:`Git` (a file in a git repository, cloned with
  ``git``), :class:`S3` (a bucket, or any S3-compatible store, through boto3);
* kept for registration (Prefect 1's arguments, locations and JSON; loading raises
  :class:`~prefect_jupyter.exceptions.FlowStorageError` naming what is missing):
  :class:`GCS`, :class:`Azure`, :class:`GitHub`, :class:`GitLab`, :class:`Bitbucket`,
  :class:`CodeCommit`, :class:`Webhook`, :class:`Docker`.

Example:
    >>> from prefect_jupyter.storage import Local
    >>> flow.storage = Local(directory="~/flows")
    >>> location = flow.storage.add_flow(flow)
    >>> flow.storage.get_flow(flow.name)          # where the flow runs
"""

from __future__ import annotations

from prefect_jupyter.storage.azure import Azure
from prefect_jupyter.storage.base import Storage
from prefect_jupyter.storage.docker import Docker
from prefect_jupyter.storage.gcs import GCS
from prefect_jupyter.storage.git import Git
from prefect_jupyter.storage.github import Bitbucket, CodeCommit, GitHub, GitLab
from prefect_jupyter.storage.local import Local
from prefect_jupyter.storage.module import Module
from prefect_jupyter.storage.s3 import S3
from prefect_jupyter.storage.webhook import Webhook

__all__ = [
    "GCS",
    "S3",
    "Azure",
    "Bitbucket",
    "CodeCommit",
    "Docker",
    "Git",
    "GitHub",
    "GitLab",
    "Local",
    "Module",
    "Storage",
    "Webhook",
    "get_default_storage_class",
]


def get_default_storage_class() -> type[Storage]:
    """The storage class named by config ``flows.defaults.storage.default_class`` (``Local``).

    Raises:
        ValueError: when the configured name is not a storage class (naming the setting).
    """
    import importlib

    from prefect_jupyter import config

    name = config.get("flows", {}).get("defaults", {}).get("storage", {}).get("default_class")
    if not name:
        return Local
    if isinstance(name, type):
        return name
    module_name, _, attribute = str(name).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(
            f"config flows.defaults.storage.default_class = {name!r} can't be imported ({exc}); "
            "set it to a storage class such as 'prefect_jupyter.storage.Local'."
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Storage)):
        raise ValueError(
            f"config flows.defaults.storage.default_class = {name!r} is not a Storage class."
        )
    return cls
