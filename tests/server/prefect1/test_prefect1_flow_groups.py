"""Prefect Server 1's flow-group mutations (what its UI and API users set for every version of a
flow): labels, description, default parameters, run config, schedule, Lazarus, moving to another
project, deleting the group. Against our app, SQLite and PostgreSQL (the ``api`` fixture).
"""

from __future__ import annotations

import copy
import datetime
import json
import uuid
from pathlib import Path
from typing import Any

from prefect_jupyter.server.services import Scheduler

FLOW = json.loads((Path(__file__).parent / "data" / "mapped_flow.json").read_text())
NOW = datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.UTC)


def registered(api: Any, required: bool = False) -> tuple[str, str]:
    """A Prefect 1 flow (parameter ``n``, default 3; ``required``: without a default), and its
    flow group."""
    flow = copy.deepcopy(FLOW)
    flow["name"] = f"p1-{uuid.uuid4().hex[:6]}"
    if required:
        flow["parameters"][0].update(required=True, default=None)
    flow_id = api.register(flow)
    return flow_id, api.by_pk("flow", flow_id, "flow_group_id")["flow_group_id"]


def group(api: Any, group_id: str, fields: str) -> dict[str, Any]:
    return api.by_pk("flow_group", group_id, fields)


def run(api: Any, flow_id: str, **inputs: Any) -> dict[str, Any]:
    return api.flow_run(api.create_flow_run(flow_id, **inputs), "parameters labels run_config")


def test_labels_for_every_new_run_and_back_to_the_flows_own(api):
    flow_id, group_id = registered(api)
    assert api.mutate("set_flow_group_labels", {"flow_group_id": group_id,
                                                "labels": ["b", "a", "b"]})["success"]
    assert group(api, group_id, "labels")["labels"] == ["a", "b"]
    assert run(api, flow_id)["labels"] == ["a", "b"]
    assert run(api, flow_id, labels=["mine"])["labels"] == ["mine"]  # a run's own first
    api.mutate("set_flow_group_labels", {"flow_group_id": group_id, "labels": None})
    assert run(api, flow_id)["labels"] == ["p1"]  # the flow's run config's


def test_description(api):
    _, group_id = registered(api)
    api.mutate("set_flow_group_description", {"flow_group_id": group_id, "description": "# Hi"})
    assert group(api, group_id, "description")["description"] == "# Hi"


def test_default_parameters_under_a_runs_own_and_for_required_ones(api):
    flow_id, group_id = registered(api)
    assert group(api, group_id, "default_parameters")["default_parameters"] == {}
    api.mutate("set_flow_group_default_parameters",
               {"flow_group_id": group_id, "parameters": {"n": 7, "gone": 1}})
    assert group(api, group_id, "default_parameters")["default_parameters"] == {"n": 7, "gone": 1}
    # a default for a parameter the flow doesn't declare (any more) is left out
    assert run(api, flow_id)["parameters"] == {"n": 7}
    assert run(api, flow_id, parameters={"n": 1})["parameters"] == {"n": 1}

    required_id, required_group = registered(api, required=True)
    errors = api.mutation_errors("create_flow_run", {"flow_id": required_id}, "id")
    assert "missing required parameter(s) 'n'" in errors[0]["message"]
    api.mutate("set_flow_group_default_parameters",
               {"flow_group_id": required_group, "parameters": {"n": 5}})
    assert run(api, required_id)["parameters"] == {"n": 5}
    bad = api.mutation_errors("set_flow_group_default_parameters",
                              {"flow_group_id": required_group, "parameters": [1]})
    assert "JSON object" in bad[0]["message"]


def test_run_config_for_every_new_run(api):
    flow_id, group_id = registered(api)
    config = {"type": "LocalRun", "labels": ["p1"], "env": {"A": "1"}, "working_dir": None}
    api.mutate("set_flow_group_run_config", {"flow_group_id": group_id, "run_config": config})
    assert run(api, flow_id)["run_config"] == config
    api.mutate("set_flow_group_run_config", {"flow_group_id": group_id, "run_config": None})
    assert run(api, flow_id)["run_config"]["env"] is None  # the flow's own
    bad = api.mutation_errors("set_flow_group_run_config",
                              {"flow_group_id": group_id, "run_config": {"env": {}}})
    assert "serialized run config" in bad[0]["message"]


def test_a_group_schedule_replaces_the_flows_own_until_deleted(api, app):
    flow_id, group_id = registered(api)
    # the flow has no schedule of its own: turning it on is refused until the group has one
    assert api.mutate("set_schedule_active", {"flow_id": flow_id}, "success error")["success"] \
        is False
    api.mutate("set_flow_group_schedule", {
        "flow_group_id": group_id, "timezone": "UTC",
        "cron_clocks": [{"cron": "0 * * * *", "parameter_defaults": {"n": 9}}],
    })
    assert group(api, group_id, "schedule")["schedule"]["clocks"][0]["cron"] == "0 * * * *"
    assert api.mutate("set_schedule_active", {"flow_id": flow_id})["success"]
    scheduler = Scheduler(app.state.database, loop_seconds=1.0, max_scheduled_runs=3)
    scheduler.run_once(now=NOW)
    runs = api.rows("flow_run", {"flow_id": {"_eq": flow_id}},
                    "scheduled_start_time parameters auto_scheduled",
                    [{"scheduled_start_time": "asc"}])
    assert [(r["scheduled_start_time"], r["parameters"], r["auto_scheduled"]) for r in runs] == [
        ((NOW.replace(minute=0) + datetime.timedelta(hours=h)).isoformat(), {"n": 9}, True)
        for h in (1, 2, 3)]
    # an interval in seconds; a bad clock or time zone is refused, naming the fix
    api.mutate("set_flow_group_schedule", {"flow_group_id": group_id,
                                           "interval_clocks": [{"interval": 600}]})
    assert group(api, group_id, "schedule")["schedule"]["clocks"][0]["interval"] == 600_000_000
    assert api.count("flow_run", {"flow_id": {"_eq": flow_id}}) == 0  # the old schedule's runs
    for inputs, words in (({"cron_clocks": [{"cron": "every day"}]}, "cron strings"),
                          ({"cron_clocks": [{"cron": "0 * * * *"}], "timezone": "Mars/Olympus"},
                           "Unknown time zone")):
        errors = api.mutation_errors("set_flow_group_schedule",
                                     {"flow_group_id": group_id, **inputs})
        assert words in errors[0]["message"]
    api.mutate("delete_flow_group_schedule", {"flow_group_id": group_id})
    assert group(api, group_id, "schedule")["schedule"] is None
    scheduler.run_once(now=NOW)
    assert api.count("flow_run", {"flow_id": {"_eq": flow_id}}) == 0


def test_lazarus_turned_off_and_on_for_the_flow(api):
    flow_id, group_id = registered(api)
    api.mutate("disable_flow_lazarus_process", {"flow_id": flow_id})
    assert group(api, group_id, "settings")["settings"]["lazarus_enabled"] is False
    api.mutate("enable_flow_lazarus_process", {"flow_id": flow_id})
    assert group(api, group_id, "settings")["settings"]["lazarus_enabled"] is True


def test_a_flow_moves_to_another_project_with_every_version(api):
    first, _ = registered(api)
    name = api.by_pk("flow", first, "name")["name"]
    flow = copy.deepcopy(FLOW)
    flow["name"] = name
    project = api.by_pk("flow", first, "project_id")["project_id"]
    second = api.register(flow, project)  # version 2, same group
    target = api.create_project()
    moved = api.mutate("update_flow_project", {"flow_id": second, "project_id": target}, "id")
    assert moved == {"id": second}
    assert {f["project_id"] for f in api.rows("flow", {"name": {"_eq": name}}, "project_id")} \
        == {target}
    # back to a project that has another flow of that name (registered since): refused
    api.register(flow, project)
    errors = api.mutation_errors("update_flow_project", {"flow_id": first, "project_id": project},
                                 "id")
    assert "another flow named" in errors[0]["message"]


def test_deleting_a_group_deletes_every_version_and_its_runs(api):
    flow_id, group_id = registered(api)
    run_id = api.create_flow_run(flow_id)
    assert api.mutate("delete_flow_group", {"flow_group_id": group_id})["success"]
    assert api.by_pk("flow_group", group_id) is None
    assert api.by_pk("flow", flow_id) is None
    assert api.by_pk("flow_run", run_id) is None
    errors = api.mutation_errors("delete_flow_group", {"flow_group_id": group_id})
    assert "not found" in errors[0]["message"]
