"""``GitHub``, ``GitLab`` and ``Bitbucket`` storage: a flow's file in a hosted repo.

Kept for registration (Prefect 1's arguments, locations and JSON). Loading needs each host's
API client, which prefect_jupyter does not provide; :class:`~prefect_jupyter.storage.Git`
storage clones any of these repositories with plain ``git`` and loads the flow for real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, unavailable

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Bitbucket", "GitHub", "GitLab"]


class _HostedRepository:
    """A flow file in a repository that is read through its host's API (mixed into Storage)."""

    path: str | None
    client_needed = "the host's API client"

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` at ``path`` (the file must already be in the repository)."""
        return self._record(flow, self.path)  # type: ignore[attr-defined]

    def get_flow(self, flow_name: str) -> Flow:
        """Refused: use ``Git`` storage, which clones the repository with git."""
        raise unavailable(self, "load flows", self.client_needed)


class GitHub(_HostedRepository, Storage):
    """A flow's file in a GitHub repository (Prefect 1's ``GitHub`` storage).

    Args:
        repo: ``"owner/name"``.
        path: the flow's file in the repository.
        ref: a branch, tag or commit (default: the default branch).
        access_token_secret: the secret holding a GitHub access token.
        base_url: the API address of a GitHub Enterprise server.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    client_needed = "the GitHub API client (PyGithub)"

    def __init__(
        self,
        repo: str,
        path: str,
        ref: str | None = None,
        access_token_secret: str | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.repo = repo
        self.path = path
        self.ref = ref
        self.access_token_secret = access_token_secret
        self.base_url = base_url
        super().__init__(**kwargs)


class GitLab(_HostedRepository, Storage):
    """A flow's file in a GitLab repository (Prefect 1's ``GitLab`` storage).

    Args:
        repo: the project, ``"group/name"`` or its id.
        host: the GitLab server (default: gitlab.com).
        path: the flow's file in the repository.
        ref: a branch, tag or commit.
        access_token_secret: the secret holding a GitLab access token.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    client_needed = "the GitLab API client (python-gitlab)"

    def __init__(
        self,
        repo: str,
        host: str | None = None,
        path: str | None = None,
        ref: str | None = None,
        access_token_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.repo = repo
        self.host = host
        self.path = path
        self.ref = ref
        self.access_token_secret = access_token_secret
        super().__init__(**kwargs)


class Bitbucket(_HostedRepository, Storage):
    """A flow's file in a Bitbucket repository (Prefect 1's ``Bitbucket`` storage).

    Raises:
        ValueError: for both ``workspace`` (Bitbucket Cloud) and ``access_token_secret``
            (Bitbucket Server).

    Args:
        project: the Bitbucket project.
        repo: the repository.
        workspace: the Bitbucket Cloud workspace.
        host: the Bitbucket server.
        path: the flow's file in the repository.
        ref: a branch, tag or commit.
        access_token_secret: the secret holding a Bitbucket Server token.
        cloud_username_secret: the secret holding a Bitbucket Cloud user name.
        cloud_app_password_secret: the secret holding a Bitbucket Cloud app password.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    client_needed = "the Bitbucket API client (atlassian-python-api)"

    def __init__(
        self,
        project: str,
        repo: str,
        workspace: str | None = None,
        host: str | None = None,
        path: str | None = None,
        ref: str | None = None,
        access_token_secret: str | None = None,
        cloud_username_secret: str | None = None,
        cloud_app_password_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.project = project
        self.repo = repo
        self.workspace = workspace
        self.host = host
        self.path = path
        self.ref = ref
        self.access_token_secret = access_token_secret
        self.cloud_username_secret = cloud_username_secret
        self.cloud_app_password_secret = cloud_app_password_secret
        if workspace and access_token_secret:
            raise ValueError(
                "`access_token_secret` and `workspace` are both set: `workspace` is for "
                "Bitbucket Cloud, which authenticates with `cloud_username_secret` and "
                "`cloud_app_password_secret`; `access_token_secret` is for Bitbucket Server."
            )
        super().__init__(**kwargs)
