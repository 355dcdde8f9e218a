"""``CodeCommit`` storage at Prefect 1's path (defined with the other hosted repositories in :mod:`prefect_jupyter.storage.github`)."""

from prefect_jupyter.storage.github import CodeCommit

__all__ = ["CodeCommit"]
