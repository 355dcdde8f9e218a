"""DaskExecutor: an existing cluster by address, or a temporary local cluster for one run."""

from __future__ import annotations

import time

import psutil
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.engine.state import Failed
from prefect_jupyter.executors import DaskExecutor, Executor
from prefect_jupyter.utilities.debug import raise_on_exception

NOWHERE = "tcp://127.0.0.1:1"  # nothing listens on port 1


@task
def inc(x: int) -> int:
    return x + 1


def worker_processes() -> set[int]:
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    }


class TestConstruction:
    def test_repr_names_where_tasks_run(self):
        assert (
            repr(DaskExecutor(address="tcp://10.0.0.5:8786"))
            == "<Executor: DaskExecutor(tcp://10.0.0.5:8786)>"
        )
        assert repr(DaskExecutor()) == "<Executor: DaskExecutor(a temporary local cluster)>"
        assert isinstance(DaskExecutor(), Executor)

    @pytest.mark.parametrize(
        "extra",
        [{"cluster_class": "distributed.LocalCluster"}, {"cluster_kwargs": {"n_workers": 1}}],
    )
    def test_an_address_excludes_a_cluster_class_or_kwargs(self, extra):
        with pytest.raises(
            ValueError, match="Cannot specify `address` and `cluster_class`/`cluster_kwargs`"
        ):
            DaskExecutor(address="tcp://127.0.0.1:8786", **extra)

    def test_an_address_must_be_a_string(self):
        with pytest.raises(TypeError, match="address must be a string"):
            DaskExecutor(address=8786)  # type: ignore[arg-type]

    def test_submit_outside_start_is_explained(self):
        with pytest.raises(RuntimeError, match="outside `with executor.start\\(\\):`"):
            DaskExecutor(address="tcp://127.0.0.1:8786").submit(inc.run, 1)


class TestUnreachableScheduler:
    def test_start_raises_connection_error_naming_the_address(self):
        started = time.monotonic()
        with pytest.raises(ConnectionError, match=NOWHERE) as info:
            with DaskExecutor(address=NOWHERE).start():
                pass
        assert time.monotonic() - started < 30  # gives up after its 5 s timeout: no hang
        assert "leave out address=" in str(info.value)

    def test_a_flow_run_fails_with_the_connection_error(self):
        with Flow("nowhere") as flow:
            inc(1)
        state = flow.run(executor=DaskExecutor(address=NOWHERE, client_kwargs={"timeout": "1s"}))
        assert type(state) is Failed
        assert "ConnectionError" in state.message
        assert NOWHERE in state.message
        with raise_on_exception(), pytest.raises(ConnectionError, match=NOWHERE):
            flow.run(executor=DaskExecutor(address=NOWHERE, client_kwargs={"timeout": "1s"}))


class TestExistingCluster:
    def test_submit_and_wait(self, dask_address):
        executor = DaskExecutor(address=dask_address)
        with executor.start():
            a = executor.submit(int.__add__, 1, 2, extra_context={"task_name": "add"})
            b = executor.submit(
                int.__mul__, a, 10, extra_context={"task_name": "mul", "map_index": 0}
            )
            assert executor.wait(b) == 30
            assert executor.wait({"both": [a, b], "plain": 7}) == {"both": [3, 30], "plain": 7}
        assert executor.client is None

    def test_the_cluster_outlives_the_run(self, dask_cluster, dask_address):
        with Flow("twice") as flow:
            result = inc(1)
        for _ in range(2):
            state = flow.run(executor=DaskExecutor(address=dask_address))
            assert state.result[result].result == 2
        assert len(dask_cluster.scheduler_info["workers"]) == 2


# the shared cluster's scheduler already serves HTTP on 8787; a second cluster picks another port
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
class TestTemporaryCluster:
    def test_a_temporary_cluster_runs_the_flow_and_is_closed(self):
        before = worker_processes()
        with Flow("temporary") as flow:
            result = inc.map([1, 2, 3])
        executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "threads_per_worker": 2})
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[result].map_states] == [2, 3, 4]
        assert executor.client is None
        assert worker_processes() == before

    def test_a_cluster_class_with_adaptive_scaling(self):
        from distributed import LocalCluster

        made = []

        def cluster_class(**kwargs):
            made.append(kwargs)
            return LocalCluster(**kwargs)

        with Flow("adaptive") as flow:
            result = inc.map([1, 2])
        executor = DaskExecutor(
            cluster_class=cluster_class,
            cluster_kwargs={"processes": False, "n_workers": 1, "dashboard_address": None},
            adapt_kwargs={"minimum": 1, "maximum": 2},
        )
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[result].map_states] == [2, 3]
        # the 127.0.0.1 and no-dashboard defaults are only for a LocalCluster named as such
        assert made == [{"processes": False, "n_workers": 1, "dashboard_address": None}]
