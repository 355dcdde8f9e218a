"""``CodeCommit`` storage: a flow's script in an AWS CodeCommit repository, read with boto3."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, not_contained
from prefect_jupyter.utilities.storage import extract_flow_from_file

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["CodeCommit"]


class CodeCommit(Storage):
    """A flow's file in an AWS CodeCommit repository (Prefect 1's ``CodeCommit`` storage).

    The file must already be committed; loading reads it at ``commit`` through CodeCommit's
    file API (boto3, with the ``AWS_CREDENTIALS`` secret when set) and runs it to find the flow.

    Args:
        repo: the repository.
        path: the flow's file in the repository.
        commit: a branch or commit.
        client_options: boto3 client arguments (``endpoint_url``, ``region_name``, ...).
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.

    Example:
        >>> flow.storage = CodeCommit(repo="flows", path="etl/flow.py", commit="main")
    """

    def __init__(
        self,
        repo: str,
        path: str | None = None,
        commit: str | None = None,
        client_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        self.repo = repo
        self.path = path
        self.commit = commit
        self.client_options = client_options
        super().__init__(**kwargs)

    @cached_property
    def _boto3_client(self) -> Any:
        from prefect_jupyter.utilities.aws import get_boto_client

        return get_boto_client("codecommit", **(self.client_options or {}))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_boto3_client", None)  # a boto3 client is made again where the flow loads
        return state

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` at ``path`` (the file must already be in the repository).

        Raises:
            ValueError: for a second flow of the same name.
        """
        return self._record(flow, self.path)

    def get_flow(self, flow_name: str) -> Flow:
        """Read the flow's file at ``commit`` and load the flow ``flow_name`` from it.

        Raises:
            ValueError: if the flow is not in this storage.
            botocore.exceptions.ClientError: when the file can't be read (logged first).
        """
        if flow_name not in self.flows:
            raise not_contained(flow_name)
        location = self.flows[flow_name]
        self.logger.info("Downloading flow from CodeCommit %s:%s@%s", self.repo, location, self.commit)
        try:
            answer = self._boto3_client.get_file(
                repositoryName=self.repo, commitSpecifier=self.commit, filePath=location
            )
        except Exception as exc:  # boto3's errors are many; say which file, then re-raise
            self.logger.error("Error downloading flow from CodeCommit %s:%s: %s", self.repo, location, exc)
            raise
        content = answer["fileContent"]
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        return extract_flow_from_file(file_contents=text, flow_name=flow_name)
