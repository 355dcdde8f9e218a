"""A flow run's log records and task-run state history go with it, however it is deleted.

``log`` and ``task_run_state`` have no foreign keys (``database/models.py``): the server deletes
their rows itself (``api/run_history.py``). Each test keeps a second run whose rows must stay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from prefect_jupyter.engine.state import Running
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.database.models import FlowRun

WRITE_LOGS = "mutation($input: write_run_logs_input!) { write_run_logs(input: $input) { success } }"


def _run_with_history(api: Any, flow_id: str) -> tuple[str, list[str]]:
    """A flow run with a log record of its own and of each task run, and states beyond the
    first; its id and its task runs' ids."""
    run_id = api.create_flow_run(flow_id)
    api.set_flow_run_state(run_id, state_to_dict(Running()))
    task_runs = [t["id"] for t in api.task_runs(run_id)]
    for task_run in task_runs:
        api.set_task_run_state(task_run, state_to_dict(Running()))
    logs = [{"flow_run_id": run_id, "message": "run"}] + [
        {"flow_run_id": run_id, "task_run_id": t, "message": "task"} for t in task_runs]
    assert api.query(WRITE_LOGS, {"input": {"logs": logs}})["write_run_logs"]["success"]
    return run_id, task_runs


def _history(api: Any, run_id: str, task_runs: list[str]) -> tuple[int, int]:
    """(log records, task-run state rows) stored for the run, found by id alone."""
    return (api.count("log", {"flow_run_id": {"_eq": run_id}}),
            api.count("task_run_state", {"task_run_id": {"_in": task_runs}}))


def test_deleting_a_flow_run_deletes_its_logs_and_state_history(api, make_flow):
    flow_id = api.register(make_flow())
    gone, gone_tasks = _run_with_history(api, flow_id)
    kept, kept_tasks = _run_with_history(api, flow_id)
    assert _history(api, gone, gone_tasks) == (1 + len(gone_tasks), 2 * len(gone_tasks))

    assert api.mutate("delete_flow_run", {"flow_run_id": gone}) == {"success": True}

    assert _history(api, gone, gone_tasks) == (0, 0)
    assert _history(api, kept, kept_tasks) == (1 + len(kept_tasks), 2 * len(kept_tasks))


def test_deleting_a_flow_or_a_project_deletes_the_history_of_their_runs(api, make_flow):
    project_id = api.create_project()
    first = api.register(make_flow(), project_id)
    second = api.register(make_flow(), project_id)
    other = api.register(make_flow())
    runs = {flow: _run_with_history(api, flow) for flow in (first, second, other)}

    assert api.mutate("delete_flow", {"flow_id": first}) == {"success": True}
    assert _history(api, *runs[first]) == (0, 0)
    assert _history(api, *runs[second]) != (0, 0)

    assert api.mutate("delete_project", {"project_id": project_id}) == {"success": True}
    assert _history(api, *runs[second]) == (0, 0)
    assert _history(api, *runs[other]) == (1 + len(runs[other][1]), 2 * len(runs[other][1]))


def test_unneeded_scheduled_runs_go_with_their_history(app, api, make_flow):
    flow_id = api.register(make_flow())
    scheduled = api.create_flow_run(flow_id)  # Scheduled, with its task runs' first states
    task_runs = [t["id"] for t in api.task_runs(scheduled)]
    kept, kept_tasks = _run_with_history(api, flow_id)
    with app.state.database.write_session() as session:  # as the scheduler makes them
        session.execute(update(FlowRun).where(FlowRun.id == scheduled).values(auto_scheduled=True))
    assert _history(api, scheduled, task_runs) == (0, len(task_runs))

    api.mutate("set_schedule_inactive", {"flow_id": flow_id})

    assert api.by_pk("flow_run", scheduled) is None
    assert _history(api, scheduled, task_runs) == (0, 0)
    assert _history(api, kept, kept_tasks) == (1 + len(kept_tasks), 2 * len(kept_tasks))
