"""The benchmark workloads, written once for both engines.

`prefect_jupyter` keeps Prefect 1's public API at the same module paths, so one builder serves
both: it is handed the engine's `task` decorator and `Flow` class (see `load_engine`). This module
uses only the standard library and the engine under test, because it is also imported by the
Prefect 1 interpreter (a separate venv without `prefect_jupyter`).

Every task body is trivial (return 0, add 1, build a list), so a run's wall time is engine
overhead.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ENGINES",
    "WORKLOADS",
    "BuiltWorkload",
    "Engine",
    "EngineSpec",
    "FormattingNullHandler",
    "build_workload",
    "load_engine",
    "send_log_output_to_null",
]


@dataclass(frozen=True)
class EngineSpec:
    """How to import and configure one engine."""

    label: str  # shown in tables, followed by the version
    package: str
    # environment variable that sets the engine's logging level at import time
    log_level_env: str


ENGINES: dict[str, EngineSpec] = {
    "prefect_jupyter": EngineSpec(
        "prefect_jupyter", "prefect_jupyter", "PREFECT_JUPYTER__LOGGING__LEVEL"
    ),
    "prefect1": EngineSpec("prefect", "prefect", "PREFECT__LOGGING__LEVEL"),
}


@dataclass(frozen=True)
class Engine:
    """The parts of an engine's public API that the workloads use."""

    spec: EngineSpec
    version: str
    task: Callable[..., Any]
    flow_class: type
    local_executor_class: type


def load_engine(name: str) -> Engine:
    """Import engine `name` (a key of `ENGINES`)."""
    spec = ENGINES[name]
    package = importlib.import_module(spec.package)
    executors = importlib.import_module(f"{spec.package}.executors")
    return Engine(
        spec=spec,
        version=str(getattr(package, "__version__", "?")),
        task=package.task,
        flow_class=package.Flow,
        local_executor_class=executors.LocalExecutor,
    )


class FormattingNullHandler(logging.Handler):
    """Formats every record it receives, then drops it.

    It stands in for an engine's console handler, so that a benchmark pays for building and
    formatting log records (as a user does) but not for terminal output.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def send_log_output_to_null(package: str) -> int:
    """Swap each stream handler of the engine's logger (named `package`) for a
    `FormattingNullHandler`.

    The engine's logging module is imported first, since it attaches the console handler on
    import (`prefect_jupyter` imports it lazily, on the first run). The replacement keeps the original's formatter, filters and level. Other handlers (Prefect
    1's `CloudHandler`, which returns early outside a backend run) stay, as part of the engine.

    Returns:
        How many handlers were replaced.
    """
    importlib.import_module(f"{package}.utilities.logging")
    logger = logging.getLogger(package)
    replaced = 0
    for handler in list(logger.handlers):
        if not isinstance(handler, logging.StreamHandler):
            continue
        null = FormattingNullHandler(handler.level)
        null.setFormatter(handler.formatter)
        for log_filter in handler.filters:
            null.addFilter(log_filter)
        logger.removeHandler(handler)
        logger.addHandler(null)
        replaced += 1
    return replaced


@dataclass
class BuiltWorkload:
    """A flow ready to run, and how to judge its final state."""

    flow: Any
    task_runs: int  # task runs one flow run performs (mapped children count one each)
    check: Callable[[Any], bool]  # given the flow's final state: are the results right?


def zero() -> int:
    return 0


def inc(x: int) -> int:
    return x + 1


def numbers(n: int) -> list[int]:
    return list(range(n))


def build_chain(engine: Engine, size: int) -> BuiltWorkload:
    """`size` tasks, each adding 1 to the result of the one before."""
    inc_task = engine.task(inc)
    with engine.flow_class("chain") as flow:
        value = inc_task(0)
        for _ in range(size - 1):
            value = inc_task(value)

    def check(state: Any) -> bool:
        return state.is_successful() and state.result[value].result == size

    return BuiltWorkload(flow, size, check)


def build_fanout(engine: Engine, size: int) -> BuiltWorkload:
    """One root task and `size` independent children that each read its result."""
    zero_task, inc_task = engine.task(zero), engine.task(inc)
    with engine.flow_class("fan-out") as flow:
        root = zero_task()
        children = [inc_task(root) for _ in range(size)]

    def check(state: Any) -> bool:
        return state.is_successful() and all(state.result[c].result == 1 for c in children)

    return BuiltWorkload(flow, size + 1, check)


def build_map(engine: Engine, size: int) -> BuiltWorkload:
    """One task returning `size` numbers, and `inc.map` over them.

    Task runs: the list task, the mapped parent and `size` mapped children.
    """
    numbers_task, inc_task = engine.task(numbers), engine.task(inc)
    with engine.flow_class("map") as flow:
        mapped = inc_task.map(numbers_task(size))

    def check(state: Any) -> bool:
        if not state.is_successful():
            return False
        return sum(state.result[mapped].result) == size * (size + 1) // 2

    return BuiltWorkload(flow, size + 2, check)


def add(x: int, y: int) -> int:
    return x + y


DIAMOND_WIDTH = 50


def build_diamond(engine: Engine, size: int) -> BuiltWorkload:
    """Layers of 50 tasks (``size // 50`` layers): each task adds two neighbours of the layer
    before, so every task has two upstream edges and two downstream ones (a lattice of diamonds).
    """
    inc_task, add_task = engine.task(inc), engine.task(add)
    width, depth = DIAMOND_WIDTH, max(1, size // DIAMOND_WIDTH)
    with engine.flow_class("diamond") as flow:
        layer = [inc_task(0) for _ in range(width)]
        for _ in range(depth - 1):
            layer = [add_task(layer[j], layer[(j + 1) % width]) for j in range(width)]

    def check(state: Any) -> bool:
        expected = 2 ** (depth - 1)
        return state.is_successful() and all(state.result[t].result == expected for t in layer)

    return BuiltWorkload(flow, width * depth, check)


WORKLOADS: dict[str, Callable[[Engine, int], BuiltWorkload]] = {
    "chain": build_chain,
    "fanout": build_fanout,
    "map": build_map,
    "diamond": build_diamond,
}


def build_workload(engine: Engine, workload: str, size: int) -> BuiltWorkload:
    """Build workload `workload` (a key of `WORKLOADS`) of `size` for `engine`."""
    return WORKLOADS[workload](engine, size)
