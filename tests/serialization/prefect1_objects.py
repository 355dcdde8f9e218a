"""Objects built the same way on Prefect 1.4.1 and on prefect_jupyter, dumped with the schemas.

Run as ``python prefect1_objects.py PACKAGE`` (``prefect`` or ``prefect_jupyter``): prints a
JSON object of named dumps. With ``--load FILE`` it first loads each dump in FILE with the same
schema and dumps it again (what reading another engine's JSON gives back). The construction
code is identical for both packages: that is the point of the side-by-side test.
"""

from __future__ import annotations

import datetime
import importlib
import json
import sys


def build(pkg_name: str) -> dict:
    import pendulum

    pkg = importlib.import_module(pkg_name)

    def sub(name: str):
        return importlib.import_module(f"{pkg_name}.{name}")

    state, results = sub("engine.state"), sub("engine.results")
    clocks, filters, adjustments = sub("schedules.clocks"), sub("schedules.filters"), sub("schedules.adjustments")
    run_configs, storage, triggers = sub("run_configs"), sub("storage"), sub("triggers")
    utc = pendulum.datetime(2020, 1, 1, 9, tz="UTC")
    states = {
        "success": state.Success("ok", result=results.PrefectResult(location="42")),
        "failed": state.Failed("boom", context={"tags": ["a"]}),
        "retrying": state.Retrying("again", run_count=2, start_time=utc),
        "scheduled": state.Scheduled(start_time=utc),
        "mapped": state.Mapped("m", map_states=[state.Success(), state.Failed()]),
        "queued": state.Queued(state=state.Scheduled(start_time=utc), start_time=utc),
        "cached": state.Cached(
            result=results.LocalResult(dir="/tmp", location="/tmp/x", validate_dir=False),
            cached_result_expiration=utc, hashed_inputs={"x": "abc"},
        ),
        "looped": state.Looped(loop_count=3),
        "paused": state.Paused(start_time=utc),
        "cancelled": state.Cancelled("stop"),
    }
    schedule = sub("schedules").Schedule(
        clocks=[
            clocks.IntervalClock(
                datetime.timedelta(hours=1),
                start_date=pendulum.datetime(2020, 1, 1, tz="America/New_York"),
                parameter_defaults={"p": 3},
            ),
            clocks.CronClock("0 9 * * 1-5", labels=["x"], day_or=False),
            clocks.DatesClock([pendulum.datetime(2021, 5, 1, 12, tz="Europe/Paris")]),
        ],
        filters=[filters.at_time(datetime.time(9)), filters.is_weekday,
                 filters.between_dates(1, 1, 6, 30)],
        not_filters=[filters.on_datetime(pendulum.datetime(2020, 12, 25, tz="UTC"))],
        adjustments=[adjustments.add(datetime.timedelta(minutes=5)), adjustments.next_weekday],
    )
    configs = {
        "local": run_configs.LocalRun(env={"A": "1"}, working_dir="/srv", labels=["b", "a"]),
        "universal": run_configs.UniversalRun(labels=["u"]),
        "kubernetes": run_configs.KubernetesRun(image="img", cpu_limit=2, job_template={"kind": "Job"}),
        "ecs": run_configs.ECSRun(image="img", cpu=1024, run_task_kwargs={"cluster": "c"}),
        "docker": run_configs.DockerRun(image="img", ports=[80]),
        "vertex": run_configs.VertexRun(machine_type="n1"),
    }
    stores = {
        "module": storage.Module("my_flows.etl"),
        "git": storage.Git(flow_path="flows/etl.py", repo="org/repo", tag="v1"),
        "s3": storage.S3(bucket="flows", key="etl/flow", secrets=["AWS_CREDENTIALS"]),
        "github": storage.GitHub(repo="org/repo", path="flows/etl.py", ref="main"),
        "local": storage.Local(directory="/srv/flows", validate=False, path="/srv/flows/etl.py",
                               stored_as_script=True),
    }

    @pkg.task(max_retries=2, retry_delay=datetime.timedelta(seconds=5), tags=["b", "a"],
              trigger=triggers.some_failed(at_least=1))
    def inc(x):
        return x + 1

    with pkg.Flow("etl", schedule=schedule, run_config=configs["local"],
                  storage=storage.Module("my_flows.etl")) as flow:
        first = inc(pkg.Parameter("p", default=1))
        inc(first)
    flow.storage.add_flow(flow)
    return {"states": states, "schedule": schedule, "run_configs": configs,
            "storage": stores, "flow": flow}


def schemas(pkg_name: str) -> dict:
    ser = importlib.import_module(f"{pkg_name}.serialization")
    for name in ("state", "schedule", "run_config", "storage", "flow"):
        importlib.import_module(f"{pkg_name}.serialization.{name}")
    return {
        "states": ser.state.StateSchema, "schedule": ser.schedule.ScheduleSchema,
        "run_configs": ser.run_config.RunConfigSchema, "storage": ser.storage.StorageSchema,
        "flow": ser.flow.FlowSchema,
    }


def dump(pkg_name: str) -> dict:
    objects, found = build(pkg_name), schemas(pkg_name)
    out: dict = {}
    for kind, value in objects.items():
        schema = found[kind]()
        if isinstance(value, dict):
            out[kind] = {name: schema.dump(v) for name, v in value.items()}
        elif kind == "flow":
            out[kind] = value.serialize() if hasattr(value, "serialize") and pkg_name == "prefect" else schema.dump(value)
        else:
            out[kind] = schema.dump(value)
    return out


def reload(pkg_name: str, data: dict) -> dict:
    found = schemas(pkg_name)
    out: dict = {}
    for kind, value in data.items():
        if kind in ("states", "run_configs", "storage"):
            out[kind] = {n: found[kind]().dump(found[kind]().load(v)) for n, v in value.items()}
        else:
            out[kind] = found[kind]().dump(found[kind]().load(value))
    return out


if __name__ == "__main__":
    package = sys.argv[1]
    if len(sys.argv) > 3 and sys.argv[2] == "--load":
        with open(sys.argv[3]) as f:
            print(json.dumps(reload(package, json.load(f))))
    else:
        print(json.dumps(dump(package)))
