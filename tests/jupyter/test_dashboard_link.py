"""The widget's header links to the Dask dashboard while a run's Dask cluster has one.

Real clusters: a ``distributed.LocalCluster`` on 127.0.0.1 with its dashboard on a free port
(``dashboard_address="127.0.0.1:0"``; needs bokeh), started by the executor or given to it by
``address=``. A gated task keeps the run going until the test has seen the header (events, not
sleeps); the link must be the URL ``distributed`` reports and must answer.
"""

from __future__ import annotations

import logging
import pathlib
import threading
import time
import urllib.request
from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor
from prefect_jupyter.jupyter import FlowWidget
from prefect_jupyter.jupyter.live import dashboard_link

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # each test starts a Dask cluster (a few seconds)
DASHBOARD = {"n_workers": 1, "threads_per_worker": 2, "processes": False, "protocol": "tcp",
             "host": "127.0.0.1", "dashboard_address": "127.0.0.1:0", "silence_logs": logging.ERROR}


@task
def wait_for(gate: str) -> str:
    deadline = time.monotonic() + 150
    while not pathlib.Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return "opened"


def run_until_header(widget: FlowWidget, flow: Flow, executor: Any, gate: pathlib.Path,
                     seen: Any) -> tuple[list[dict], Any]:
    """Run ``flow`` on ``executor`` in a thread; open ``gate`` once ``seen(header)`` holds (or
    after 60 s); return every header the widget showed and the final state."""
    headers: list[dict] = []
    ready = threading.Event()

    def on_header(change: dict) -> None:
        headers.append(change["new"])
        if seen(change["new"]):
            ready.set()

    widget.observe(on_header, names="header")
    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(
        flow.run(observers=[widget.observe_run(executor)], executor=executor)))
    runner.start()
    try:
        ready.wait(120)
    finally:
        gate.write_text("open")
        runner.join(180)
    assert result, "the flow run did not end"
    return headers, result[0]


def flow_with_gate(gate: pathlib.Path) -> Flow:
    with Flow("gated") as flow:
        wait_for(str(gate))
    return flow


def test_a_temporary_local_cluster_s_dashboard_is_linked_while_it_runs(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("bokeh")
    gate = tmp_path / "gate"
    flow = flow_with_gate(gate)
    executor = DaskExecutor(cluster_kwargs=DASHBOARD)
    reported: list[str] = []

    def seen(header: dict) -> bool:
        if header.get("dashboard") and executor.client is not None and not reported:
            reported.append(executor.client.cluster.dashboard_link)  # what distributed reports
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with direct.open(header["dashboard"], timeout=60) as answer:
                reported.append(answer.status)
        return bool(header.get("dashboard"))

    widget = FlowWidget(flow)
    headers, state = run_until_header(widget, flow, executor, gate, seen)

    assert state.is_successful()
    links = [h["dashboard"] for h in headers if h.get("dashboard")]
    assert links and set(links) == {reported[0]}
    assert links[0].startswith("http://127.0.0.1:") and reported[1] == 200
    assert "dashboard" not in widget.header  # the cluster closed with the run


def test_an_address_cluster_s_dashboard_is_linked_and_stays(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("bokeh")
    from distributed import LocalCluster

    gate = tmp_path / "gate"
    flow = flow_with_gate(gate)
    with LocalCluster(**DASHBOARD) as cluster:
        executor = DaskExecutor(address=cluster.scheduler_address, watch_worker_status=False)
        widget = FlowWidget(flow)
        headers, state = run_until_header(widget, flow, executor, gate, lambda h: "dashboard" in h)
        expected = cluster.dashboard_link

    assert state.is_successful()
    assert [h["dashboard"] for h in headers if "dashboard" in h][0] == expected
    assert widget.header["dashboard"] == expected  # the cluster outlives the run


def test_no_link_without_a_dashboard_or_a_dask_cluster(tmp_path: pathlib.Path) -> None:
    # distributed reports a link for a cluster started with dashboard_address=None too (its
    # scheduler still serves /health there): it must not show
    for executor in (DaskExecutor(cluster_kwargs={**DASHBOARD, "dashboard_address": None}),
                     LocalDaskExecutor("threads")):
        gate = tmp_path / f"gate-{type(executor).__name__}"
        flow = flow_with_gate(gate)
        widget = FlowWidget(flow)
        looked_up: list[Any] = []

        def seen(header: dict, executor: Any = executor, looked_up: list = looked_up) -> bool:
            started = getattr(executor, "client", True) is not None
            if header.get("running") and started and not looked_up:
                looked_up.append(dashboard_link(executor))
            return bool(looked_up)

        headers, state = run_until_header(widget, flow, executor, gate, seen)
        assert state.is_successful()
        assert looked_up == [""]
        assert headers and not [h for h in headers if "dashboard" in h]


def test_dashboard_link_before_the_client_starts_is_unknown() -> None:
    assert dashboard_link(DaskExecutor()) is None  # not started yet: look again later
    assert dashboard_link(LocalDaskExecutor()) == ""
