"""What to attach to a bug report (Prefect 1's ``prefect.utilities.diagnostics``).

Nothing secret leaves: configuration values and flow settings are reported only as whether they
are set (``True``/``False``), environment variables only by name, secrets at most by name.

Example:
    >>> print(diagnostic_info(flow))      # JSON: config overrides, env vars, system, flow
"""

from __future__ import annotations

import json
import os
import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = [
    "config_overrides",
    "diagnostic_info",
    "environment_variables",
    "flow_information",
    "system_information",
]

# this package's variables, and Prefect 1's (which it does not read: worth seeing in a report)
_ENV_PREFIXES = ("PREFECT_JUPYTER__", "PREFECT__")


def system_information() -> dict[str, Any]:
    """``{"system_information": {platform, prefect_version, prefect_backend, python_version}}``."""
    from prefect_jupyter import __version__
    from prefect_jupyter.configuration import config

    return {
        "system_information": {
            "platform": platform.platform(),
            "prefect_backend": config.get("backend"),
            "prefect_version": __version__,
            "python_version": platform.python_version(),
        }
    }


def config_overrides(include_secret_names: bool = False) -> dict[str, Any]:
    """``{"config_overrides": ...}``: the keys of the user configuration file whose values differ
    from the defaults, each as ``True``; ``secrets`` as ``False`` (or their names, each
    ``True``, with ``include_secret_names``)."""
    from prefect_jupyter import configuration

    # the file this process would read now: the environment variable when set, else the one
    # named at import (Prefect 1's `configuration.USER_CONFIG`)
    path = os.environ.get(configuration.USER_CONFIG_ENV_VAR) or configuration.USER_CONFIG
    path = os.path.expanduser(str(path))
    user = configuration.load_toml(path) if os.path.isfile(path) else {}
    defaults = configuration.load_toml(configuration.DEFAULT_CONFIG)
    overrides = _differences(user, defaults)
    if "secrets" in user:
        secrets = user["secrets"]
        overrides["secrets"] = (
            {name: True for name in secrets} if include_secret_names and isinstance(secrets, dict) else False
        )
    return {"config_overrides": overrides}


def _differences(user: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in user.items():
        default = defaults.get(key) if isinstance(defaults, dict) else None
        if isinstance(value, dict):
            inner = _differences(value, default if isinstance(default, dict) else {})
            if inner:
                found[key] = inner
        elif key not in defaults or value != default:
            found[key] = True
    return found


def environment_variables() -> dict[str, Any]:
    """``{"env_vars": [names]}``: the names of ``PREFECT_JUPYTER__*`` (and Prefect 1's
    ``PREFECT__*``) environment variables, never their values."""
    return {"env_vars": sorted(name for name in os.environ if name.startswith(_ENV_PREFIXES))}


def flow_information(flow: Flow) -> dict[str, Any]:
    """``{"flow_information": ...}``: the types of the flow's run config, storage, result and
    schedule, with each of their settings as set or not, and its number of tasks."""
    return {
        "flow_information": {
            "environment": False,  # Prefect 1's environments are gone in 1.x: run configs instead
            "run_config": _described(flow.run_config),
            "storage": _described(flow.storage),
            "result": _described(flow.result),
            "schedule": _described(flow.schedule),
            "task_count": len(flow.tasks),
        }
    }


def _described(obj: Any) -> dict[str, Any] | bool:
    if obj is None:
        return False
    serialize = getattr(obj, "serialize", None)
    fields = dict(serialize()) if callable(serialize) else {
        k: v for k, v in vars(obj).items() if not k.startswith("_")
    }
    fields.pop("__version__", None)
    fields.pop("type", None)
    return {"type": type(obj).__name__, **{key: bool(value) for key, value in fields.items()}}


def diagnostic_info(flow: Flow | None = None, include_secret_names: bool = False) -> str:
    """All of the above (``flow_information`` only with a flow) as indented JSON."""
    info = {
        **config_overrides(include_secret_names=include_secret_names),
        **environment_variables(),
        **system_information(),
        **(flow_information(flow) if flow is not None else {}),
    }
    return json.dumps(info, indent=4, sort_keys=True)
