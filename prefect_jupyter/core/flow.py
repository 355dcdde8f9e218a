"""The ``Flow``: a graph of tasks and the edges between them.

``Flow`` only keeps the graph. Running it lives in :mod:`prefect_jupyter.engine.flow_runner`,
drawing in :mod:`prefect_jupyter.viz`; Prefect 1's methods that hand over to them (``run``,
``visualize``, ``save``, ``register``, ...) are mixed in from :mod:`.flow_surface`.

The graph keeps per-task adjacency (upstream and downstream edges) up to date on every change, so
that building a flow of 100,000 tasks stays linear and ``edges_to``/``edges_from`` are lookups.
Whole-graph answers (sorted, root, terminal and reference tasks, parameters, all edges) are memoized in
``flow._cache`` (keyed as Prefect 1 keys it: ``(method name, ((argument, value), ...))``) until
the graph changes.

Example:
    >>> from prefect_jupyter import Flow, Parameter, task
    >>> @task
    ... def say_hello(name):
    ...     print(f"Hello, {name}!")
    >>> with Flow("My First Flow") as flow:
    ...     name = Parameter("name")
    ...     say_hello(name)
    >>> state = flow.run(name="world")
"""

from __future__ import annotations

import collections
import copy as _copy
import functools
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context
from prefect_jupyter.core import ordering
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.core.flow_surface import FlowSurface
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task


def _memoized(method: Callable) -> Callable:
    """Keep ``method``'s answer in ``flow._cache`` until the graph changes (see the module doc).

    Callers get a copy of a cached set or dict, so changing what they were given never changes
    the cache.
    """

    @functools.wraps(method)
    def wrapper(self: Flow, **kwargs: Any) -> Any:
        key = (method.__name__, tuple(kwargs.items()))
        # setdefault: a flow pickled before the memo existed (a stored, registered flow) has none
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = method(self, **kwargs)
        return _fresh(cache[key])

    return wrapper


def _fresh(value: Any) -> Any:
    if isinstance(value, set):
        return set(value)
    if isinstance(value, dict):
        return {k: set(v) if isinstance(v, set) else v for k, v in value.items()}
    return value


class Flow(FlowSurface):
    """A named graph of tasks.

    Args:
        name: the flow's name.
        schedule: a ``Schedule`` deciding when ``flow.run()`` runs it.
        executor: the default executor for ``flow.run()``.
        run_config: how a backend agent runs it (kept for registration).
        storage: where a backend finds its code (kept for registration).
        tasks: tasks to add at once.
        edges: edges to add at once.
        reference_tasks: tasks whose states decide the flow's state (default: terminal tasks).
        state_handlers: functions ``(flow, old_state, new_state) -> state`` called on each change.
        on_failure: a function ``(flow, state)`` called when the flow run fails.
        validate: check the graph after adding ``tasks``/``edges`` (default: config).
        result: the default ``Result`` for tasks that have none.
        terminal_state_handler: ``(flow, state, reference_task_states) -> state`` to override the
            final state.
    """

    def __init__(
        self,
        name: str,
        schedule: Any = None,
        executor: Any = None,
        run_config: Any = None,
        storage: Any = None,
        tasks: Iterable[Task] | None = None,
        edges: Iterable[Edge] | None = None,
        reference_tasks: Iterable[Task] | None = None,
        state_handlers: list[Callable] | None = None,
        on_failure: Callable | None = None,
        validate: bool | None = None,
        result: Any = None,
        terminal_state_handler: Callable | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            # ValueError, as Prefect 1 raises for a missing name
            raise ValueError(f"A Flow needs a name (a non-empty string), got {name!r}.")
        if state_handlers is not None and not isinstance(state_handlers, (list, tuple)):
            raise TypeError("state_handlers should be iterable.")
        self.name = name
        self.schedule = schedule
        self.executor = executor
        self.run_config = run_config
        self.storage = storage
        self.result = result
        self.terminal_state_handler = terminal_state_handler
        self.state_handlers = list(state_handlers or [])
        if on_failure is not None:
            from prefect_jupyter.core.task_checks import on_failure_handler

            self.state_handlers.append(on_failure_handler(on_failure))

        self.tasks: set[Task] = set()
        self.edges: set[Edge] = set()
        self.constants: collections.defaultdict[Task, dict[str, Any]] = collections.defaultdict(dict)
        self.slugs: dict[Task, str] = {}
        self._order: dict[Task, int] = {}
        self._upstream: dict[Task, set[Edge]] = {}
        self._downstream: dict[Task, set[Edge]] = {}
        self._slug_counters: collections.defaultdict[str, Iterator[int]] = collections.defaultdict(
            lambda: itertools.count(1)
        )
        self._cache: dict[Any, Any] = {}
        self._reference_tasks: set[Task] = set()

        for t in tasks or []:
            self.add_task(t)
        for e in edges or []:
            self.add_edge(
                e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                flattened=e.flattened, validate=False,
            )
        self.set_reference_tasks(reference_tasks or [])
        if validate if validate is not None else config.flows.eager_edge_validation:
            self.validate()

    def __repr__(self) -> str:
        return f'<Flow: name="{self.name}">'

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        assert isinstance(other, Flow)
        return (
            self.name == other.name
            and self.tasks == other.tasks
            and self.edges == other.edges
            and self.reference_tasks() == other.reference_tasks()
        )

    __hash__ = object.__hash__

    def __iter__(self) -> Iterator[Task]:
        return iter(self.sorted_tasks())

    def __enter__(self) -> Flow:
        # the block is a context overlay (as Prefect 1's): what the block sets in `context` is
        # undone when it ends, and nested flows nest
        overlay = context(flow=self, _unused_task_tracker=set())
        overlay.__enter__()
        self.__dict__.setdefault("_context_overlays", []).append(overlay)
        return self

    def __exit__(self, *exc: object) -> None:
        unused = context.get("_unused_task_tracker") or set()
        overlays = self.__dict__.get("_context_overlays") or []
        if overlays:
            overlays.pop().__exit__(*exc)
        if not overlays:
            self.__dict__.pop("_context_overlays", None)
        unused = {t for t in unused if t not in self.tasks}
        if unused and not exc[0]:
            import warnings

            names = ", ".join(sorted(repr(t) for t in unused))
            warnings.warn(
                f"Tasks were created but not added to the flow: {names}. A task made inside "
                f"`with Flow(...)` only joins the flow when it is called (e.g. `t = MyTask()` "
                "then `t()`), used as another task's input, or added with flow.add_task(t).",
                stacklevel=2,
            )

    @property
    def logger(self) -> logging.Logger:
        """The flow's logger: ``get_logger(flow.name)`` unless one was assigned."""
        from prefect_jupyter.utilities.logging import get_logger

        return self.__dict__.get("_logger") or get_logger(self.name)

    @logger.setter
    def logger(self, value: logging.Logger) -> None:
        self.__dict__["_logger"] = value

    def _changed(self) -> None:
        self.__dict__.setdefault("_cache", {}).clear()

    # -- tasks -----------------------------------------------------------------------------------
    def add_task(self, task: Task) -> Task:
        """Add ``task`` (once; adding it again does nothing).

        Raises:
            TypeError: if ``task`` is not a ``Task``.
            ValueError: if another task has the same slug, or another parameter the same name.
        """
        if not isinstance(task, Task):
            raise TypeError(
                f"Tasks must be Task instances (received {type(task)}). Make a function a task "
                "with @task, or pass a value as a task argument instead."
            )
        if task in self.tasks:
            return task
        if isinstance(task, Parameter):
            clash = next((p for p in self.parameters() if p.name == task.name), None)
            if clash is not None:
                raise ValueError(
                    f'A task with the slug "{task.name}" already exists in this flow: flow '
                    f'"{self.name}" already has a parameter named "{task.name}", and parameter '
                    "names must be unique within a flow. Rename one of them, or reuse the "
                    "existing Parameter object."
                )
        if task.slug and task.slug in self.slugs.values():
            raise ValueError(
                f'A task with the slug "{task.slug}" already exists in this flow. Give the task '
                "a different slug (or none, to have one generated)."
            )
        self.slugs[task] = task.slug or self._generate_task_slug(task)
        self.tasks.add(task)
        self._order[task] = len(self._order)
        tracker = context.get("_unused_task_tracker")
        if tracker is not None:
            tracker.discard(task)
        self._upstream[task] = set()
        self._downstream[task] = set()
        self._changed()
        if not isinstance(task, Parameter) and not _is_constant_task(task):
            for key in ("case", "resource"):
                block = context.get(key)
                if block is not None:
                    block.add_task(task, self)
        return task

    def _generate_task_slug(self, task: Task) -> str:
        prefix = "-".join([task.name, *sorted(task.tags)])
        taken = set(self.slugs.values())
        while True:
            slug = f"{prefix}-{next(self._slug_counters[prefix])}"
            if slug not in taken:
                return slug

    def get_tasks(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Iterable[str] | None = None,
        task_type: type | None = None,
    ) -> list[Task]:
        """The tasks matching every given criterion (all tasks when none is given)."""
        wanted_tags = set(tags or ())
        return [
            t
            for t in self.sorted_tasks()
            if (name is None or t.name == name)
            and (slug is None or self.slugs.get(t) == slug)
            and wanted_tags <= t.tags
            and (task_type is None or isinstance(t, task_type))
        ]

    @_memoized
    def parameters(self) -> set[Parameter]:
        """The flow's parameters."""
        return {t for t in self.tasks if isinstance(t, Parameter)}

    @_memoized
    def root_tasks(self) -> set[Task]:
        """Tasks with no upstream edges."""
        return {t for t in self.tasks if not self._upstream[t]}

    @_memoized
    def terminal_tasks(self) -> set[Task]:
        """Tasks with no downstream edges."""
        return {t for t in self.tasks if not self._downstream[t]}

    def reference_tasks(self) -> set[Task]:
        """The tasks whose states decide the flow run's state.

        By default the terminal tasks, not counting resource-manager cleanup (and init) tasks
        (see ``Task.flow_role``).
        """
        if self._reference_tasks:
            return set(self._reference_tasks)
        return self._default_reference_tasks()

    @_memoized
    def _default_reference_tasks(self) -> set[Task]:
        # plain loops over the edge map: every flow run asks this once per task
        found = set()
        for t in self.tasks:
            if t.flow_role in ("resource", "cleanup"):
                continue
            for edge in self._downstream[t]:
                if edge.downstream_task.flow_role != "cleanup":
                    break
            else:
                found.add(t)
        return found

    def set_reference_tasks(self, tasks: Iterable[Task]) -> None:
        """Make ``tasks`` decide the flow run's state.

        Raises:
            ValueError: if a task is not in the flow.
        """
        tasks = set(tasks)
        missing = tasks - self.tasks
        if missing:
            names = ", ".join(sorted(t.name for t in missing))
            raise ValueError(
                f"reference tasks must be part of the flow: {names} not found. Add them first "
                "(flow.add_task) or build them inside the flow."
            )
        self._reference_tasks = tasks
        self._changed()

    # -- edges -----------------------------------------------------------------------------------
    def add_edge(
        self,
        upstream_task: Any,
        downstream_task: Any,
        key: str | None = None,
        mapped: bool = False,
        flattened: bool = False,
        validate: bool | None = None,
    ) -> Edge:
        """Add an edge; non-task ends are turned into tasks (constants into ``flow.constants``).

        Raises:
            ValueError: for an edge into a parameter, a key already bound, or (when validating)
                a cycle.
        """
        if validate is None:
            validate = config.flows.eager_edge_validation
        if mapped and context.get("mapped", False):
            raise ValueError("Cannot set `mapped=True` when running from inside a mapped context")
        if isinstance(downstream_task, Parameter):
            raise ValueError("Parameters must be root tasks and can not have upstream dependencies.")
        edge = Edge(upstream_task, downstream_task, key=key, mapped=mapped, flattened=flattened, flow=self)
        if _is_constant_task(edge.upstream_task) and edge.key and not edge.mapped and not edge.flattened:
            self.add_task(edge.downstream_task)
            self.constants[edge.downstream_task][edge.key] = edge.upstream_task.value
            return edge
        self.add_task(edge.upstream_task)
        self.add_task(edge.downstream_task)
        if key is not None and any(e.key == key for e in self._upstream[edge.downstream_task]):
            raise ValueError(
                f'Argument "{key}" for task {edge.downstream_task} has already been assigned in '
                "this flow. If you are trying to call the task again with new arguments, call "
                "Task.copy() before adding the result to this flow."
            )
        self.edges.add(edge)
        self._upstream[edge.downstream_task].add(edge)
        self._downstream[edge.upstream_task].add(edge)
        self._changed()
        if validate:
            if key is not None:
                import inspect

                keys = {e.key: None for e in self._upstream[edge.downstream_task] if e.key}
                inspect.signature(edge.downstream_task.run).bind_partial(**keys)
            self.validate()
        return edge

    def set_dependencies(
        self,
        task: Any,
        upstream_tasks: Iterable[Any] | None = None,
        downstream_tasks: Iterable[Any] | None = None,
        keyword_tasks: dict[str, Any] | None = None,
        mapped: bool = False,
        validate: bool | None = None,
    ) -> None:
        """Add ``task`` with upstream, downstream and keyword (data) dependencies."""
        from prefect_jupyter.core.task_values import as_task

        task = as_task(task, flow=self)
        if not isinstance(task, Task):
            raise TypeError(f"set_dependencies needs a task, got {task!r}.")
        self.add_task(task)
        for t in upstream_tasks or []:
            self.add_edge(t, task, mapped=mapped, validate=validate)
        for t in downstream_tasks or []:
            self.add_edge(task, t, validate=validate)
        for key, t in (keyword_tasks or {}).items():
            self.add_edge(t, task, key=key, mapped=mapped, validate=validate)

    def chain(self, *tasks: Any, validate: bool | None = None) -> list[Edge]:
        """Add edges so that ``tasks`` run one after another; returns the edges."""
        return [self.add_edge(a, b, validate=validate) for a, b in itertools.pairwise(tasks)]

    def edges_to(self, task: Task) -> set[Edge]:
        """Edges ending at ``task``.

        Raises:
            ValueError: if ``task`` is not in the flow.
        """
        try:
            return set(self._upstream[task])
        except KeyError:
            raise ValueError(f"Task {task} was not found in Flow {self}") from None

    def edges_from(self, task: Task) -> set[Edge]:
        """Edges starting at ``task``.

        Raises:
            ValueError: if ``task`` is not in the flow.
        """
        try:
            return set(self._downstream[task])
        except KeyError:
            raise ValueError(f"Task {task} was not found in Flow {self}") from None

    def upstream_tasks(self, task: Task) -> set[Task]:
        """Tasks with an edge into ``task``."""
        return {e.upstream_task for e in self.edges_to(task)}

    def downstream_tasks(self, task: Task) -> set[Task]:
        """Tasks with an edge from ``task``."""
        return {e.downstream_task for e in self.edges_from(task)}

    @_memoized
    def all_upstream_edges(self) -> dict[Task, set[Edge]]:
        """Every task mapped to the edges ending at it."""
        return {t: set(edges) for t, edges in self._upstream.items()}

    @_memoized
    def all_downstream_edges(self) -> dict[Task, set[Edge]]:
        """Every task mapped to the edges starting at it."""
        return {t: set(edges) for t, edges in self._downstream.items()}

    # -- order and checks ------------------------------------------------------------------------
    def sorted_tasks(self, root_tasks: Iterable[Task] | None = None) -> tuple[Task, ...]:
        """The tasks in an order where every task comes after its upstream tasks.

        With ``root_tasks``, only those tasks and everything downstream of them.

        Raises:
            ValueError: if the graph has a cycle (naming the tasks on it).
        """
        return self._sorted_tasks(root_tasks=tuple(root_tasks or ()))

    @_memoized
    def _sorted_tasks(self, root_tasks: tuple[Task, ...] = ()) -> tuple[Task, ...]:
        roots = root_tasks
        if not roots:
            return self._toposort(self.tasks)
        for t in roots:
            if t not in self.tasks:
                raise ValueError(f"Task {t} was not found in Flow {self}")
        wanted: set[Task] = set()
        todo = list(roots)
        while todo:
            t = todo.pop()
            if t not in wanted:
                wanted.add(t)
                todo.extend(e.downstream_task for e in self._downstream[t])
        return self._toposort(wanted)

    def _toposort(self, tasks: set[Task]) -> tuple[Task, ...]:
        return ordering.toposort(tasks, self._order, self._upstream, self._downstream, self.name)

    def validate(self) -> None:
        """Check that edges and reference tasks belong to the flow and that there is no cycle.

        Raises:
            ValueError: naming what is wrong.
        """
        for e in self.edges:
            if e.upstream_task not in self.tasks or e.downstream_task not in self.tasks:
                raise ValueError("Some edges refer to tasks not contained in this flow.")
        self._changed()
        self.sorted_tasks()
        if any(t not in self.tasks for t in self.reference_tasks()):
            raise ValueError("Some reference tasks are not contained in this flow.")

    # -- whole-flow operations -------------------------------------------------------------------
    def copy(self) -> Flow:
        """A copy with its own task, edge and constant collections (the tasks are shared)."""
        new = _copy.copy(self)
        new.__dict__.pop("_context_overlays", None)  # the copy is not inside a ``with`` block
        new.tasks = set(self.tasks)
        new.edges = set(self.edges)
        new.constants = collections.defaultdict(dict, {t: dict(c) for t, c in self.constants.items()})
        new.slugs = dict(self.slugs)
        new._order = dict(self._order)
        new._upstream = {t: set(es) for t, es in self._upstream.items()}
        new._downstream = {t: set(es) for t, es in self._downstream.items()}
        new._reference_tasks = set(self._reference_tasks)
        new.state_handlers = list(self.state_handlers)
        new._cache = {}
        new._slug_counters = collections.defaultdict(lambda: itertools.count(1))
        return new

    def update(
        self,
        flow: Flow,
        merge_parameters: bool = False,
        validate: bool | None = None,
        merge_reference_tasks: bool = False,
    ) -> None:
        """Add every task, edge and constant of ``flow`` to this one.

        Args:
            merge_parameters: when both flows have a parameter of the same name, ``flow``'s
                parameter replaces this flow's (as in Prefect 1), taking over its edges.
            merge_reference_tasks: add ``flow``'s reference tasks to this flow's.
        """
        if merge_parameters:
            theirs = {p.name: p for p in flow.parameters()}
            for p in list(self.parameters()):
                if p.name in theirs and theirs[p.name] is not p:
                    self.replace(p, theirs[p.name], validate=False)
        for t in flow.sorted_tasks():
            self.add_task(t)
        for e in flow.edges:
            if e not in self.edges:
                self.add_edge(
                    e.upstream_task, e.downstream_task,
                    key=e.key, mapped=e.mapped, flattened=e.flattened, validate=False,
                )
        for t, consts in flow.constants.items():
            self.constants[t].update(consts)
        if merge_reference_tasks:
            self.set_reference_tasks(self.reference_tasks() | flow.reference_tasks())
        if validate if validate is not None else config.flows.eager_edge_validation:
            self.validate()

    def replace(self, old: Task, new: Task, validate: bool = True) -> None:
        """Put ``new`` in place of ``old``, keeping ``old``'s edges (and reference status)."""
        from prefect_jupyter.core.task_values import as_task

        new = as_task(new, flow=self)
        if old not in self.tasks:
            raise ValueError(f"Task {old} was not found in Flow {self}")
        edges = [e for e in self.edges if old in e.tasks]
        for e in edges:
            self.edges.discard(e)
            self._upstream[e.downstream_task].discard(e)
            self._downstream[e.upstream_task].discard(e)
        constants = self.constants.pop(old, {})
        was_reference = old in self._reference_tasks
        self.tasks.discard(old)
        self.slugs.pop(old, None)
        position = self._order.pop(old)
        self._upstream.pop(old, None)
        self._downstream.pop(old, None)
        self._changed()
        if new not in self.tasks:
            # ``new`` takes ``old``'s place in the insertion order: numbers stay unique (a
            # fresh number would repeat the last task's) and the sorted order keeps its shape.
            self.add_task(new)
            self._order[new] = position
        for e in edges:
            self.add_edge(
                new if e.upstream_task is old else e.upstream_task,
                new if e.downstream_task is old else e.downstream_task,
                key=e.key, mapped=e.mapped, flattened=e.flattened, validate=False,
            )
        if constants:
            self.constants[new].update(constants)
        if was_reference:
            self._reference_tasks.discard(old)
            self._reference_tasks.add(new)
        if validate:
            self.validate()



def _is_constant_task(task: Any) -> bool:
    return getattr(task, "flow_role", None) == "constant"
