"""Storage: where a registered flow's code is kept (Prefect 1's ``prefect.storage``).

prefect_jupyter ships a flow's code with its registration by default (cloudpickle, by value for
notebook code), so most flows need no storage. Set one to keep the flow elsewhere:

* loaded for real here: :class:`Local` (files on this machine, pickled or as scripts),
  :class:`Module` (an importable module), :class:`Git` (a file in a git repository, cloned with
  ``git``), :class:`S3` (a bucket, or any S3-compatible store, through boto3),
  :class:`CodeCommit` (a file in an AWS CodeCommit repository, through boto3), :class:`Webhook`
  (HTTP requests, through ``requests``);
* kept for registration (Prefect 1's arguments, locations and JSON; loading raises
  :class:`~prefect_jupyter.exceptions.FlowStorageError` naming what is missing):
  :class:`GCS`, :class:`Azure`, :class:`GitHub`, :class:`GitLab`, :class:`Bitbucket`,
  :class:`Docker`.

Example:
    >>> from prefect_jupyter.storage import Local
    >>> flow.storage = Local(directory="~/flows")
    >>> location = flow.storage.add_flow(flow)
    >>> flow.storage.get_flow(flow.name)          # where the flow runs
"""

from __future__ import annotations

from prefect_jupyter.storage.azure import Azure
from prefect_jupyter.storage.base import Storage
from prefect_jupyter.storage.bitbucket import Bitbucket
from prefect_jupyter.storage.codecommit import CodeCommit
from prefect_jupyter.storage.docker import Docker
from prefect_jupyter.storage.gcs import GCS
from prefect_jupyter.storage.git import Git
from prefect_jupyter.storage.github import GitHub
from prefect_jupyter.storage.gitlab import GitLab
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

    A name that is not an importable storage class gives a warning naming the setting, and
    ``Local``.
    """
    import warnings

    from prefect_jupyter.configuration import config
    from prefect_jupyter.utilities.imports import import_object

    name = config.get("flows", {}).get("defaults", {}).get("storage", {}).get("default_class")
    if not name:
        return Local
    if isinstance(name, type) and issubclass(name, Storage):
        return name
    try:
        cls = import_object(str(name))
    except (ImportError, AttributeError, ValueError) as exc:
        cls, reason = None, f"it can't be imported ({exc})"
    else:
        reason = "it is not a Storage class"
    if isinstance(cls, type) and issubclass(cls, Storage):
        return cls
    warnings.warn(
        f"config flows.defaults.storage.default_class = {name!r} is ignored: {reason}. Using "
        "Local storage; set it to a storage class such as 'prefect_jupyter.storage.Local'.",
        stacklevel=2,
    )
    return Local
