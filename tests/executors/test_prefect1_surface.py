"""The executor arguments and attributes Prefect 1 users rely on, on real Dask schedulers."""

from __future__ import annotations

import logging
import pickle
import threading

import cloudpickle
import distributed
import pytest

from prefect_jupyter.executors import DaskExecutor, Executor, LocalDaskExecutor


class TestBaseExecutor:
    def test_start_is_a_no_op_and_submit_wait_are_left_to_subclasses(self):
        executor = Executor()
        with executor.start():
            with pytest.raises(NotImplementedError, match="submit"):
                executor.submit(len, [1])
            with pytest.raises(NotImplementedError, match="wait"):
                executor.wait([1])

    def test_survives_pickling_inside_start(self):
        executor = Executor()
        with executor.start():
            assert isinstance(pickle.loads(pickle.dumps(executor)), Executor)


class TestDaskExecutorArguments:
    def test_a_dotted_cluster_class_is_imported_at_construction(self):
        executor = DaskExecutor(cluster_class="distributed.deploy.spec.SpecCluster")
        assert executor.cluster_class is distributed.deploy.spec.SpecCluster
        assert executor.cluster_kwargs == {}
        assert executor.client_kwargs == {"set_as_default": False}

    def test_an_unimportable_cluster_class_is_refused_at_construction(self):
        with pytest.raises(ValueError, match="can't be imported.*distributed.LocalCluster"):
            DaskExecutor(cluster_class="distributed.NoSuchCluster")

    def test_an_address_leaves_cluster_settings_unset(self):
        executor = DaskExecutor(address="tcp://127.0.0.1:8786", client_kwargs={"timeout": "1s"})
        assert (executor.cluster_class, executor.cluster_kwargs) == (None, None)
        assert executor.client_kwargs == {"timeout": "1s", "set_as_default": False}

    @pytest.mark.parametrize(("debug", "level"), [(True, logging.WARNING), (False, logging.CRITICAL)])
    def test_debug_sets_a_local_clusters_silence_logs(self, debug, level):
        executor = DaskExecutor(cluster_kwargs={"n_workers": 1}, debug=debug)
        assert executor.cluster_kwargs == {"n_workers": 1, "silence_logs": level}
        explicit = DaskExecutor(cluster_kwargs={"silence_logs": logging.INFO}, debug=debug)
        assert explicit.cluster_kwargs["silence_logs"] == logging.INFO

    def test_performance_report_reads_the_report_file(self, tmp_path):
        report = tmp_path / "report.html"
        executor = DaskExecutor(performance_report_path=str(report))
        assert executor.performance_report == ""  # not written yet
        report.write_text("<html>report</html>")
        assert executor.performance_report == "<html>report</html>"
        assert DaskExecutor().performance_report == ""

    def test_prep_dask_kwargs_names_the_key_and_asks_for_resources(self):
        options = DaskExecutor._prep_dask_kwargs(
            {"task_name": "train", "task_tags": ["gpu", "dask-resource:GPU=2"]}
        )
        assert options["key"].startswith("train-")
        assert options["resources"] == {"GPU": 2.0}
        indexed = DaskExecutor._prep_dask_kwargs({"task_name": "train", "task_index": 3})
        assert indexed["key"].startswith("train-3-") and "resources" not in indexed
        mapped = DaskExecutor._prep_dask_kwargs({"task_name": "train", "map_index": 3})
        assert mapped["key"].startswith("train-") and mapped["key"].endswith("-3")

    def test_a_malformed_resource_tag_names_the_fix(self):
        with pytest.raises(ValueError, match="dask-resource:NAME=AMOUNT"):
            DaskExecutor._prep_dask_kwargs({"task_name": "t", "task_tags": ["dask-resource:GPU"]})


@pytest.mark.slow
class TestDaskExecutorRunning:
    def test_submit_keys_carry_the_task_name_and_resources_reach_the_scheduler(self, dask_address):
        executor = DaskExecutor(address=dask_address)
        with executor.start():
            future = executor.submit(lambda x: x + 1, 1, extra_context={"task_name": "inc", "task_index": 4})
            assert future.key.startswith("inc-4-")
            assert executor.wait([future]) == [2]
            # no worker has the resource: the task waits for one instead of running anywhere
            needy = executor.submit(
                lambda: 1, extra_context={"task_name": "needy", "task_tags": ["dask-resource:TPU=1"]}
            )
            restrictions = None
            for _ in range(600):  # until the (batched) submission reaches the scheduler
                restrictions = executor.client.run_on_scheduler(_restrictions, key=needy.key)
                if restrictions is not None:
                    break
                threading.Event().wait(0.1)
            assert restrictions == {"TPU": 1.0}
            executor.client.cancel([needy])

    def test_a_copy_pickled_while_running_starts_afresh(self, dask_address):
        executor = DaskExecutor(address=dask_address)
        with executor.start():
            copy = cloudpickle.loads(cloudpickle.dumps(executor))
        assert copy.client is None and copy._should_run_event is None
        with copy.start():
            assert copy.wait(copy.submit(lambda: 41 + 1)) == 42

    def test_worker_status_is_logged_unless_switched_off(self, caplog):
        caplog.set_level(logging.DEBUG, logger="prefect_jupyter.DaskExecutor")
        with distributed.LocalCluster(
            n_workers=1, processes=False, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster:
            quiet = DaskExecutor(address=cluster.scheduler_address, watch_worker_status=False)
            with quiet.start():
                assert quiet._watch_dask_events_task is None
            executor = DaskExecutor(address=cluster.scheduler_address)
            with executor.start():
                assert executor._watch_dask_events_task is not None
                client_id = executor.client.id
                for _ in range(600):  # until the subscription (a batched message) is in place
                    if client_id in cluster.scheduler._broker._topics["all"].subscribers:
                        break
                    threading.Event().wait(0.1)
                cluster.scale(2)
                for _ in range(600):  # until the scheduler's event reaches this client
                    if any(_is_added(r) for r in caplog.records):
                        break
                    threading.Event().wait(0.1)
        assert any(_is_added(r) for r in caplog.records)

    def test_adaptive_scaling_turns_off_worker_watching_by_default(self, dask_address):
        executor = DaskExecutor(address=dask_address, adapt_kwargs={"maximum": 2})
        with executor.start():
            assert executor.watch_worker_status is None and executor._watch_dask_events_task is None


def _restrictions(key: str, dask_scheduler: distributed.Scheduler) -> dict | None:
    task = dask_scheduler.tasks.get(key)
    return None if task is None else dict(task.resource_restrictions or {})


def _is_added(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return record.name == "prefect_jupyter.DaskExecutor" and message.startswith("Worker ") and message.endswith(" added")


class TestLocalDaskExecutorSurface:
    @pytest.mark.parametrize(
        ("name", "canonical"),
        [("THREADS", "threads"), ("multiprocessing", "processes"), ("single-threaded", "synchronous")],
    )
    def test_scheduler_aliases_are_normalized(self, name, canonical):
        assert LocalDaskExecutor._normalize_scheduler(name) == canonical
        assert LocalDaskExecutor(name).scheduler == canonical

    def test_an_unknown_scheduler_is_refused(self):
        with pytest.raises(ValueError, match="'threads', 'processes' or 'synchronous'"):
            LocalDaskExecutor("gpu")

    def test_a_copy_pickled_while_running_has_no_pool(self):
        executor = LocalDaskExecutor(num_workers=2)
        with executor.start():
            executor.submit(len, [1])
            copy = cloudpickle.loads(cloudpickle.dumps(executor))
        assert copy._pool is None and copy._graph == {}
        assert copy.dask_config == {"num_workers": 2}

    def test_futures_compute_their_value_once(self):
        runs = []
        executor = LocalDaskExecutor()
        with executor.start():
            future = executor.submit(lambda: runs.append(1) or len(runs), extra_context={"task_name": "count"})
            assert future.compute() == 1
            assert future.compute(scheduler="sync") == 1
            assert executor.wait(future) == 1
        assert runs == [1]

    def test_task_index_goes_into_the_key(self):
        executor = LocalDaskExecutor()
        with executor.start():
            future = executor.submit(lambda: 1, extra_context={"task_name": "inc", "task_index": 2})
            assert future.key.startswith("inc-2-")


def test_a_performance_report_without_bokeh_is_refused_before_any_cluster_starts(tmp_path):
    import importlib.util

    if importlib.util.find_spec("bokeh") is not None:
        pytest.skip("bokeh is installed: the report can be written")
    executor = DaskExecutor(cluster_kwargs={"processes": False}, performance_report_path=str(tmp_path / "r.html"))
    with pytest.raises(ImportError, match="pip install bokeh"):
        with executor.start():
            pass
    assert executor.client is None
