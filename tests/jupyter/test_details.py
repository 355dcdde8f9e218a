"""The details panel's data: sent for every changed node during a run (a busy kernel answers no
click), with input values, results, tracebacks and log lines."""

from __future__ import annotations

import datetime
import threading
from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.jupyter import FlowWidget
from prefect_jupyter.utilities.logging import get_logger

seen_mid_run = threading.Event()


@task
def extract() -> list[int]:
    get_logger("extract").info("extracted 3 rows")
    return [10, 20, 30]


@task
def gate(rows: list[int]) -> int:
    # the run waits here until the widget has sent extract's details: they left mid-run
    assert seen_mid_run.wait(30), "extract's details were not sent while the run went on"
    return len(rows)


@task
def half(x: int) -> float:
    return x / 2


@task(max_retries=1, retry_delay=datetime.timedelta(seconds=0))
def flaky(x: int) -> float:
    return 1 / (x - 20)


def node_id(flow: Flow, name: str) -> str:
    return next(slug for t, slug in flow.slugs.items() if t.name == name)


def test_node_details_are_sent_while_the_run_goes_on() -> None:
    seen_mid_run.clear()
    with Flow("mid") as flow:
        gate(extract())
    widget = FlowWidget(flow)
    extract_id = node_id(flow, "extract")
    kept: dict[str, Any] = {}

    def on_details(change: dict) -> None:
        kept.update(change["new"])  # what flow_widget.js does with them
        got = kept.get(extract_id, {})
        if got.get("result") == "[10, 20, 30]" and any("extracted 3 rows" in x for x in got["logs"]):
            seen_mid_run.set()

    widget.observe(on_details, names="node_details")
    state = flow.run(observers=[widget.observe_run()])
    assert state.is_successful()
    assert kept[node_id(flow, "gate")]["result"] == "3"


def test_a_child_shows_its_input_values_and_result() -> None:
    with Flow("inputs") as flow:
        half.map(extract())
        half.map([4, 6])
    widget = FlowWidget(flow)
    flow.run(observers=[widget.observe_run()])
    mapped = [slug for t, slug in flow.slugs.items() if t.name == "half"]
    by_source = {}
    for slug in mapped:
        widget.set_state({"selected": f"{slug}[1]"})
        (row,) = widget.details["inputs"]
        by_source[row["source"]] = (row["value"], widget.details["result"])
    assert by_source["extract"] == ("20", "10.0")
    assert by_source["[4, 6]"] == ("6", "3.0")
    widget.set_state({"selected": mapped[0]})
    assert [c["result"] for c in widget.details["children"]][:2] in (["5.0", "10.0"], ["2.0", "3.0"])


def test_a_retried_task_shows_the_exception_of_each_try() -> None:
    with Flow("retry") as flow:
        flaky(20)
    widget = FlowWidget(flow)
    retrying: list[str] = []

    def on_details(change: dict) -> None:
        for d in change["new"].values():
            if d["state"] == "Retrying":
                retrying.append(d["traceback"] or "")

    widget.observe(on_details, names="node_details")
    flow.run(observers=[widget.observe_run()])
    widget.set_state({"selected": node_id(flow, "flaky")})
    assert widget.details["state"] == "Failed"
    assert "ZeroDivisionError" in widget.details["traceback"]
    assert "return 1 / (x - 20)" in widget.details["traceback"]
    assert all("ZeroDivisionError" in tb for tb in retrying)


# -- logs: in the widget while it shows the run, only warnings and errors on stderr -------------------
@task
def noisy() -> int:
    logger = get_logger("noisy")
    logger.info("counting sheep")
    logger.warning("running low on sheep")
    return 1


def test_logs_go_to_the_widget_and_stderr_keeps_only_warnings(capsys) -> None:  # noqa: ANN001
    with Flow("logs") as flow:
        noisy()
    widget = FlowWidget(flow)
    run_log: list[str] = []
    widget.observe(lambda change: run_log.extend(change["new"]["lines"]), names="log_lines")
    capsys.readouterr()
    flow.run(observers=[widget.observe_run()])
    err = capsys.readouterr().err
    assert "running low on sheep" in err
    assert "counting sheep" not in err and "Beginning Flow run" not in err
    assert any(line.endswith("INFO noisy: counting sheep") for line in run_log)
    assert any("WARNING noisy: running low on sheep" in line for line in run_log)
    assert any("INFO flow: Flow run SUCCESS" in line for line in run_log)
    widget.set_state({"selected": node_id(flow, "noisy")})
    mine = [line.split(" ", 1)[1] for line in widget.details["logs"] if "sheep" in line]
    assert mine == ["INFO noisy: counting sheep", "WARNING noisy: running low on sheep"]
    # without a widget, a run logs to stderr as before
    flow.run()
    assert "counting sheep" in capsys.readouterr().err


def test_a_log_record_with_an_exception_shows_the_exception() -> None:
    with Flow("fails") as flow:
        flaky(20)
    widget = FlowWidget(flow)
    flow.run(observers=[widget.observe_run()])
    widget.set_state({"selected": node_id(flow, "flaky")})
    errors = [line for line in widget.details["logs"] if " ERROR " in line]
    assert errors and all(line.endswith("ZeroDivisionError: division by zero") for line in errors)
