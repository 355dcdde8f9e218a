"""Loading of `prefect_jupyter.config`, the process-wide configuration.

The configuration is built once, at import, in three layers; each later layer wins:

1. the packaged defaults, `prefect_jupyter/config.toml`;
2. the user's TOML file, `~/.prefect_jupyter/config.toml` or the path in the environment
   variable `PREFECT_JUPYTER__USER_CONFIG_PATH` (a missing file is fine);
3. environment variables `PREFECT_JUPYTER__SECTION__KEY=value`: each `__` descends one level and
   names are lower-cased (`PREFECT_JUPYTER__LOGGING__LEVEL` sets `config.logging.level`), except
   the names under `CONTEXT__SECRETS__`, which keep their case.

String values (from files and environment alike) then go through the same rules as Prefect 1:

- `~` and `$VARS` are expanded;
- the text is cast: `"true"`/`"false"` (any case) become booleans, and anything that is a Python
  literal (`"3"`, `"1.5"`, `"[1, 2]"`, `"{'a': 1}"`, `"None"`) becomes that value; everything
  else stays a string. Quote a value to keep it a string: `PREFECT_JUPYTER__X__Y='"5"'`.
  Unlike Prefect 1, environment values are cast once, not twice, which is what makes quoting work;
- `${section.key}` is replaced by the value of that key (if it is the whole string, the value
  keeps its type, so `port = "${server.port}"` is an int). References may nest:
  `"${${backend}.endpoint}"`. An unknown key is replaced by `""`.

Finally `tasks.defaults` is normalised: `max_retries = false` becomes 0, `retry_delay` and
`timeout` of `false` become `None`, and an integer `retry_delay` becomes a `timedelta`.
"""

from __future__ import annotations

import ast
import datetime
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from prefect_jupyter.utilities.collections import (
    CompoundKey,
    DotDict,
    dict_to_flatdict,
    flatdict_to_dict,
    merge_dicts,
)

__all__ = [
    "Config",
    "ConfigurationError",
    "config",
    "interpolate_config",
    "load_configuration",
    "load_default_config",
    "load_toml",
    "string_to_type",
    "to_environment_variables",
]

DEFAULT_CONFIG = os.path.join(os.path.dirname(__file__), "config.toml")
ENV_VAR_PREFIX = "PREFECT_JUPYTER"
USER_CONFIG_ENV_VAR = f"{ENV_VAR_PREFIX}__USER_CONFIG_PATH"
DEFAULT_USER_CONFIG = "~/.prefect_jupyter/config.toml"
# Prefect 1's `prefect.configuration.USER_CONFIG`: the user file this process reads (as set when
# the package was imported)
USER_CONFIG = os.environ.get(USER_CONFIG_ENV_VAR, DEFAULT_USER_CONFIG)

# `${key}` with no `$`, `{` or `}` inside, so nested references resolve from the inside out.
_REFERENCE = re.compile(r"\$\{([^${}]+)\}")
# Interpolation may chain (a -> b -> c); give up after this many rounds so cycles terminate.
_MAX_INTERPOLATION_ROUNDS = 10


class ConfigurationError(ValueError):
    """A configuration file or value that cannot be used."""


class Config(DotDict):
    """The configuration mapping: a `DotDict` whose sections are `Config`s too.

    Example:
        ```python
        from prefect_jupyter.configuration import config
        config.logging.level          # "INFO"
        config["flows"]["checkpointing"]  # False
        ```
    """

    def __new__(cls, *args: Any, default_box: bool = False, **kwargs: Any) -> Config:
        # Prefect 1's Config(default_box=True) (a python-box option): reading a missing
        # section makes it, so `c.tasks.defaults.max_retries = 0` works on an empty config
        return super().__new__(_AutoConfig if default_box and cls is Config else cls)

    def __init__(self, *args: Any, default_box: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def copy(self) -> Config:
        """Return a copy in which every section is a new `Config`.

        Changing keys of the copy, at any depth, leaves the original alone; the leaf values
        themselves are shared, not deep-copied.
        """
        new = type(self)()
        for key, value in self.__dict__.items():
            new.__dict__[key] = value.copy() if isinstance(value, Config) else value
        return new


class _AutoConfig(Config):
    """A `Config` made with ``default_box=True``: a missing section is made when read."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe dunders: never invent them
            raise AttributeError(name)
        section = self.__dict__[name] = _AutoConfig()
        return section


def string_to_type(value: str) -> Any:
    """Cast a configuration string to the value it spells.

    Args:
        value: Text from a TOML string or an environment variable.

    Returns:
        `True`/`False` for "true"/"false" in any case; the value of a Python literal
        (numbers, lists, dicts, tuples, quoted strings, `None`); otherwise `value` unchanged.

    Example:
        ```python
        string_to_type("TRUE"), string_to_type("4200"), string_to_type("INFO")
        # (True, 4200, 'INFO')
        ```
    """
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        # Not a literal (e.g. "INFO" or a log format string): it is meant as text.
        return value


def interpolate_env_vars(value: Any) -> Any:
    """Expand `~` and `$VARS` in a string until it stops changing; other values pass through."""
    if not isinstance(value, str) or not value:
        return value
    for _ in range(_MAX_INTERPOLATION_ROUNDS):
        expanded = os.path.expanduser(os.path.expandvars(value))
        if expanded == value:
            break
        value = expanded
    return value


def load_toml(path: str) -> dict[str, Any]:
    """Read a TOML file (`~` and `$VARS` in `path` are expanded).

    Raises:
        ConfigurationError: If the file is not valid TOML or cannot be read; the message names
            the file, the problem with its line and column, and how to fix it.
    """
    path = interpolate_env_vars(path)
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"The configuration file {path} is not valid TOML: {exc}. Fix that line (strings "
            'need quotes, e.g. level = "DEBUG"; sections look like [logging]), or point '
            f"{USER_CONFIG_ENV_VAR} at another file."
        ) from exc
    except OSError as exc:
        raise ConfigurationError(
            f"The configuration file {path} cannot be read: {exc.strerror or exc}. Fix its "
            f"permissions, or point {USER_CONFIG_ENV_VAR} at another file."
        ) from exc


def _env_var_overrides(prefix: str) -> dict[CompoundKey, Any]:
    """Collect `PREFIX__SECTION__KEY=value` environment variables as flat config entries."""
    start = f"{prefix}__"
    overrides: dict[CompoundKey, Any] = {}
    for name, raw in os.environ.items():
        if not name.startswith(start):
            continue
        parts = name[len(start) :].split("__")
        if not all(parts):
            continue  # "A____B" or a trailing "__" names no key
        lowered = [part.lower() for part in parts]
        if lowered[:2] == ["context", "secrets"] and len(parts) > 2:
            # Secret names are looked up verbatim (`PrefectSecret("MyToken")`), so keep their case.
            key = CompoundKey(["context", "secrets", *parts[2:]])
        else:
            key = CompoundKey(lowered)
        overrides[key] = string_to_type(interpolate_env_vars(raw))
    return overrides


def _resolve_references(flat: dict[CompoundKey, Any]) -> None:
    """Replace `${a.b}` references in string values, in place."""
    pending = {key for key, value in flat.items() if isinstance(value, str) and "${" in value}
    for _ in range(_MAX_INTERPOLATION_ROUNDS):
        if not pending:
            return
        for key in list(pending):
            value = flat[key]
            match = _REFERENCE.search(value) if isinstance(value, str) else None
            if match is None:
                pending.discard(key)
                continue
            referenced = flat.get(CompoundKey(match.group(1).split(".")), "")
            if match.group(0) == value:
                flat[key] = referenced  # the whole value is a reference: keep the type
            else:
                flat[key] = value.replace(match.group(0), str(referenced), 1)


def _section_paths(dct: Mapping, parent: tuple = ()) -> Iterable[tuple]:
    for key, value in dct.items():
        if isinstance(value, Mapping):
            yield (*parent, key)
            yield from _section_paths(value, (*parent, key))


def interpolate_config(config: Mapping, env_var_prefix: str | None = None) -> Config:
    """Turn a raw (TOML-loaded) mapping into a `Config`, applying the rules of this module.

    Args:
        config: Nested mapping, e.g. defaults merged with the user file.
        env_var_prefix: If given, `PREFIX__SECTION__KEY` environment variables override values.

    Returns:
        The interpolated configuration.
    """
    flat = dict_to_flatdict(config)
    for key, value in flat.items():
        if isinstance(value, str):
            flat[key] = string_to_type(interpolate_env_vars(value))
    if env_var_prefix:
        flat.update(_env_var_overrides(env_var_prefix))
    _resolve_references(flat)

    result = flatdict_to_dict(flat, dct_class=Config)
    # Flattening drops empty sections such as [context.secrets]; put them back so that
    # `config.context.secrets` exists even when no secret is set.
    for path in _section_paths(config):
        level = result
        for part in path:
            child = level.get(part)
            if not isinstance(child, Config):
                if part in level:
                    break  # an env var replaced this section by a plain value; keep it
                child = level[part] = Config()
            level = child
    return result


def validate_config(config: Config) -> None:
    """Reject keys that would hide `Config` methods (e.g. a key named `copy` or `items`).

    Raises:
        ConfigurationError: Naming the offending key path.
    """
    reserved = set(dir(Config))

    def check(section: Config, path: tuple[str, ...]) -> None:
        for key, value in section.items():
            if key in reserved:
                dotted = ".".join((*path, key))
                raise ConfigurationError(
                    f"Invalid configuration key {dotted!r}: {key!r} is the name of a Config "
                    "method, so the key would hide it. Rename the key in your config file "
                    "or environment variables."
                )
            if isinstance(value, Config):
                check(value, (*path, key))

    check(config, ())


def load_configuration(
    path: str,
    user_config_path: str | None = None,
    env_var_prefix: str | None = ENV_VAR_PREFIX,
) -> Config:
    """Load a configuration: `path`, updated by `user_config_path`, then by env vars.

    Args:
        path: The base TOML file.
        user_config_path: Optional TOML file merged over `path`; ignored if it does not exist.
        env_var_prefix: Prefix of the environment variables that override values; `None` or
            `""` turns environment overrides off.

    Returns:
        The interpolated, validated `Config`.

    Raises:
        ConfigurationError: If a file is malformed or a key shadows a `Config` method.
    """
    raw = load_toml(path)
    if user_config_path and os.path.isfile(interpolate_env_vars(user_config_path)):
        raw = merge_dicts(raw, load_toml(user_config_path))
    config = interpolate_config(raw, env_var_prefix=env_var_prefix)
    validate_config(config)
    return config


def process_task_defaults(config: Config) -> Config:
    """Normalise `config.tasks.defaults` (TOML has no null, so `false` stands for "unset")."""
    tasks = config.get("tasks")
    if not isinstance(tasks, Config):
        tasks = config["tasks"] = Config()
    defaults = tasks.get("defaults")
    if not isinstance(defaults, Config):
        defaults = tasks["defaults"] = Config()

    defaults["max_retries"] = defaults.get("max_retries") or 0
    retry_delay = defaults.get("retry_delay", False)
    if retry_delay is False or retry_delay is None:
        defaults["retry_delay"] = None
    elif isinstance(retry_delay, int | float) and not isinstance(retry_delay, bool):
        defaults["retry_delay"] = datetime.timedelta(seconds=retry_delay)
    if defaults.get("timeout", False) is False:
        defaults["timeout"] = None
    return config


def to_environment_variables(
    config: Mapping, include: Iterable[str] | None = None, prefix: str = ENV_VAR_PREFIX
) -> dict[str, str]:
    """Express a configuration as `PREFIX__SECTION__KEY` environment variables.

    Useful to hand the current configuration to a subprocess or a Dask worker.

    Args:
        config: The configuration (or any nested mapping).
        include: Dotted key paths to keep, e.g. `["logging.level"]`; all keys if not given.
        prefix: The variable prefix.

    Returns:
        Variable name to `str(value)`.
    """
    wanted = set(include) if include else None
    return {
        "__".join((prefix, *key)).upper(): str(value)
        for key, value in dict_to_flatdict(config).items()
        if wanted is None or ".".join(key) in wanted
    }


def load_default_config() -> Config:
    """Load the packaged defaults, the user file and the `PREFECT_JUPYTER__*` env vars."""
    user_config_path = os.environ.get(USER_CONFIG_ENV_VAR, DEFAULT_USER_CONFIG)
    loaded = load_configuration(DEFAULT_CONFIG, user_config_path, ENV_VAR_PREFIX)
    return process_task_defaults(loaded)


config: Config = load_default_config()
