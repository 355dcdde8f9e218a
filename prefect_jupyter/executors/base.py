"""The executor contract: ``start`` (a context manager), ``submit`` and ``wait``.

The flow runner calls ``submit(fn, *args, **kwargs)`` for each task run and gets back a future
(anything the executor understands); arguments may hold futures from earlier submissions, which
the executor resolves before calling ``fn``. (With the ``LocalExecutor``, whose ``submit`` is the
call ``fn(*args, **kwargs)`` itself, the flow runner makes that call directly; a subclass that
overrides ``submit`` is called as usual.) ``wait(futures)`` returns the same structure
(a future, or a dict/list/tuple of them) with every future replaced by its value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


class Executor:
    """Where task runs execute.

    The base class runs nothing: ``start`` does nothing and ``submit``/``wait`` raise
    ``NotImplementedError``; subclasses provide both.
    """

    def __repr__(self) -> str:
        return f"<Executor: {type(self).__name__}>"

    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        """Set up what the executor needs for one flow run, and tear it down afterwards."""
        yield

    @contextlib.contextmanager
    def forward_events(self, stream: Any, tasks_by_slug: dict[str, Any]) -> Iterator[Any]:
        """What task runs should publish state events to while this executor runs them.

        Executors whose task runs happen in this process pass the run's stream itself; those
        running elsewhere yield a picklable forwarder and deliver its messages to ``stream``.
        """
        yield stream

    def submit(self, fn: Callable, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` (eventually) and return a future for its value."""
        raise NotImplementedError(f"{type(self).__name__} does not implement submit().")

    def wait(self, futures: Any) -> Any:
        """Resolve every future in ``futures`` (a future or a dict/list/tuple of them)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement wait().")
