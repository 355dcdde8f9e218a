"""Cloning a git repository into a temporary directory (Prefect 1's ``prefect.utilities.git``).

The clone uses the ``git`` command (no extra Python package); a token in the URL never appears
in an error message.

Example:
    >>> with TemporaryGitRepo("https://github.com/me/flows.git", tag="v1") as repo:
    ...     path = os.path.join(repo.temp_dir.name, "flows/etl.py")
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

__all__ = ["TemporaryGitRepo", "clone_repository"]


class TemporaryGitRepo:
    """A repository cloned into a temporary directory for the ``with`` block, then removed.

    Args:
        git_clone_url: what to clone (any URL git accepts, including ``file://`` paths).
        branch_name: a branch to check out (default: the default branch).
        tag: a tag to check out.
        commit: a commit to check out (the whole history is cloned to find it).
        clone_depth: how much history to clone (default 1).

    Raises:
        ValueError: for both ``tag`` and ``branch_name``.
    """

    def __init__(
        self,
        git_clone_url: str,
        branch_name: str | None = None,
        tag: str | None = None,
        commit: str | None = None,
        clone_depth: int = 1,
    ) -> None:
        if tag and branch_name:
            raise ValueError("Either `tag` or `branch_name` can be specified, but not both")
        self.git_clone_url = git_clone_url
        self.branch_name = branch_name
        self.tag = tag
        self.commit = commit
        self.clone_depth = clone_depth

    def __enter__(self) -> TemporaryGitRepo:
        self.temp_dir = tempfile.TemporaryDirectory(prefix="prefect-jupyter-git-")
        try:
            clone_repository(
                self.git_clone_url, self.temp_dir.name, branch=self.branch_name or self.tag,
                commit=self.commit, depth=self.clone_depth,
            )
        except BaseException:
            self.temp_dir.cleanup()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.temp_dir.cleanup()


def _redacted(url: str) -> str:
    # never show a token that sits in the URL
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def clone_repository(
    url: str, target: str, branch: str | None = None, commit: str | None = None, depth: int = 1
) -> None:
    """Clone ``url`` into the empty directory ``target`` at a branch/tag or a commit.

    Raises:
        prefect_jupyter.exceptions.FlowStorageError: when git is not installed or fails.
    """
    from prefect_jupyter.exceptions import FlowStorageError

    git = shutil.which("git")
    if git is None:
        raise FlowStorageError(
            "Git storage needs the `git` command to clone the flow's repository; install git "
            "where the flow runs."
        )
    clone = [git, "clone", "--quiet"]
    if commit is None:
        # a shallow clone only works over a transport; a plain local path is cloned whole
        if depth and "://" in url:
            clone += ["--depth", str(depth)]
        if branch:
            clone += ["--branch", branch]
    steps = [[*clone, url, target]]
    if commit is not None:
        steps.append([git, "-C", target, "checkout", "--quiet", commit])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
        if done.returncode != 0:
            raise FlowStorageError(
                f"Git storage: `git {step[1]}` of {_redacted(url)} failed: "
                f"{_redacted(done.stderr.strip())}"
            )
