"""Temporary configuration changes, mainly for tests and notebook experiments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prefect_jupyter.configuration import Config, config
from prefect_jupyter.context import context
from prefect_jupyter.utilities.collections import as_nested_dict

__all__ = ["set_temporary_config"]

# A snapshot maps each key to its value and, for sections, the snapshot of that section.
_Snapshot = dict[str, tuple[Any, "_Snapshot | None"]]


def _snapshot(section: Config) -> _Snapshot:
    return {
        key: (value, _snapshot(value) if isinstance(value, Config) else None)
        for key, value in section.items()
    }


def _restore(section: Config, snapshot: _Snapshot) -> None:
    # Restore into the *same* section objects: code that kept `config.logging` (or `config`
    # itself) must see the old values again, not a stale copy.
    for key in [key for key in section if key not in snapshot]:
        del section[key]
    for key, (value, children) in snapshot.items():
        section[key] = value
        if children is not None:
            _restore(value, children)


@contextmanager
def set_temporary_config(temp_config: Mapping[str, Any]) -> Iterator[Config]:
    """Change configuration values for the duration of a `with` block.

    The shared `prefect_jupyter.config` object is changed in place, so every module that holds
    a reference to it (including `prefect_jupyter.context.config`) sees the new values; on exit
    every key, at every depth, gets its previous value back and added keys are removed, even if
    the block raised.

    Args:
        temp_config: Values to set. Keys are dotted paths (`"flows.checkpointing"`); missing
            sections are created. A mapping value replaces the whole section.

    Yields:
        The (modified) shared config.

    Example:
        ```python
        with set_temporary_config({"flows.checkpointing": True, "logging.level": "DEBUG"}):
            assert prefect_jupyter.config.flows.checkpointing is True
        ```
    """
    saved = _snapshot(config)
    try:
        for dotted, value in temp_config.items():
            *parents, leaf = dotted.split(".")
            section = config
            for part in parents:
                child = section.get(part)
                if not isinstance(child, Config):
                    child = section[part] = Config()
                section = child
            section[leaf] = as_nested_dict(value, Config) if isinstance(value, Mapping) else value

        if context.get("config") is config:
            yield config
        else:
            # A `with context(config=...)` overlay holds its own merged copy; layer the new
            # values over it so that code reading `context.config` sees them as well.
            with context(config=config):
                yield config
    finally:
        _restore(config, saved)
