"""``Docker`` storage: a flow baked into a Docker image (registration only here)."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, unavailable

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Docker"]


class Docker(Storage):
    """A flow pickled into a Docker image (Prefect 1's ``Docker`` storage).

    Kept for registration: arguments, validation, the flows' paths in the image and the JSON
    are Prefect 1's. Building and pushing images (docker-py) is not provided by prefect_jupyter.

    Args:
        registry_url: the registry to push to.
        base_image: the image to build from (not with ``dockerfile``).
        dockerfile: a Dockerfile to build from (not with ``base_image``).
        dockerignore: a .dockerignore for the build.
        python_dependencies: pip packages to install in the image.
        image_name: the image's name.
        image_tag: the image's tag.
        env_vars: environment variables of the image.
        files: ``{absolute local path: path in the image}`` to copy in.
        prefect_version: the version written with the storage (default: this package's).
        local_image: use an image that exists locally.
        ignore_healthchecks: skip the healthchecks during the build.
        base_url: the Docker daemon's address (default ``DOCKER_HOST`` or the local socket).
        tls_config: TLS settings for the daemon.
        build_kwargs: extra arguments for the build.
        prefect_directory: where flows go in the image (default ``/opt/prefect``).
        path: the flow's path in the image (default ``<prefect_directory>/flows/<name>.prefect``).
        stored_as_script: the flow is kept as its ``.py`` script.
        extra_dockerfile_commands: lines added to the generated Dockerfile.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.

    Raises:
        ValueError: for both ``base_image`` and ``dockerfile``, or relative ``files`` paths.
    """

    def __init__(  # noqa: PLR0913 - Prefect 1's signature
        self,
        registry_url: str | None = None,
        base_image: str | None = None,
        dockerfile: str | None = None,
        dockerignore: str | None = None,
        python_dependencies: list[str] | None = None,
        image_name: str | None = None,
        image_tag: str | None = None,
        env_vars: dict | None = None,
        files: dict | None = None,
        prefect_version: str | None = None,
        local_image: bool = False,
        ignore_healthchecks: bool = False,
        base_url: str | None = None,
        tls_config: Any = False,
        build_kwargs: dict | None = None,
        prefect_directory: str = "/opt/prefect",
        path: str | None = None,
        stored_as_script: bool = False,
        extra_dockerfile_commands: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        from prefect_jupyter import __version__

        if base_image and dockerfile:
            raise ValueError("Only one of `base_image` and `dockerfile` can be provided.")
        relative = [p for p in (files or {}) if not os.path.isabs(p)]
        if relative:
            raise ValueError(
                f"Provided paths {', '.join(relative)} are not absolute file paths, please "
                "provide absolute paths only."
            )
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        self.registry_url = registry_url
        self.base_image = base_image or (None if dockerfile else f"python:{python}-slim")
        self.dockerfile = dockerfile
        self.dockerignore = dockerignore
        self.python_dependencies = [*(python_dependencies or []), "wheel"]
        self.image_name = image_name
        self.image_tag = image_tag
        self.env_vars = dict(env_vars or {})
        self.files = dict(files or {})
        self.prefect_version = prefect_version or __version__
        self.local_image = local_image
        self.ignore_healthchecks = ignore_healthchecks
        default_daemon = "npipe:////./pipe/docker_engine" if sys.platform == "win32" else "unix://var/run/docker.sock"
        self.base_url = base_url or os.environ.get("DOCKER_HOST", default_daemon)
        self.tls_config = tls_config
        self.build_kwargs = dict(build_kwargs or {})
        self.prefect_directory = prefect_directory
        self.path = path
        self.extra_dockerfile_commands = extra_dockerfile_commands
        super().__init__(stored_as_script=stored_as_script, **kwargs)

    @property
    def name(self) -> str:
        """``registry/image:tag`` (what the image is called once built)."""
        image = "/".join(p for p in (self.registry_url, self.image_name) if p)
        return f"{image}:{self.image_tag}" if self.image_tag else image

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` at its path in the image."""
        slug = re.sub(r"[^a-z0-9]+", "-", flow.name.lower()).strip("-")
        return self._record(flow, self.path or f"{self.prefect_directory}/flows/{slug}.prefect")

    def build(self, push: bool = True) -> Storage:
        """Refused: building images needs docker-py and a Docker daemon."""
        raise unavailable(self, "build images", "docker-py and a Docker daemon")

    def get_flow(self, flow_name: str) -> Flow:
        """Refused: the flow is inside an image prefect_jupyter can't build or run."""
        raise unavailable(self, "load flows", "running the flow's Docker image")
