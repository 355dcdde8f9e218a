"""The workloads of `executors.py`, written once for every system it compares.

The same five graph shapes are built four ways:

- as a flow, through the Prefect 1 API that `prefect_jupyter` and Prefect 1.4.1 share
  (`build_flow`, given the engine's `task` decorator and `Flow` class),
- as `dask.delayed` calls (`run_delayed`),
- as a plain dict graph for `dask.threaded.get` (`run_dict_graph`): dask's scheduler alone,
- as `distributed` futures, one `client.submit` per task (`run_futures`).

The task functions live at module level so that worker processes (Dask's process pool, the
`distributed` workers) unpickle them by reference. Only the standard library is imported here:
the Prefect 1 interpreter (a separate venv) imports this module too.

Shapes, for `size` n (see `task_runs` for what one flow run executes):

| name    | graph                                                                    |
| ------- | ------------------------------------------------------------------------ |
| chain   | n tasks, each adding 1 to the result of the one before                   |
| fanout  | a root task, n children reading its result, and one task summing them    |
| map     | a task returning `list(range(n))` and `inc.map` over it                  |
| map2    | the same, then a second `inc.map` over the first one's results           |
| diamond | n / 20 layers of 20 tasks; task j of a layer reads tasks j and j+1       |
|         | (mod 20) of the layer before                                             |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DIAMOND_WIDTH = 20
WORKLOAD_NAMES = ("chain", "fanout", "map", "map2", "diamond")


# --- task bodies ------------------------------------------------------------------------------


def zero() -> int:
    return 0


def inc(x: int) -> int:
    return x + 1


def numbers(n: int) -> list[int]:
    return list(range(n))


def total(values: list[int]) -> int:
    return sum(values)


def step(left: int, right: int) -> int:
    """A diamond node: one more than the larger of its two parents."""
    return max(left, right) + 1


# --- what each workload does and must return --------------------------------------------------


def describe_size(workload: str, size: int) -> str:
    """The size as shown in tables: `10,000`, or `50×20` for the diamond lattice."""
    if workload == "diamond":
        return f"{size // DIAMOND_WIDTH}×{DIAMOND_WIDTH}"
    return f"{size:,}"


def task_runs(workload: str, size: int) -> int:
    """Task runs one flow run of the workload performs (each mapped child and each mapped
    parent counts one; fanout's list of children is gathered by an automatic `List` task)."""
    return {
        "chain": size,
        "fanout": size + 3,  # root, children, List, total
        "map": size + 2,  # numbers, the mapped parent, children
        "map2": 2 * size + 3,
        "diamond": (size // DIAMOND_WIDTH) * DIAMOND_WIDTH,
    }[workload]


def expected_answer(workload: str, size: int) -> Any:
    """What `answer` returns for a correct run."""
    return {
        "chain": size,
        "fanout": size,
        "map": size * (size + 1) // 2,
        "map2": size * (size + 1) // 2 + size,
        "diamond": [size // DIAMOND_WIDTH] * DIAMOND_WIDTH,
    }[workload]


def answer(workload: str, values: Any) -> Any:
    """Reduce the computed outputs of a workload to the figure `expected_answer` gives."""
    if workload in ("map", "map2"):
        return sum(values)
    if workload == "diamond":
        return list(values)
    return values


# --- Prefect API flows (prefect_jupyter and Prefect 1) ----------------------------------------


def build_flow(
    task: Callable[..., Any], flow_class: type, workload: str, size: int
) -> tuple[Any, Callable[[Any], Any]]:
    """Build the workload as a flow.

    Returns:
        The flow, and a function from the flow run's final state to the workload's answer.
    """
    inc_task = task(inc)
    with flow_class(workload) as flow:
        if workload == "chain":
            value = inc_task(0)
            for _ in range(size - 1):
                value = inc_task(value)
            outputs: Any = value
        elif workload == "fanout":
            root = task(zero)()
            outputs = task(total)([inc_task(root) for _ in range(size)])
        elif workload in ("map", "map2"):
            outputs = inc_task.map(task(numbers)(size))
            if workload == "map2":
                outputs = inc_task.map(outputs)
        elif workload == "diamond":
            layer = [inc_task(0) for _ in range(DIAMOND_WIDTH)]
            step_task = task(step)
            for _ in range(size // DIAMOND_WIDTH - 1):
                layer = [
                    step_task(layer[j], layer[(j + 1) % DIAMOND_WIDTH])
                    for j in range(DIAMOND_WIDTH)
                ]
            outputs = layer
        else:
            raise ValueError(f"unknown workload {workload!r}")

    def result_of(state: Any) -> Any:
        if not state.is_successful():
            return f"flow run {type(state).__name__}: {state.message}"
        if isinstance(outputs, list):
            return answer(workload, [state.result[t].result for t in outputs])
        return answer(workload, state.result[outputs].result)

    return flow, result_of


def count_task_runs(state: Any) -> int:
    """Task runs in a flow run's final state (a mapped task: its parent and each child)."""
    runs = 0
    for task_state in state.result.values():
        runs += 1 + len(task_state.map_states) if task_state.is_mapped() else 1
    return runs


def build_one_task_flow(task: Callable[..., Any], flow_class: type) -> Any:
    """A flow of a single task: its run time is the fixed cost of a flow run."""
    with flow_class("one task") as flow:
        task(inc)(0)
    return flow


# --- raw dask.delayed -------------------------------------------------------------------------


def run_delayed(workload: str, size: int) -> Any:
    """Build the workload with `dask.delayed` and compute it on the threaded scheduler.

    As in a flow run, a map first computes the list it maps over, then builds one call per
    element. Graphs are computed with `optimize_graph=False`, as `LocalDaskExecutor` does: there
    is nothing to fuse in them, and dask's culling pass costs more than it saves.
    """
    import dask

    def delayed(fn: Callable[..., Any]) -> Any:
        return dask.delayed(fn, pure=False)

    def compute(obj: Any) -> Any:
        return dask.compute(obj, scheduler="threads", optimize_graph=False)[0]

    if workload == "chain":
        value = delayed(inc)(0)
        for _ in range(size - 1):
            value = delayed(inc)(value)
        return answer(workload, compute(value))
    if workload == "fanout":
        root = delayed(zero)()
        return answer(workload, compute(delayed(total)([delayed(inc)(root) for _ in range(size)])))
    if workload in ("map", "map2"):
        mapped = [delayed(inc)(x) for x in compute(delayed(numbers)(size))]
        if workload == "map2":
            mapped = [delayed(inc)(x) for x in mapped]
        return answer(workload, compute(mapped))
    if workload == "diamond":
        layer = [delayed(inc)(0) for _ in range(DIAMOND_WIDTH)]
        for _ in range(size // DIAMOND_WIDTH - 1):
            layer = [
                delayed(step)(layer[j], layer[(j + 1) % DIAMOND_WIDTH])
                for j in range(DIAMOND_WIDTH)
            ]
        return answer(workload, compute(layer))
    raise ValueError(f"unknown workload {workload!r}")


# --- raw dask scheduler on a dict graph -------------------------------------------------------


def run_dict_graph(workload: str, size: int) -> Any:
    """Build the workload as a dict graph (`{key: (function, *argument keys)}`) and run it
    with `dask.threaded.get`: the cost of dask's threaded scheduler alone."""
    from dask.threaded import get

    if workload == "chain":
        graph: dict[str, Any] = {"inc-0": (inc, 0)}
        graph.update({f"inc-{i}": (inc, f"inc-{i - 1}") for i in range(1, size)})
        return answer(workload, get(graph, f"inc-{size - 1}"))
    if workload == "fanout":
        graph = {"root": (zero,)}
        graph.update({f"inc-{i}": (inc, "root") for i in range(size)})
        graph["total"] = (total, [f"inc-{i}" for i in range(size)])
        return answer(workload, get(graph, "total"))
    if workload in ("map", "map2"):
        elements = get({"numbers": (numbers, size)}, "numbers")
        graph = {f"a-{i}": (inc, x) for i, x in enumerate(elements)}
        keys = list(graph)
        if workload == "map2":
            graph.update({f"b-{i}": (inc, f"a-{i}") for i in range(size)})
            keys = [f"b-{i}" for i in range(size)]
        return answer(workload, get(graph, keys))
    if workload == "diamond":
        layers = size // DIAMOND_WIDTH
        graph = {f"0-{j}": (inc, 0) for j in range(DIAMOND_WIDTH)}
        for k in range(1, layers):
            for j in range(DIAMOND_WIDTH):
                graph[f"{k}-{j}"] = (step, f"{k - 1}-{j}", f"{k - 1}-{(j + 1) % DIAMOND_WIDTH}")
        return answer(workload, get(graph, [f"{layers - 1}-{j}" for j in range(DIAMOND_WIDTH)]))
    raise ValueError(f"unknown workload {workload!r}")


# --- raw distributed futures ------------------------------------------------------------------


def run_futures(client: Any, workload: str, size: int) -> Any:
    """Submit the workload to a `distributed` cluster one `client.submit` per task (as
    `DaskExecutor` does), upstream futures passed as arguments, and gather the outputs."""

    def submit(fn: Callable[..., Any], *args: Any) -> Any:
        return client.submit(fn, *args, pure=False)

    if workload == "chain":
        value = submit(inc, 0)
        for _ in range(size - 1):
            value = submit(inc, value)
        return answer(workload, value.result())
    if workload == "fanout":
        root = submit(zero)
        return answer(workload, submit(total, [submit(inc, root) for _ in range(size)]).result())
    if workload in ("map", "map2"):
        mapped = [submit(inc, x) for x in submit(numbers, size).result()]
        if workload == "map2":
            mapped = [submit(inc, x) for x in mapped]
        return answer(workload, client.gather(mapped))
    if workload == "diamond":
        layer = [submit(inc, 0) for _ in range(DIAMOND_WIDTH)]
        for _ in range(size // DIAMOND_WIDTH - 1):
            layer = [
                submit(step, layer[j], layer[(j + 1) % DIAMOND_WIDTH])
                for j in range(DIAMOND_WIDTH)
            ]
        return answer(workload, client.gather(layer))
    raise ValueError(f"unknown workload {workload!r}")
