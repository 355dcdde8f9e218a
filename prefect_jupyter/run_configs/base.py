"""``RunConfig``, the base of every run config, and ``UniversalRun`` (any agent, no settings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["RunConfig", "UniversalRun", "load_local_yaml", "is_local_path"]


class RunConfig:
    """The base of the run configs: environment variables and labels for a flow's runs.

    Args:
        env: extra environment variables for the flow run's process.
        labels: labels an agent must have to pick the flow's runs.
    """

    def __init__(self, env: dict | None = None, labels: Iterable[str] | None = None) -> None:
        if isinstance(labels, str):
            raise TypeError(
                f"{type(self).__name__}(labels=...) takes a list of labels, got the string "
                f"{labels!r}: write labels=[{labels!r}]."
            )
        self.env = env
        self.labels: set[str] = set(labels) if labels else set()

    def serialize(self) -> dict:
        """This run config as JSON (``RunConfigSchema``; needs the ``serialization`` extra)."""
        from prefect_jupyter.run_configs.schema import RunConfigSchema

        return RunConfigSchema().dump(self)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, RunConfig):
            return NotImplemented
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v not in (None, set()))
        return f"{type(self).__name__}({shown})"


class UniversalRun(RunConfig):
    """Run on any agent, with the agent's defaults; only environment variables and labels.

    Args:
        env: extra environment variables for the flow run's process.
        labels: labels an agent must have to pick the flow's runs.

    Example:
        >>> flow.run_config = UniversalRun(labels=["etl"])
    """


def is_local_path(path: str) -> bool:
    """Whether ``path`` names a file here (no scheme, ``file://`` or ``local://``), not a URL."""
    from prefect_jupyter.utilities.filesystems import parse_path

    return parse_path(path).scheme == "file"


def load_local_yaml(path: str, argument: str, owner: str) -> Any:
    """The YAML document in the local file ``path`` (given as ``owner(argument=path)``).

    Raises:
        ValueError: when the file can't be read or is not YAML, naming the argument.
    """
    import yaml

    from prefect_jupyter.utilities.filesystems import parse_path

    try:
        with open(parse_path(path).path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(
            f"{owner}({argument}={path!r}): the file can't be read as YAML ({exc}). Give the "
            "path of a readable YAML file, or a remote URL (s3://, gcs://, https://) that the "
            "agent reads."
        ) from exc
