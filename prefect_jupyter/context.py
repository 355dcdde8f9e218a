"""`prefect_jupyter.context`: per-thread key/value data available while flows and tasks run.

Values can be read as attributes (`context.task_name`) or items (`context["task_name"]`), or with
`context.get("task_name", default)`. The runners add values with `with context(...)` blocks, which
put everything back as it was when they exit: keys added inside the block (by the overlay or by
code that assigned to `context` directly) are removed and changed keys get their old values.

Each thread has its own contents. A thread starts from the configuration defaults: the keys of
`config.context` (including `secrets`, from `[context.secrets]`) plus `config`, the shared
configuration object itself.

During runs the engine provides keys such as `flow_name`, `flow_run_id`, `parameters`,
`scheduled_start_time`, `date`, `today`, `task_name`, `task_full_name`, `task_slug`,
`task_tags`, `map_index`, `task_run_count`, `task_loop_count`, `task_loop_result`, `logger`
and `raise_on_exception` (see `prefect_jupyter.utilities.debug.raise_on_exception`).

Example:
    ```python
    from prefect_jupyter import context

    with context(a=1, b=2):
        context.a                 # 1
    context.get("a", "unset")     # "unset"
    ```

Changing context from inside a task is discouraged: it does not carry over to other tasks when
they run in other threads or processes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from prefect_jupyter.configuration import Config, config
from prefect_jupyter.utilities.collections import DotDict, as_nested_dict, merge_dicts

__all__ = ["Context", "context"]


def _merged_config(base: Any, overrides: Any) -> Any:
    """Layer a (possibly partial) config mapping over `base`, returning a new `Config`."""
    if overrides is base or not isinstance(overrides, Mapping):
        return overrides  # e.g. `context(config=config)` while context.config is config already
    if not isinstance(base, Config):
        # e.g. a snapshot made with `context.to_dict()` and put back with `context.update()`
        base = as_nested_dict(base, Config) if isinstance(base, Mapping) else Config()
    return merge_dicts(base, as_nested_dict(overrides, Config))


class Context(DotDict, threading.local):
    """A per-thread `DotDict` that also works as a context manager for temporary values.

    Args:
        *args: An optional mapping of initial values.
        **kwargs: Further initial values. A `config` value is merged over the global config.

    Example:
        ```python
        ctx = Context(a=1)
        with ctx({"b": 2}, c=3) as inner:
            assert inner is ctx and ctx.b == 2
        assert "b" not in ctx
        ```
    """

    def __init__(self, *args: Mapping[str, Any], **kwargs: Any) -> None:
        # threading.local runs __init__ again, with these same arguments, the first time each
        # new thread touches the object; that is how new threads start from the defaults.
        initial: dict[str, Any] = dict(config.get("context") or {})
        initial.update(dict(*args, **kwargs))
        given = initial.get("config")
        initial["config"] = (
            config if given is None or given is config else _merged_config(config, given)
        )
        super().__init__(initial)

    def __call__(self, *args: Mapping[str, Any], **kwargs: Any) -> ContextOverlay:
        """Return a context manager that overlays `dict(*args, **kwargs)` on this context.

        A `config` value is merged over the current `context.config` rather than replacing it.
        """
        # `kwargs` is already a fresh dict with string keys (Python checks that when it is made);
        # only a mapping passed positionally needs building and checking.
        if not args:
            return ContextOverlay(self, kwargs)
        values = dict(*args, **kwargs)
        for key in values:
            if not isinstance(key, str):
                raise TypeError(f"Context keys must be strings, got {key!r}.")
        return ContextOverlay(self, values)

    def __reduce__(self) -> Any:
        # The context is per process and per thread: a pickled reference to it (a task function
        # that uses `context`, shipped to a worker) must become the worker's own context there.
        if self is context:
            return "context"
        raise TypeError(
            "A Context other than prefect_jupyter.context cannot be pickled: its contents differ "
            "per thread. Pass the values you need instead of the object."
        )

    def __repr__(self) -> str:
        return "<Context>"


class ContextOverlay:
    """The context manager returned by `Context.__call__`; it yields the context itself.

    A small class rather than `@contextmanager`: the engine enters one per task run, and this
    avoids the generator machinery of `@contextmanager` (about 40% cheaper when measured).
    """

    __slots__ = ("_context", "_values", "_state", "_previous")

    def __init__(self, context: Context, values: dict[str, Any]) -> None:
        self._context = context
        self._values = values

    def __enter__(self) -> Context:
        ctx = self._context
        # Hold on to this thread's storage so that __exit__ restores exactly what we changed.
        state = ctx.__dict__
        values = self._values
        given = values.get("config", state)  # `state`: no config given
        if given is not state and given is not state.get("config"):
            values = {**values, "config": _merged_config(state.get("config"), given)}
        self._state = state
        self._previous = state.copy()
        state.update(values)
        return ctx

    def __exit__(self, *exc_info: object) -> None:
        state = self._state
        state.clear()
        state.update(self._previous)


context = Context()
