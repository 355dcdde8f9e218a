"""``Git`` storage: the flow's ``.py`` file in a git repository, cloned where the flow runs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, not_contained

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Git"]


class Git(Storage):
    """A flow kept as a ``.py`` file in a git repository; loading clones the repository.

    The clone uses the ``git`` command. The URL is ``git_clone_url_secret_name``'s secret if
    given (any URL git accepts, including a local ``file://`` path), else
    ``https://<token>@<repo_host>/<repo>.git`` (``git@<repo_host>:<repo>.git`` with
    ``use_ssh``), the token read from the ``git_token_secret_name`` secret.

    Args:
        flow_path: the flow's file, relative to the repository's root.
        repo: ``"owner/name"`` on ``repo_host``.
        repo_host: the git host (default ``"github.com"``).
        flow_name: which flow of the file to load (default: the one registered).
        git_token_secret_name: the secret holding an access token.
        git_token_username: the token's user (default: the owner part of ``repo``).
        git_clone_url_secret_name: the secret holding the whole clone URL.
        branch_name: the branch to load from (default: the default branch).
        tag: a tag to load from.
        commit: a commit to load from.
        clone_depth: how much history to clone (default 1).
        use_ssh: clone over SSH.
        format_access_token: write the token as ``user:token`` in the URL.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.

    Raises:
        ValueError: for more than one of ``branch_name``/``tag``/``commit``, or neither
            ``repo`` nor ``git_clone_url_secret_name``.
    """

    def __init__(
        self,
        flow_path: str,
        repo: str | None = None,
        repo_host: str = "github.com",
        flow_name: str | None = None,
        git_token_secret_name: str | None = None,
        git_token_username: str | None = None,
        git_clone_url_secret_name: str | None = None,
        branch_name: str | None = None,
        tag: str | None = None,
        commit: str | None = None,
        clone_depth: int = 1,
        use_ssh: bool = False,
        format_access_token: bool = True,
        **kwargs: Any,
    ) -> None:
        if sum(bool(ref) for ref in (branch_name, tag, commit)) > 1:
            raise ValueError(
                "Please provide only one of the following parameters: `branch_name`, `tag`, "
                "`commit`"
            )
        if repo is None and git_clone_url_secret_name is None:
            raise ValueError("Either `repo` or `git_clone_url_secret_name` must be provided")
        self.flow_path = flow_path
        self.repo = repo
        self.repo_host = repo_host
        self.flow_name = flow_name
        self.git_token_secret_name = git_token_secret_name
        self.git_clone_url_secret_name = git_clone_url_secret_name
        self.git_token_username = git_token_username or (repo.split("/")[0] if repo else None)
        self.branch_name = branch_name
        self.tag = tag
        self.commit = commit
        self.clone_depth = clone_depth
        self.use_ssh = use_ssh
        self.format_access_token = format_access_token
        super().__init__(**kwargs)
        if use_ssh and git_token_secret_name is not None:
            self.logger.warning(
                "Git storage: use_ssh=True clones over SSH, so git_token_secret_name is ignored."
            )

    @property
    def git_token_secret(self) -> str:
        """The access token as it goes into the URL (``user:token``), or ``""``."""
        if self.git_token_secret_name is None:
            return ""
        from prefect_jupyter.client.secrets import Secret

        token = Secret(self.git_token_secret_name).get()
        return f"{self.git_token_username}:{token}" if self.format_access_token else str(token)

    @property
    def git_clone_url(self) -> str:
        """The URL the repository is cloned from."""
        from prefect_jupyter.client.secrets import Secret

        if self.git_clone_url_secret_name:
            return str(Secret(self.git_clone_url_secret_name).get())
        if self.use_ssh:
            return f"git@{self.repo_host}:{self.repo}.git"
        token = self.git_token_secret
        return f"https://{token + '@' if token else ''}{self.repo_host}/{self.repo}.git"

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow``; its location is ``flow_path`` (commit and push the file yourself).

        Raises:
            ValueError: for a second flow of the same name.
        """
        return self._record(flow, self.flow_path)

    def get_flow(self, flow_name: str) -> Flow:
        """Clone the repository into a temporary directory and load the flow from its file.

        Raises:
            ValueError: if the flow is not in this storage, or not in the file.
            prefect_jupyter.exceptions.FlowStorageError: when git is missing or the clone fails.
        """
        from prefect_jupyter.utilities.git import TemporaryGitRepo
        from prefect_jupyter.utilities.storage import extract_flow_from_file

        if flow_name not in self.flows:
            raise not_contained(flow_name)
        with TemporaryGitRepo(
            self.git_clone_url, branch_name=self.branch_name, tag=self.tag, commit=self.commit,
            clone_depth=self.clone_depth,
        ) as repo:
            path = os.path.join(repo.temp_dir.name, self.flow_path)
            if not os.path.isfile(path):
                raise ValueError(
                    f"Git storage: the repository has no file {self.flow_path!r} "
                    f"(ref {self.branch_name or self.tag or self.commit or 'default branch'})."
                )
            return extract_flow_from_file(file_path=path, flow_name=self.flow_name or flow_name)
