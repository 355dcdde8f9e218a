"""The live DAG widget, seen from Python: what it sends to the browser while real flows run.

The browser side (drawing, colours, clicks) is tested end to end with a real browser; here we
record the widget's outgoing comm messages, which are exactly what the browser receives.
"""

from __future__ import annotations

import datetime
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.executors import LocalDaskExecutor, LocalExecutor
from prefect_jupyter.jupyter import FlowWidget
from prefect_jupyter.jupyter.widget import bundled_esm, show
from prefect_jupyter.utilities.logging import get_logger
from prefect_jupyter.viz import state_colors, state_update

STATIC = Path(__file__).parents[2] / "prefect_jupyter" / "jupyter" / "static"


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task(max_retries=1, retry_delay=datetime.timedelta(seconds=0.01))
def invert(x: int) -> float:
    get_logger("invert").info("inverting %s", x)
    return 1 / x


@task
def total(xs: list[float]) -> float:
    return sum(xs)


@task
def shout(word: str) -> str:
    return (word.upper() + "!") * 400


def mapped_flow() -> Flow:
    """numbers(3) -> invert.map (child 0 fails, after a retry) -> total (TriggerFailed)."""
    with Flow("mapped") as flow:
        n = Parameter("n", default=3)
        total(invert.map(numbers(n)))
    return flow


def record_messages(widget: FlowWidget) -> list[dict[str, Any]]:
    """Collect the state updates the widget sends to the browser from now on."""
    sent: list[dict[str, Any]] = []
    widget._send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    return sent


def node_id(flow: Flow, name: str) -> str:
    return next(slug for t, slug in flow.slugs.items() if t.name == name)


class TestGraphAndStates:
    def test_a_run_sends_only_states_header_and_run_state_never_the_graph(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)
        assert {n["id"] for n in widget.graph["nodes"]} >= set(flow.slugs.values())
        sent = record_messages(widget)

        flow.run(observers=[widget.observe_run()])

        assert sent, "the run sent no update"
        for msg in sent:
            assert "graph" not in msg["state"]
            # one message per push: states travel with the header and run state (hold_sync)
            assert set(msg["state"]) <= {"states", "changes", "header", "run_state", "details", "node_details", "log_lines"}
        assert all("header" in m["state"] for m in sent)
        assert sent[-1]["state"]["run_state"] == "Failed"

    def test_final_states_after_a_local_run_match_the_run(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)

        state = flow.run(observers=[widget.observe_run()], executor=LocalExecutor())

        assert widget.states == state_update(flow, state)
        inverted = widget.states[node_id(flow, "invert")]
        assert inverted["state"] == "Mapped"
        assert inverted["counts"] == {"Failed": 1, "Success": 2}
        assert inverted["n_children"] == 3
        assert widget.states[node_id(flow, "total")]["state"] == "TriggerFailed"
        assert widget.run_state == "Failed"
        assert widget.header["done"] == widget.header["total"] == 4
        assert widget.header["running"] is False
        assert widget.header["elapsed"] >= 0

    def test_final_states_after_a_threaded_dask_run_match_the_run(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)

        state = flow.run(
            observers=[widget.observe_run()], executor=LocalDaskExecutor("threads"), n=12
        )

        assert widget.states == state_update(flow, state)
        inverted = widget.states[node_id(flow, "invert")]
        assert inverted["counts"] == {"Failed": 1, "Success": 11}
        assert inverted["n_children"] == 12
        assert widget.run_state == "Failed"

    def test_final_states_after_a_distributed_dask_run_match_the_run(self) -> None:
        # in-process workers: events still come back through Dask (on the client's loop thread);
        # worker processes are covered by the executor suite
        from distributed import LocalCluster

        from prefect_jupyter.executors import DaskExecutor

        flow = mapped_flow()
        widget = FlowWidget(flow)
        with LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster:
            executor = DaskExecutor(address=cluster.scheduler_address)
            state = flow.run(observers=[widget.observe_run()], executor=executor, n=6)

        assert widget.states == state_update(flow, state)
        assert widget.states[node_id(flow, "invert")]["counts"] == {"Failed": 1, "Success": 5}
        assert widget.run_state == "Failed"

    def test_a_widget_made_from_a_finished_run_is_coloured(self) -> None:
        flow = mapped_flow()
        state = flow.run()

        widget = FlowWidget(flow, state)

        assert widget.states == state_update(flow, state)
        assert widget.run_state == "Failed"
        assert widget.header["done"] == 4

    def test_apply_state_colours_an_existing_widget(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)
        assert all(s["state"] is None for s in widget.states.values())
        sent = record_messages(widget)

        widget.apply_state(flow.run())

        assert widget.states[node_id(flow, "numbers")]["state"] == "Success"
        assert len([m for m in sent if "states" in m["state"]]) == 1

    def test_run_helper_runs_the_flow_with_the_widget_watching(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)

        state = widget.run(n=2)

        assert state.is_failed()
        assert widget.states[node_id(flow, "invert")]["counts"] == {"Failed": 1, "Success": 1}

    def test_a_second_run_starts_from_blank_states(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)
        flow.run(observers=[widget.observe_run()], n=5)
        seen: list[dict] = []
        widget.observe(lambda change: seen.append(change["new"]), names="states")

        flow.run(observers=[widget.observe_run()], n=2)

        assert seen[0][node_id(flow, "total")]["state"] is None  # reset, before it ran again
        assert widget.states[node_id(flow, "invert")]["n_children"] == 2


class TestDetails:
    def select(self, widget: FlowWidget, selection: str) -> dict[str, Any]:
        widget.set_state({"selected": selection})  # what a click in the browser does
        return widget.details

    def test_a_failed_task_shows_message_traceback_and_log_lines(self) -> None:
        with Flow("fails") as flow:
            invert(0)
        widget = FlowWidget(flow)
        flow.run(observers=[widget.observe_run()])

        details = self.select(widget, node_id(flow, "invert"))

        assert details["state"] == "Failed"
        assert details["message"] == (
            "Error during execution of task: ZeroDivisionError('division by zero')"
        )
        assert "ZeroDivisionError: division by zero" in details["traceback"]
        assert "return 1 / x" in details["traceback"]
        # it starts at the task's code: the engine frames that called it are left out
        assert details["traceback"].splitlines()[1].startswith(f'  File "{__file__}"')
        assert "task_runner.py" not in details["traceback"]
        assert any(line.endswith("invert: inverting 0") for line in details["logs"])
        assert details["duration"] >= 0.01  # it waited for its retry
        assert details["result"] is None

    def test_a_successful_task_shows_its_result_truncated(self) -> None:
        with Flow("ok") as flow:
            shout("hey")
        widget = FlowWidget(flow)
        flow.run(observers=[widget.observe_run()])

        details = self.select(widget, node_id(flow, "shout"))

        assert details["state"] == "Success"
        assert details["result"].startswith("'HEY!HEY!")
        assert len(details["result"]) <= 500
        assert details["traceback"] is None
        assert details["inputs"] == [{"key": "word", "source": "'hey'", "mapped": False, "value": "'hey'"}]

    def test_a_mapped_task_lists_its_children_and_a_child_can_be_selected(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)
        flow.run(observers=[widget.observe_run()], n=4)
        invert_id = node_id(flow, "invert")

        details = self.select(widget, invert_id)

        assert [(c["map_index"], c["state"]) for c in details["children"]] == [
            (0, "Failed"),
            (1, "Success"),
            (2, "Success"),
            (3, "Success"),
        ]
        assert any("invert[3]: inverting 3" in line for line in details["logs"])

        child = self.select(widget, f"{invert_id}[0]")
        assert child["name"] == "invert[0]"
        assert child["state"] == "Failed"
        assert "ZeroDivisionError" in child["traceback"]
        assert all("invert[0]" in line for line in child["logs"])
        assert sum("inverting 0" in line for line in child["logs"]) == 2  # ran twice: a retry

    def test_selection_sends_details_and_clearing_it_empties_them(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow, flow.run())
        sent = record_messages(widget)

        self.select(widget, node_id(flow, "numbers"))
        assert sent[-1]["state"]["details"]["result"] == "[0, 1, 2]"

        assert self.select(widget, "") == {}
        assert self.select(widget, "no-such-node") == {}

    def test_details_of_the_selected_node_follow_a_live_run(self) -> None:
        flow = mapped_flow()
        widget = FlowWidget(flow)
        widget.selected = node_id(flow, "total")
        assert widget.details["state"] is None

        flow.run(observers=[widget.observe_run()])

        assert widget.details["state"] == "TriggerFailed"


class TestFrontEndFiles:
    def test_the_es_module_is_small_and_exports_the_shared_drawing_api(self) -> None:
        esm = STATIC / "flow_widget.js"
        source = esm.read_text()
        assert esm.stat().st_size < 20_000  # nbclient saves it in every notebook
        for name in ("drawGraph", "applyStates"):
            assert re.search(rf"^export function {name}\(", source, re.M), name
        # anywidget finds render through the default export (a named one is deprecated there)
        assert re.search(r"^function render\(", source, re.M)
        assert "export default { initialize: ({ model }) => keep(model), render }" in source
        assert (STATIC / "flow_widget.d.ts").exists()
        widget = FlowWidget(mapped_flow())
        loaded = widget.get_state(["_esm"])["_esm"]  # what the browser loads: one module
        assert loaded == bundled_esm()
        assert "export function nodeState(" in loaded and " from \"./" not in loaded
        assert widget.get_state(["_css"])["_css"] == (STATIC / "flow_widget.css").read_text()

    def test_the_stylesheet_colours_every_state_like_prefect(self) -> None:
        css = (STATIC / "flow_widget.css").read_text()
        rules = dict(re.findall(r'\[data-state="(\w+)"\] \{ --pj-c: (#[0-9a-f]{6})', css))
        expected = {k: v.lower() for k, v in state_colors().items() if k != "State"}
        assert rules.pop("None") is not None
        assert rules == expected

    def test_the_widget_displays_itself_as_a_jupyter_widget(self) -> None:
        widget = FlowWidget(mapped_flow())
        data, _ = widget._repr_mimebundle_()
        assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id
        assert data["text/plain"] == "FlowWidget(flow='mapped', tasks=4, run_state='')"

    def test_show_displays_the_widget(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import IPython.display

        shown: list[Any] = []
        monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
        flow = mapped_flow()

        widget = show(flow)

        assert shown == [(widget, {"display_id": True})] and widget.flow is flow

    def test_the_displayed_output_is_updated_with_the_final_states(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A notebook saved after the run (and reopened without a kernel) shows the final graph."""
        import IPython.display

        from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME

        class Handle:
            def __init__(self) -> None:
                self.bundles: list[dict] = []

            def update(self, obj: Any) -> None:
                data = obj._repr_mimebundle_()
                self.bundles.append(data[0] if isinstance(data, tuple) else data)

        handle = Handle()
        monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: handle)
        flow = mapped_flow()
        widget = show(flow)
        state = flow.run(observers=[widget.observe_run()], n=20)
        widget.apply_state(state)  # as %flow run does: no second update for the same run
        assert len(handle.bundles) == 1
        nodes = {n["id"]: n for n in handle.bundles[0][GRAPH_MIME]["nodes"]}
        invert = nodes[node_id(flow, "invert")]
        assert invert["n_children"] == 20
        assert invert["counts"] == {"Failed": 1, "Success": 19}
        assert nodes[node_id(flow, "total")]["state"] == "TriggerFailed"

    def test_a_graph_that_is_not_a_graph_model_is_refused(self) -> None:
        import traitlets

        widget = FlowWidget(mapped_flow())
        with pytest.raises(traitlets.TraitError, match="graph_model"):
            widget.graph = {"nodes": []}


def test_importing_the_package_does_not_import_the_notebook_stack() -> None:
    code = (
        "import sys, prefect_jupyter, prefect_jupyter.jupyter; "
        "print(sorted(m for m in ('anywidget', 'IPython', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_display_of_the_widget_carries_the_graph_for_kernel_less_viewing() -> None:
    from prefect_jupyter import Flow, task
    from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME
    from prefect_jupyter.jupyter.widget import FlowWidget

    @task
    def one():
        return 1

    with Flow("carried") as flow:
        one()
    bundle = FlowWidget(flow)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert [node["name"] for node in data[GRAPH_MIME]["nodes"]] == ["one"]
