"""Agents on the server: register, heartbeat, delete, the agent table, and why a run is late."""

from __future__ import annotations

import datetime
import uuid

import pytest
from sqlalchemy import update

from prefect_jupyter.server.database.models import Agent, FlowRun, utcnow

LATE = "query($id: uuid!) { flow_run_by_pk(id: $id) { late_reason } }"


def register(api, labels=(), name=None, type_="LocalAgent") -> str:
    name = name or f"agent-{uuid.uuid4().hex[:6]}"
    return api.mutate("register_agent", {"type": type_, "name": name, "labels": list(labels)},
                      "id")["id"]


def late_reason(api, run_id: str) -> str | None:
    return api.query(LATE, {"id": run_id})["flow_run_by_pk"]["late_reason"]


def set_last_seen(app, agent_id: str | None, seconds_ago: float) -> None:
    """Move agents' last contact into the past (all agents when ``agent_id`` is None)."""
    when = utcnow() - datetime.timedelta(seconds=seconds_ago)
    stmt = update(Agent).values(last_queried=when)
    if agent_id is not None:
        stmt = stmt.where(Agent.id == agent_id)
    with app.state.database.write_session() as session:
        session.execute(stmt)


@pytest.fixture
def quiet_agents(app):
    """Every agent other tests registered counts as long gone for this test."""
    set_last_seen(app, None, 10_000)


# -- registration ---------------------------------------------------------------------------------
def test_register_agent_records_it_with_sorted_labels(api):
    name = f"agent-{uuid.uuid4().hex[:6]}"
    agent_id = register(api, ["b", "a", "b"], name=name)
    row = api.by_pk("agent", agent_id, "name type labels last_queried core_version")
    assert row["name"] == name and row["type"] == "LocalAgent"
    assert row["labels"] == ["a", "b"]
    assert row["last_queried"] is not None


def test_a_restarted_agent_gets_its_row_back(api):
    name = f"agent-{uuid.uuid4().hex[:6]}"
    first = register(api, ["x"], name=name)
    assert register(api, ["x"], name=name) == first
    assert register(api, ["x", "y"], name=name) != first  # other labels: another agent
    assert register(api, ["x"], name=name, type_="DockerAgent") != first
    assert api.count("agent", {"name": {"_eq": name}}) == 3


def test_heartbeat_and_asking_for_work_update_last_queried(api, app):
    agent_id = register(api)
    set_last_seen(app, agent_id, 3600)
    before = api.by_pk("agent", agent_id, "last_queried")["last_queried"]
    assert api.mutate("update_agent_heartbeat", {"agent_id": agent_id}) == {"success": True}
    after_beat = api.by_pk("agent", agent_id, "last_queried")["last_queried"]
    assert after_beat > before
    set_last_seen(app, agent_id, 3600)
    api.mutate("get_runs_in_queue", {"labels": [], "agent_id": agent_id}, "flow_run_ids")
    assert api.by_pk("agent", agent_id, "last_queried")["last_queried"] > before


def test_unknown_agents_are_not_found(api):
    missing = str(uuid.uuid4())
    for name in ("update_agent_heartbeat", "delete_agent"):
        error = api.mutation_errors(name, {"agent_id": missing})[0]
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert f"Agent {missing} not found" in error["message"]


def test_delete_agent_keeps_its_flow_runs(api, app, make_flow):
    agent_id = register(api)
    run_id = api.create_flow_run(api.register(make_flow()))
    with app.state.database.write_session() as session:
        session.execute(update(FlowRun).where(FlowRun.id == run_id).values(agent_id=agent_id))
    assert api.mutate("delete_agent", {"agent_id": agent_id}) == {"success": True}
    assert api.by_pk("agent", agent_id) is None
    assert api.flow_run(run_id, "agent_id state") == {"agent_id": None, "state": "Scheduled"}


def test_agents_are_queryable_with_their_runs(api):
    name = f"agent-{uuid.uuid4().hex[:6]}"
    register(api, ["q"], name=name)
    rows = api.rows("agent", {"name": {"_eq": name}, "labels": {"_contains": ["q"]}},
                    "name labels flow_runs_aggregate { aggregate { count } }")
    assert rows == [{"name": name, "labels": ["q"], "flow_runs_aggregate": {"aggregate": {"count": 0}}}]


# -- why a run is late ----------------------------------------------------------------------------
def due_run(api, make_flow, labels=()) -> str:
    past = (utcnow() - datetime.timedelta(minutes=5)).isoformat()
    flow_id = api.register(make_flow(labels=list(labels)))
    return api.create_flow_run(flow_id, scheduled_start_time=past)


def test_a_run_that_is_not_due_or_has_started_is_not_late(api, make_flow):
    future = (utcnow() + datetime.timedelta(hours=1)).isoformat()
    later = api.create_flow_run(api.register(make_flow()), scheduled_start_time=future)
    assert late_reason(api, later) is None
    running = due_run(api, make_flow)
    api.set_flow_run_state(running, {"type": "Running", "message": "go"})
    assert late_reason(api, running) is None


def test_no_agent_seen_lately_names_the_last_one(api, app, make_flow, quiet_agents):
    name = f"last-{uuid.uuid4().hex[:6]}"
    agent_id = register(api, ["etl"], name=name)
    set_last_seen(app, agent_id, 600)
    run_id = due_run(api, make_flow, ["etl", "gpu"])
    reason = late_reason(api, run_id)
    assert reason.startswith("Late by 5 min: no agent has asked for work in the last 60 s")
    assert f"the last one seen was agent '{name}' with labels [etl], 10 min ago" in reason
    assert reason.endswith("Start one with `prefect-jupyter agent local start --label etl --label gpu`.")


def test_no_agent_has_the_run_s_labels(api, make_flow, quiet_agents):
    cpu = register(api, ["cpu"], name=f"cpu-{uuid.uuid4().hex[:6]}")
    plain = register(api, [], name=f"plain-{uuid.uuid4().hex[:6]}")
    run_id = due_run(api, make_flow, ["gpu"])
    reason = late_reason(api, run_id)
    assert "no running agent has all of its labels [gpu]" in reason
    for agent_id, labels in ((cpu, "[cpu]"), (plain, "[]")):
        name = api.by_pk("agent", agent_id, "name")["name"]
        assert f"agent '{name}' with labels {labels}" in reason
    assert "`prefect-jupyter agent local start --label gpu`" in reason


def test_an_agent_that_can_run_it_is_named(api, make_flow, quiet_agents):
    name = f"able-{uuid.uuid4().hex[:6]}"
    register(api, ["gpu", "x"], name=name)
    reason = late_reason(api, due_run(api, make_flow, ["gpu"]))
    assert f"agent '{name}' with labels [gpu, x] can run it and asked for work lately" in reason
    assert "busy with other runs (raise its --concurrency)" in reason


def test_late_reasons_of_many_runs_in_one_query(api, make_flow, quiet_agents):
    runs = [due_run(api, make_flow, ["many"]) for _ in range(3)]
    rows = api.rows("flow_run", {"id": {"_in": runs}}, "id late_reason")
    assert len(rows) == 3
    assert all("no running agent has all of its labels [many]" in r["late_reason"] or
               "no agent has asked for work" in r["late_reason"] for r in rows)
