"""Flows written once, run on prefect_jupyter or on Prefect 1.4.1, reported as JSON.

    python tests/engine/side_by_side_flows.py prefect_jupyter
    /opt/prefect1/bin/python tests/engine/side_by_side_flows.py prefect

``test_side_by_side.py`` runs this script with each engine's interpreter and compares the
reports: final states (type, message), task results, and the INFO-and-above log lines with the
package name taken off the logger names. Only the named engine is imported, so the script runs
in Prefect 1's own venv, where prefect_jupyter is not installed.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import sys
from typing import Any


class _Collect(logging.Handler):
    def __init__(self, package: str) -> None:
        super().__init__(logging.INFO)
        self.prefix = package + "."
        self.lines: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name[len(self.prefix):] if record.name.startswith(self.prefix) else record.name
        self.lines.append([name, record.levelname, record.getMessage()])


def _describe(value: Any) -> Any:
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    return repr(value)


def _state(state: Any) -> dict[str, Any]:
    return {"type": type(state).__name__, "message": _describe(state.message), "result": _describe(state.result)}


def build_flows(pf: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each flow, with the keyword arguments of its ``flow.run``."""
    task, Flow, signals, context = pf.task, pf.Flow, pf.engine.signals, pf.context
    flows: dict[str, tuple[Any, dict[str, Any]]] = {}

    @task
    def add(x: int, y: int) -> int:
        return x + y

    with Flow("chain") as flow:
        add(add(1, 2), 3)
    flows["chain"] = (flow, {})

    @task
    def invert(x: int) -> float:
        context.get("logger").info("inverting %s", x)
        return 1 / x

    with Flow("map with a failing child") as flow:
        invert.map([1, 0, 4])
    flows["map"] = (flow, {})

    @task
    def finish_early() -> None:
        raise signals.SUCCESS("done early")

    @task
    def skip_me() -> None:
        raise signals.SKIP("nothing to do")

    @task
    def after(x: Any) -> str:
        return "ran"

    with Flow("signals") as flow:
        finish_early()
        after(skip_me())
    flows["signals"] = (flow, {})

    @task
    def fail() -> None:
        raise ValueError("no luck")

    with Flow("trigger failed") as flow:
        after(fail())
    flows["trigger"] = (flow, {})

    def last_word(flow: Any, state: Any, reference_states: Any) -> Any:
        state.message = f"checked {len(reference_states)} reference task(s)"
        return state

    with Flow("terminal state handler", terminal_state_handler=last_word) as flow:
        add(1, 1)
    flows["terminal"] = (flow, {})

    @task
    def dates() -> list:
        date = context.get("scheduled_start_time")
        return [type(date).__name__, type(context.get("date")).__name__,
                context.get("today") == date.strftime("%Y-%m-%d"), date.add(days=-1).format("YYYY") < "3000"]

    transitions: list[str] = []

    def on_change(flow: Any, old: Any, new: Any) -> None:
        transitions.append(f"{type(old).__name__} -> {type(new).__name__}")

    with Flow("dates and handlers", state_handlers=[on_change]) as flow:
        dates()
    flows["dates"] = (flow, {})

    @task
    def count_up() -> int:
        loop = context.get("task_loop_result", 0)
        if loop < 3:
            raise signals.LOOP(result=loop + 1)
        return loop

    with Flow("loop") as flow:
        count_up()
    flows["loop"] = (flow, {})

    attempts: list[int] = []

    @task(max_retries=1, retry_delay=datetime.timedelta(seconds=0))
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")
        return "second try"

    with Flow("retry") as flow:
        flaky()
    flows["retry"] = (flow, {})
    flows["dates"][1]["_transitions"] = transitions
    return flows


def run_all(package: str) -> dict[str, Any]:
    pf = importlib.import_module(package)
    importlib.import_module(f"{package}.utilities.logging")
    executors = importlib.import_module(f"{package}.executors")
    collect = _Collect(package)
    logging.getLogger(package).addHandler(collect)
    report: dict[str, Any] = {}
    for name, (flow, kwargs) in build_flows(pf).items():
        transitions = kwargs.pop("_transitions", None)
        collect.lines = []
        state = flow.run(executor=executors.LocalExecutor(), **kwargs)
        tasks: dict[str, Any] = {}
        for t, s in state.result.items():
            entry = _state(s)
            if s.is_mapped():
                entry["children"] = [_state(c) for c in s.map_states]
            tasks.setdefault(t.name, []).append(entry)
        for entries in tasks.values():  # tasks of one name, in an order both engines share
            entries.sort(key=lambda e: json.dumps(e, sort_keys=True))
        report[name] = {"flow": _state_flow(state), "tasks": tasks, "logs": collect.lines}
        if transitions is not None:
            report[name]["transitions"] = list(transitions)
    return report


def _state_flow(state: Any) -> dict[str, Any]:
    return {"type": type(state).__name__, "message": _describe(state.message)}


def main(argv: list[str]) -> None:
    print("REPORT " + json.dumps(run_all(argv[1])))


if __name__ == "__main__":
    main(sys.argv)
