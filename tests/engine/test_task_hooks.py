"""`Task.state_for_flow_run`: how a task's own rules decide the state a flow run starts it from.

The flow runner knows no task classes: `Constant` and the resource tasks say what they need
through this hook, and any task can.
"""

from __future__ import annotations

import ast
from pathlib import Path

from prefect_jupyter import Flow, Task, resource_manager, task
from prefect_jupyter.engine import flow_runner
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import Pending, Success
from prefect_jupyter.tasks.core.constants import Constant

calls: list[str] = []


@resource_manager
class Resource:
    def setup(self):
        calls.append("setup")
        return "resource"

    def cleanup(self, resource):
        calls.append("cleanup")


@task
def use(resource):
    calls.append("use")
    return resource


def test_a_constant_task_succeeds_with_its_value_without_running():
    class Loud(Constant):
        def run(self):
            raise AssertionError("a constant is not run")

    c = Loud(5)

    @task
    def double(x):
        return 2 * x

    with Flow("constant") as flow:
        d = double(c, mapped=False)
    flow.add_task(c)
    state = FlowRunner(flow).run(return_tasks=[c, d])
    assert state.result[c].is_successful() and state.result[c].result == 5
    assert state.result[d].result == 10


def test_a_folded_constant_reaches_the_task_through_an_edge_from_a_constant():
    seen = []

    def trigger(upstream_states):
        seen.extend((type(e.upstream_task).__name__, e.key, s.result) for e, s in upstream_states.items())
        return True

    @task(trigger=trigger)
    def inc(x):
        return x + 1

    with Flow("folded") as flow:
        i = inc(41)
    state = flow.run()
    assert state.result[i].result == 42
    assert seen == [("Constant", "x", 41)]


def test_resource_tasks_run_again_on_a_rerun_with_finished_states():
    calls.clear()
    with Flow("res") as flow:
        with Resource() as r:
            u = use(r)
    first = flow.run()
    assert calls == ["setup", "use", "cleanup"]
    calls.clear()
    # the body is left to run again; setup and cleanup come back though they had finished
    states = {t: s for t, s in first.result.items() if t is not u}
    second = FlowRunner(flow).run(task_states=states, return_tasks=flow.tasks)
    assert second.is_successful()
    assert calls == ["setup", "use", "cleanup"]


def test_any_task_can_say_how_it_starts():
    class AlwaysFresh(Task):
        def state_for_flow_run(self, state):
            return Pending("start over") if state is not None else state

        def run(self):
            calls.append("fresh")
            return "fresh"

    calls.clear()
    t = AlwaysFresh()
    flow = Flow("fresh", tasks=[t])
    state = FlowRunner(flow).run(task_states={t: Success(result="old")}, return_tasks=[t])
    assert state.result[t].result == "fresh"
    assert calls == ["fresh"]


def test_the_flow_runner_imports_no_task_library():
    source = Path(flow_runner.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not [m for m in imported if m.startswith("prefect_jupyter.tasks")]
