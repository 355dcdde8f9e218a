"""serialize_flow: the serialized_flow dict the server stores, in Prefect 1's FlowSchema shape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, Parameter, Task, task, triggers, unmapped
from prefect_jupyter.schedules import IntervalSchedule, Schedule
from prefect_jupyter.schedules.clocks import IntervalClock
from prefect_jupyter.serialization import serialize_flow
from prefect_jupyter.serialization.storage import Module


@task
def add(x, y):
    """Add two numbers."""
    return x + y


@task(max_retries=2, retry_delay=timedelta(seconds=1.5), timeout=30, tags=["db", "slow"],
      trigger=triggers.all_finished, cache_key="k")
def configured(x):
    return x


class Shout(Task):
    def run(self, word):
        return word.upper()


def make_flow() -> Flow:
    with Flow("etl", schedule=IntervalSchedule(interval=timedelta(hours=1))) as flow:
        n = Parameter("n", default=2)
        req = Parameter("req")
        total = add(n, 1)
        add.map(x=[1, 2], y=unmapped(total))
        configured(req)
        Shout(name="shout")("hi")
    return flow


@pytest.fixture
def data() -> dict:
    return serialize_flow(make_flow(), build_storage=False)


def test_is_json(data):
    assert json.loads(json.dumps(data)) == data


def test_top_level_keys(data):
    assert data["__version__"] == prefect_jupyter.__version__
    assert data["type"] == "prefect_jupyter.core.flow.Flow"
    assert data["name"] == "etl"
    assert data["description"] is None
    assert data["storage"] is None  # build_storage=False
    assert data["schedule"]["clocks"][0]["interval"] == 3600.0
    assert len(data["structure_hash"]) == 64
    assert data["labels"] == []


def test_parameters(data):
    assert data["parameters"] == [
        {"name": "n", "slug": "n", "default": 2, "required": False,
         "type": "prefect_jupyter.core.parameter.Parameter"},
        {"name": "req", "slug": "req", "default": None, "required": True,
         "type": "prefect_jupyter.core.parameter.Parameter"},
    ]


def test_a_default_that_is_not_json_becomes_null():
    with Flow("f") as flow:
        add(Parameter("p", default={1, 2}), 1)
    assert serialize_flow(flow, build_storage=False)["parameters"][0]["default"] is None


def test_tasks_sorted_by_slug_with_their_settings(data):
    slugs = [t["slug"] for t in data["tasks"]]
    assert slugs == sorted(slugs)
    by_slug = {t["slug"]: t for t in data["tasks"]}
    assert by_slug["add-1"] == {
        "slug": "add-1", "name": "add", "type": "prefect_jupyter.tasks.core.function.FunctionTask",
        "description": "Add two numbers.", "tags": [], "max_retries": 0, "retry_delay": None,
        "timeout": None, "trigger": "prefect_jupyter.triggers.all_successful", "mapped": False,
        "is_reference_task": False, "is_root_task": False, "is_terminal_task": False,
        "auto_generated": False, "cache_key": None,
    }
    conf = by_slug["configured-db-slow-1"]
    assert (conf["max_retries"], conf["retry_delay"], conf["timeout"]) == (2, 1.5, 30)
    assert conf["tags"] == ["db", "slow"]
    assert conf["trigger"] == "prefect_jupyter.triggers.all_finished"
    assert conf["cache_key"] == "k"
    assert conf["is_terminal_task"] and conf["is_reference_task"]
    assert by_slug["add-2"]["mapped"] is True
    assert by_slug["shout-1"]["type"].endswith("test_flow_serialization.Shout")
    assert by_slug["n"]["is_root_task"] is True
    auto = [t for t in data["tasks"] if t["auto_generated"]]
    assert [t["type"] for t in auto] == ["prefect_jupyter.tasks.core.constants.Constant"]  # [1, 2]


def test_edges_sorted_with_keys_and_flags(data):
    edges = data["edges"]
    keys = [(e["upstream_task"]["slug"], e["downstream_task"]["slug"], e["key"] or "") for e in edges]
    assert keys == sorted(keys)
    mapped = [e for e in edges if e["downstream_task"]["slug"] == "add-2"]
    assert {(e["key"], e["mapped"]) for e in mapped} == {("x", True), ("y", False)}
    assert all(set(e) == {"upstream_task", "downstream_task", "key", "mapped", "flattened"} for e in edges)


def test_reference_tasks_are_the_explicit_ones():
    flow = make_flow()
    assert serialize_flow(flow, build_storage=False)["reference_tasks"] == []
    flow.set_reference_tasks(flow.get_tasks(name="shout"))
    data = serialize_flow(flow, build_storage=False)
    assert data["reference_tasks"] == [{"slug": "shout-1"}]
    assert [t["slug"] for t in data["tasks"] if t["is_reference_task"]] == ["shout-1"]


def test_labels_from_the_argument_and_run_config():
    from prefect_jupyter.run_configs import LocalRun

    flow = make_flow()
    flow.run_config = LocalRun(labels=["gpu"], env={"STAGE": "dev"})
    data = serialize_flow(flow, build_storage=False, labels=["b", "a"])
    assert data["labels"] == ["a", "b", "gpu"]
    # the run config itself travels too: the flow's runs get it (env, working_dir, labels)
    assert data["run_config"]["type"] == "LocalRun" and data["run_config"]["env"] == {"STAGE": "dev"}


def test_graph_is_the_viz_model(data):
    assert data["graph"]["flow"] == "etl"
    assert {n["id"] for n in data["graph"]["nodes"]} >= {"add-1", "n", "shout-1"}


def test_pickle_storage_records_versions():
    import platform

    import cloudpickle

    storage = serialize_flow(make_flow())["storage"]
    assert storage["type"] == "Pickle"
    assert isinstance(storage["flow"], str) and storage["flow"]
    assert storage["python_version"] == platform.python_version()
    assert storage["cloudpickle_version"] == cloudpickle.__version__


def test_module_storage_is_described_not_pickled():
    flow = make_flow()
    flow.storage = Module("my_flows.etl", attribute="flow")
    storage = serialize_flow(flow)["storage"]
    assert storage["type"] == "Module"
    assert storage["flow"] == {"module": "my_flows.etl", "attribute": "flow"}


def test_a_cycle_is_refused_before_serializing():
    a, b = add.copy(), add.copy()
    flow = Flow("cyclic")
    flow.add_edge(a, b, key="x")
    flow.add_edge(b, a, key="x")
    with pytest.raises(ValueError, match="Cycle found"):
        serialize_flow(flow)


def test_a_schedule_with_a_custom_filter_is_refused():
    flow = make_flow()
    flow.schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1))], filters=[lambda dt: True])
    with pytest.raises(ValueError, match="can't be saved with the flow"):
        serialize_flow(flow, build_storage=False)


def test_flow_serialize_delegates():
    flow = make_flow()
    assert flow.serialize() == serialize_flow(flow, build_storage=False)
    assert flow.serialize(build=True)["storage"]["type"] == "Pickle"
    assert flow.serialized_hash() == serialize_flow(flow, build_storage=False)["structure_hash"]
