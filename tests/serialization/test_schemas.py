"""Prefect 1's marshmallow schemas: states, results, tasks, edges, flows, schedules, storage."""

from __future__ import annotations

import datetime
import json

import pytest

pytest.importorskip("marshmallow", reason="the serialization extra is not installed")
pendulum = pytest.importorskip("pendulum", reason="the serialization extra is not installed")

from marshmallow import ValidationError  # noqa: E402

import prefect_jupyter  # noqa: E402
from prefect_jupyter import Edge, Flow, Parameter, Task, task, triggers  # noqa: E402
from prefect_jupyter.engine import cache_validators, state  # noqa: E402
from prefect_jupyter.engine.result import Result  # noqa: E402
from prefect_jupyter.engine.results import LocalResult, PrefectResult  # noqa: E402
from prefect_jupyter.run_configs import LocalRun  # noqa: E402
from prefect_jupyter.schedules import Schedule, adjustments, clocks, filters  # noqa: E402
from prefect_jupyter.serialization.edge import EdgeSchema  # noqa: E402
from prefect_jupyter.serialization.flow import FlowSchema  # noqa: E402
from prefect_jupyter.serialization.result import StateResultSchema  # noqa: E402
from prefect_jupyter.serialization.schedule import ClockSchema, ScheduleSchema  # noqa: E402
from prefect_jupyter.serialization.state import StateSchema  # noqa: E402
from prefect_jupyter.serialization.storage import StorageSchema  # noqa: E402
from prefect_jupyter.serialization.task import TaskSchema  # noqa: E402
from prefect_jupyter.storage import Module  # noqa: E402

VERSION = prefect_jupyter.__version__
# Prefect 1's schema API passes `context=`, which marshmallow 3.26 announces it will drop in 4
pytestmark = pytest.mark.filterwarnings("ignore::marshmallow.warnings.RemovedInMarshmallow4Warning")


# -- states and results ---------------------------------------------------------------------------
def test_every_state_class_has_a_schema_that_builds_it() -> None:
    classes = {
        c for c in vars(state).values()
        if isinstance(c, type) and issubclass(c, state.State) and c not in (state.State, state._MetaState)
    }
    schemas = StateSchema.type_schemas
    assert set(schemas) == {c.__name__ for c in classes}
    assert {s.Meta.object_class for s in schemas.values()} == classes


def test_a_state_dumps_where_its_value_lives_not_the_value() -> None:
    data = StateSchema().dump(state.Success("ok", result=LocalResult(dir="/tmp", location="/tmp/r", validate_dir=False)))
    assert data == {
        "type": "Success", "message": "ok", "context": {}, "cached_inputs": {},
        "_result": {"type": "LocalResult", "dir": "/tmp", "location": "/tmp/r", "__version__": VERSION},
        "__version__": VERSION,
    }
    loaded = StateSchema().load(data)
    assert isinstance(loaded, state.Success) and loaded._result.location == "/tmp/r"


def test_class_fields_round_trip() -> None:
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    retrying = StateSchema().load(StateSchema().dump(state.Retrying("r", run_count=3, start_time=start)))
    assert (retrying.run_count, retrying.start_time) == (3, start)
    queued = StateSchema().load(StateSchema().dump(state.Queued(state=state.Retrying(run_count=2))))
    assert isinstance(queued.state, state.Retrying) and queued.state.run_count == 2
    assert StateSchema().load(StateSchema().dump(state.Looped(loop_count=4))).loop_count == 4


def test_mapped_dumps_its_child_count_only() -> None:
    data = StateSchema().dump(state.Mapped("m", map_states=[state.Success(), state.Failed()]))
    assert data["n_map_states"] == 2 and "map_states" not in data and "_result" not in data
    assert StateSchema().load(data).n_map_states == 2


def test_context_must_be_json() -> None:
    with pytest.raises(ValidationError, match="must be JSON compatible"):
        StateSchema().dump(state.Running(context={"lock": object()}))


def test_unknown_result_classes_load_as_results_at_their_location() -> None:
    class MyResult(Result):
        pass

    data = StateResultSchema().dump(MyResult(location="s3://x"))
    assert data["type"] == "CustomResult" and data["location"] == "s3://x"
    assert data["__version__"] == VERSION
    loaded = StateResultSchema().load({**data, "type": "SomethingElse"})
    assert type(loaded) is Result and loaded.location == "s3://x"
    assert StateResultSchema().load(StateResultSchema().dump(PrefectResult(location="[1]"))).location == "[1]"


# -- tasks, edges, flows --------------------------------------------------------------------------
def test_task_metadata_and_stateful_triggers() -> None:
    t = Task("t", slug="t-1", tags=["b", "a"], max_retries=2, retry_delay=datetime.timedelta(seconds=5),
             trigger=triggers.some_successful(at_least=0.5))
    data = TaskSchema().dump(t)
    assert data["tags"] == ["a", "b"] and data["retry_delay"] == 5
    assert data["trigger"] == {"fn": "prefect_jupyter.triggers.some_successful",
                               "kwargs": {"at_least": 0.5, "at_most": None}}
    loaded = TaskSchema().load(data)
    assert type(loaded) is Task and loaded.slug == "t-1" and loaded.max_retries == 2
    assert loaded.trigger.__qualname__.startswith("some_successful.")


def test_prefect_1_function_names_load_as_ours_and_custom_ones_as_defaults() -> None:
    base = TaskSchema().dump(Task("t", slug="t-1"))
    theirs = {**base, "trigger": {"fn": "prefect.triggers.all_failed", "kwargs": {}},
              "cache_validator": {"fn": "prefect.engine.cache_validators.all_inputs", "kwargs": {}}}
    with pytest.warns(UserWarning):
        loaded = TaskSchema().load(theirs)
    assert loaded.trigger is triggers.all_failed
    assert loaded.cache_validator is cache_validators.all_inputs
    custom = {**base, "trigger": {"fn": "my_module.my_trigger", "kwargs": {}}}
    assert TaskSchema().load(custom).trigger is triggers.all_successful


def test_edges_reuse_the_tasks_loaded_with_the_same_context() -> None:
    a, b = Task("a", slug="a-1"), Task("b", slug="b-1")
    context = {"task_cache": {"a-1": a, "b-1": b}}
    edge = EdgeSchema(context=context).load(EdgeSchema().dump(Edge(a, b, key="x", mapped=True)))
    assert edge.upstream_task is a and edge.downstream_task is b and edge.mapped


def test_flow_round_trip_keeps_graph_slugs_schedule_run_config_and_storage() -> None:
    @task
    def inc(x: int) -> int:
        return x + 1

    schedule = Schedule(clocks=[clocks.CronClock("0 9 * * *")], filters=[filters.is_weekday])
    with Flow("etl", schedule=schedule, run_config=LocalRun(labels=["l"]), storage=Module("pkg.flows")) as flow:
        inc.map(inc.map([1, 2]))
        inc(Parameter("p", default=1))
    data = FlowSchema().dump(flow)
    json.dumps(data)
    assert [t["slug"] for t in data["tasks"]] == sorted(flow.slugs.values())
    inc_task = next(t for t in data["tasks"] if t["name"] == "inc")
    assert inc_task["inputs"] == {"x": {"required": True, "type": "<class 'int'>"}}
    assert inc_task["outputs"] == "<class 'int'>"
    loaded = FlowSchema().load(data)
    assert sorted(loaded.slugs.values()) == sorted(flow.slugs.values())
    edges = {(loaded.slugs[e.upstream_task], loaded.slugs[e.downstream_task], e.key, e.mapped) for e in loaded.edges}
    assert edges == {(flow.slugs[e.upstream_task], flow.slugs[e.downstream_task], e.key, e.mapped) for e in flow.edges}
    assert isinstance(loaded.run_config, LocalRun) and loaded.run_config.labels == {"l"}
    assert isinstance(loaded.storage, Module) and loaded.storage.module == "pkg.flows"
    assert loaded.schedule.clocks[0].cron == "0 9 * * *"
    assert isinstance(loaded.get_tasks(name="p")[0], Parameter)


def test_what_flow_serialize_returns_loads_with_the_schema(tmp_path) -> None:
    @task(trigger=triggers.all_failed)
    def cleanup(x):
        return x

    with Flow("shipped", storage=Module("pkg.flows", attribute="flow")) as by_module:
        cleanup(Parameter("p"), task_args={"name": "clean"})
    loaded = FlowSchema().load(by_module.serialize())
    assert loaded.get_tasks(name="clean")[0].trigger is triggers.all_failed
    assert {(e.upstream_task.name, e.downstream_task.name, e.key) for e in loaded.edges} == {("p", "clean", "x")}
    assert isinstance(loaded.storage, Module)
    assert (loaded.storage.module, loaded.storage.attribute) == ("pkg.flows", "flow")

    with Flow("pickled") as pickled:
        cleanup(1)
    assert pickled.serialize(build=True)["storage"]["type"] == "Pickle"
    loaded = FlowSchema().load(pickled.serialize(build=True))
    assert loaded.name == "pickled" and loaded.storage is None
    assert len(loaded.tasks) == len(pickled.tasks)


def test_flow_type_names_this_package() -> None:
    assert FlowSchema().dump(Flow("f"))["type"] == "prefect_jupyter.core.flow.Flow"


# -- schedules ---------------------------------------------------------------------------------------
def test_schedule_json_is_prefect_1s() -> None:
    schedule = Schedule(
        clocks=[clocks.IntervalClock(datetime.timedelta(hours=1), parameter_defaults={"x": 1})],
        filters=[filters.between_times(datetime.time(9), datetime.time(17))],
        adjustments=[adjustments.add(datetime.timedelta(minutes=5))],
    )
    data = ScheduleSchema().dump(schedule)
    assert data["clocks"][0]["interval"] == 3_600_000_000  # microseconds
    assert data["filters"] == [{"fn": "prefect_jupyter.schedules.filters.between_times",
                                "kwargs": {"start": "//time:09:00:00", "end": "//time:17:00:00"}}]
    assert data["adjustments"][0]["kwargs"] == {"interval": "//timedelta:300.0"}
    loaded = ScheduleSchema().load(data)
    assert loaded.clocks[0].parameter_defaults == {"x": 1}
    assert loaded.filters[0](pendulum.datetime(2020, 1, 1, 10)) is True
    assert loaded.filters[0](pendulum.datetime(2020, 1, 1, 18)) is False


def test_a_schedule_written_by_prefect_1_loads() -> None:
    data = {
        "clocks": [{"type": "CronClock", "cron": "0 * * * *", "day_or": True,
                    "start_date": {"dt": "2020-01-01T00:00:00", "tz": "America/New_York"}}],
        "filters": [{"fn": "prefect.schedules.filters.is_weekday", "kwargs": {}}],
        "not_filters": [{"fn": "prefect.schedules.filters.on_date", "kwargs": {"month": 12, "day": 25}}],
        "adjustments": [], "or_filters": [], "__version__": "1.4.1",
    }
    loaded = ScheduleSchema().load(data)
    assert loaded.filters == [filters.is_weekday]
    assert loaded.clocks[0].start_date.utcoffset() == datetime.timedelta(hours=-5)


def test_custom_schedule_functions_and_short_intervals_are_refused() -> None:
    with pytest.raises(ValidationError, match="can't be saved"):
        ScheduleSchema().dump(Schedule(clocks=[clocks.CronClock("* * * * *")], filters=[lambda dt: True]))
    with pytest.raises(ValueError, match="less than one minute"):
        ClockSchema().dump(clocks.IntervalClock(datetime.timedelta(seconds=30)))


def test_zone_names_keep_daylight_saving_rules() -> None:
    clock = clocks.CronClock("0 9 * * *", start_date=pendulum.datetime(2018, 3, 10, tz="America/New_York"))
    data = ClockSchema().dump(clock)
    assert data["start_date"] == {"dt": "2018-03-10T00:00:00", "tz": "America/New_York"}
    loaded = ClockSchema().load(data).start_date
    assert (loaded + datetime.timedelta(days=2)).utcoffset() == datetime.timedelta(hours=-4)



@pytest.mark.parametrize("minutes", [0, 330, -60])
def test_a_fixed_offset_start_date_round_trips_and_runs(minutes: int) -> None:
    # a standard-library datetime's zone is a fixed offset, which pendulum 2 names "+05:30"
    zone = datetime.timezone(datetime.timedelta(minutes=minutes))
    start = datetime.datetime(2099, 1, 3, tzinfo=zone)
    schedule = Schedule(clocks=[clocks.IntervalClock(datetime.timedelta(hours=12), start_date=start)])
    loaded = ScheduleSchema().load(ScheduleSchema().dump(schedule))
    times = loaded.next(2, after=start - datetime.timedelta(days=1))
    assert times == [start, start + datetime.timedelta(hours=12)]
    assert all(t.utcoffset() == datetime.timedelta(minutes=minutes) for t in times)
    assert times[0].add(days=1) == start + datetime.timedelta(days=1)  # pendulum, as in Prefect 1

# -- storage -------------------------------------------------------------------------------------
def test_module_storage_json_has_prefect_1s_fields_only() -> None:
    storage = Module("pkg.flows", attribute="etl")
    storage.add_flow(Flow("etl"))
    data = StorageSchema().dump(storage)
    assert data == {"type": "Module", "module": "pkg.flows:etl", "flows": {"etl": "pkg.flows:etl"},
                    "secrets": [], "__version__": VERSION}
    loaded = StorageSchema().load(data)
    assert (loaded.module, loaded.attribute, loaded.flows) == ("pkg.flows", "etl", {"etl": "pkg.flows:etl"})


def test_an_interval_schedule_read_from_prefect_1_json_runs() -> None:
    data = {"clocks": [{"type": "IntervalClock", "interval": 3_600_000_000,
                        "start_date": {"dt": "2020-01-01T00:00:00", "tz": "America/New_York"}}]}
    schedule = ScheduleSchema().load(data)
    after = pendulum.datetime(2020, 2, 1, tz="America/New_York")
    assert schedule.next(2, after=after) == [after.add(hours=1), after.add(hours=2)]
