"""Resource managers: set a resource up before a block of tasks and clean it up after.

Example:
    >>> @resource_manager
    ... class TempDir:
    ...     def setup(self):
    ...         self.path = tempfile.mkdtemp()
    ...         return self.path
    ...     def cleanup(self, path):
    ...         shutil.rmtree(path)
    >>> with Flow("example") as flow:
    ...     with TempDir() as path:
    ...         write_files(path)

The block makes three tasks: ``init`` (builds the manager object), ``setup`` (its return value
is what the ``with`` gives) and ``cleanup``. Tasks in the block run after setup; cleanup runs
after them whether they succeed or fail, as long as setup succeeded. Cleanup does not count as a
reference task, so a failure inside the block still fails the flow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task
from prefect_jupyter.engine import signals


class ResourceInitTask(Task):
    """Builds the resource manager object from the block's arguments."""

    flow_role = "resource"

    def __init__(self, resource_class: Callable, **kwargs: Any) -> None:
        self.run = resource_class  # type: ignore[method-assign]
        super().__init__(**kwargs)


def _set_up_again(state: Any) -> Any:
    """A resource is set up (and cleaned up) again on a rerun: a finished, uncached state is
    forgotten."""
    if state is not None and state.is_finished() and not state.is_cached():
        from prefect_jupyter.engine.state import Pending

        return Pending()
    return state


class ResourceSetupTask(Task):
    """Calls ``mgr.setup()``; its result is the resource."""

    state_for_flow_run = staticmethod(_set_up_again)  # type: ignore[assignment]

    def run(self, mgr: Any) -> Any:  # type: ignore[override]
        return mgr.setup()


class ResourceCleanupTask(Task):
    """Calls ``mgr.cleanup(resource)``."""

    flow_role = "cleanup"

    state_for_flow_run = staticmethod(_set_up_again)  # type: ignore[assignment]

    def run(self, mgr: Any, resource: Any = None) -> None:  # type: ignore[override]
        mgr.cleanup(resource)


def resource_cleanup_trigger(upstream_states: dict) -> bool:
    """Clean up once everything upstream finished, if init and setup succeeded (else skip)."""
    labels = {"mgr": "init", "resource": "setup"}
    if not all(state.is_finished() for state in upstream_states.values()):
        raise signals.TRIGGERFAIL(
            "Trigger was 'resource_cleanup_trigger' but some of the upstream tasks were not "
            "finished."
        )
    # Check init before setup (not in edge order) so a failed init is always named as the cause.
    by_key = {edge.key: state for edge, state in upstream_states.items() if edge.key in labels}
    for key, label in labels.items():
        state = by_key.get(key)
        if state is not None and state.is_skipped():
            raise signals.SKIP(f"Resource manager {label} skipped")
        if state is not None and not state.is_successful():
            raise signals.SKIP(f"Resource manager {label} failed")
    return True


class ResourceContext:
    """The ``with`` block of a resource manager; it records the tasks created inside it."""

    def __init__(self, init_task: Task, setup_task: Task | None, cleanup_task: Task, flow: Any) -> None:
        self.init_task = init_task
        self.setup_task = setup_task
        self.cleanup_task = cleanup_task
        self._flow = flow
        self._tasks: set[Task] = set()

    def add_task(self, task: Task, flow: Any) -> None:
        """Record a task created inside the block (called by ``Flow.add_task``)."""
        if flow is not self._flow:
            raise ValueError("Multiple flows cannot be used with the same resource block")
        self._tasks.add(task)

    def __enter__(self) -> Task | None:
        self._previous = context.get("resource")
        context["resource"] = self
        return self.setup_task

    def __exit__(self, *exc: object) -> None:
        if self._previous is None:
            context.pop("resource", None)
        else:
            context["resource"] = self._previous
        flow = self._flow
        for child in self._tasks:
            upstream = flow.upstream_tasks(child)
            if self.setup_task is not None and not (self._tasks & upstream) and self.setup_task not in upstream:
                child.set_upstream(self.setup_task, flow=flow)
            downstream = flow.downstream_tasks(child)
            if not (self._tasks & downstream) and self.cleanup_task not in downstream:
                child.set_downstream(self.cleanup_task, flow=flow)


class ResourceManager:
    """Turns a class with ``setup``/``cleanup`` into something usable as ``with Cls(...):``.

    Args:
        resource_class: the class; its ``__init__`` arguments may be tasks.
        name: the base name of the three tasks (default: the class name).
        init_task_kwargs: ``Task`` options for the init task.
        setup_task_kwargs: ``Task`` options for the setup task.
        cleanup_task_kwargs: ``Task`` options for the cleanup task.
    """

    def __init__(
        self,
        resource_class: Callable,
        name: str | None = None,
        init_task_kwargs: dict | None = None,
        setup_task_kwargs: dict | None = None,
        cleanup_task_kwargs: dict | None = None,
    ) -> None:
        if not hasattr(resource_class, "cleanup"):
            raise TypeError(
                f"{getattr(resource_class, '__name__', resource_class)!r} has no `cleanup` method; "
                "a resource manager class needs `cleanup(self, resource)` (and usually `setup`)."
            )
        self.resource_class = resource_class
        self.name = name or getattr(resource_class, "__name__", "resource")
        self.init_task_kwargs = {"name": self.name, **(init_task_kwargs or {})}
        self.setup_task_kwargs = {"name": f"{self.name}.setup", "checkpoint": False, **(setup_task_kwargs or {})}
        self.cleanup_task_kwargs = {
            "name": f"{self.name}.cleanup",
            "trigger": resource_cleanup_trigger,
            "skip_on_upstream_skip": False,
            "checkpoint": False,
            **(cleanup_task_kwargs or {}),
        }

    def __call__(self, *args: Any, flow: Any = None, **kwargs: Any) -> ResourceContext:
        flow = flow or context.get("flow")
        if flow is None:
            raise ValueError(
                f"Could not infer an active Flow context: use `with {self.name}(...)` inside "
                "`with Flow(...):`."
            )
        init = ResourceInitTask(self.resource_class, **self.init_task_kwargs)(*args, flow=flow, **kwargs)
        setup = None
        if hasattr(self.resource_class, "setup"):
            setup = ResourceSetupTask(**self.setup_task_kwargs)(init, flow=flow)
            cleanup = ResourceCleanupTask(**self.cleanup_task_kwargs)(init, setup, flow=flow)
        else:
            cleanup = ResourceCleanupTask(**self.cleanup_task_kwargs)(init, flow=flow)
        return ResourceContext(init, setup, cleanup, flow)


def resource_manager(
    resource_class: Callable | None = None,
    name: str | None = None,
    init_task_kwargs: dict | None = None,
    setup_task_kwargs: dict | None = None,
    cleanup_task_kwargs: dict | None = None,
) -> Any:
    """Decorate a class with ``setup``/``cleanup`` to make it a ``ResourceManager``."""
    options = dict(
        name=name,
        init_task_kwargs=init_task_kwargs,
        setup_task_kwargs=setup_task_kwargs,
        cleanup_task_kwargs=cleanup_task_kwargs,
    )
    if resource_class is None:
        return lambda cls: ResourceManager(cls, **options)
    return ResourceManager(resource_class, **options)
