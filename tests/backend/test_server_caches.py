"""A task with ``cache_for`` run by the backend reuses what an earlier run cached on the server
(each agent run is a fresh process: there is no in-process cache to find)."""

from __future__ import annotations

import datetime
import uuid

import pytest

from prefect_jupyter import Flow, Parameter, context, task
from prefect_jupyter.backend.execution import execute_flow_run
from prefect_jupyter.engine import cache_validators
from prefect_jupyter.engine.results import LocalResult, PrefectResult
from prefect_jupyter.engine.state import Cached, Success
from prefect_jupyter.utilities.configuration import set_temporary_config

HOUR = datetime.timedelta(hours=1)
CALLS: list[str] = []


@pytest.fixture
def run_on_server(execution_server, server_client, project_name):
    CALLS.clear()

    def run(flow, parameters=None, checkpointing=True):
        flow_id = server_client.register(flow, project_name=project_name, no_url=True)
        run_id = server_client.create_flow_run(flow_id=flow_id, parameters=parameters or {})
        settings = {"cloud.graphql": execution_server.graphql_url,
                    "flows.checkpointing": checkpointing}
        # a fresh process's context: nothing cached in it
        with set_temporary_config(settings), context(caches={}):
            state = execute_flow_run(run_id, client=server_client, flow=flow)
        assert state is not None and state.is_successful()
        return state

    return run


def expensive_flow(name, result, cache_key=None, validator=cache_validators.duration_only):
    @task(cache_for=HOUR, result=result, cache_key=cache_key, cache_validator=validator)
    def expensive(x):
        CALLS.append(f"expensive({x})")
        return {"x": x, "value": 42}

    @task
    def use(found):
        return found["value"] + 1

    with Flow(name) as flow:
        x = Parameter("x", default=1)
        got = expensive(x)
        use(got)
    return flow, got


def test_a_second_agent_run_reuses_the_first_runs_cached_result(run_on_server):
    flow, got = expensive_flow(f"cached-{uuid.uuid4().hex[:6]}", PrefectResult())
    first = run_on_server(flow)
    second = run_on_server(flow)
    assert CALLS == ["expensive(1)"]  # ran once
    assert type(first.result[got]) is Cached and type(second.result[got]) is Cached
    assert second.result[got].result == {"x": 1, "value": 42}  # read back from the server's copy
    use = flow.get_tasks(name="use")[0]
    assert second.result[use].result == 43  # and handed downstream


def test_a_local_result_is_read_back_from_its_file(run_on_server, tmp_path):
    flow, got = expensive_flow(f"cached-file-{uuid.uuid4().hex[:6]}", LocalResult(dir=str(tmp_path)))
    run_on_server(flow)
    second = run_on_server(flow)
    assert CALLS == ["expensive(1)"]
    assert second.result[got].result == {"x": 1, "value": 42}


def test_the_validator_still_decides(run_on_server):
    flow, got = expensive_flow(f"cached-inputs-{uuid.uuid4().hex[:6]}", PrefectResult(),
                               validator=cache_validators.all_inputs)
    run_on_server(flow, {"x": 1})
    run_on_server(flow, {"x": 2})  # other inputs: runs
    third = run_on_server(flow, {"x": 1})  # the first run's cache is valid again
    assert CALLS == ["expensive(1)", "expensive(2)"]
    assert third.result[got].result == {"x": 1, "value": 42}


def test_a_cache_key_shares_across_flows(run_on_server):
    key = f"shared-{uuid.uuid4().hex[:6]}"
    one, _ = expensive_flow(f"cache-one-{key}", PrefectResult(), cache_key=key)
    other, got = expensive_flow(f"cache-other-{key}", PrefectResult(), cache_key=key)
    run_on_server(one)
    state = run_on_server(other)
    assert CALLS == ["expensive(1)"]
    assert type(state.result[got]) is Cached


def test_a_value_that_was_not_persisted_is_not_reused(run_on_server):
    flow, got = expensive_flow(f"not-persisted-{uuid.uuid4().hex[:6]}", PrefectResult())
    run_on_server(flow, checkpointing=False)  # Cached on the server, but no value stored
    second = run_on_server(flow)
    assert CALLS == ["expensive(1)", "expensive(1)"]
    assert type(second.result[got]) in (Cached, Success)


def test_a_cached_file_that_is_gone_is_not_reused(run_on_server, tmp_path, caplog):
    flow, got = expensive_flow(f"cached-gone-{uuid.uuid4().hex[:6]}", LocalResult(dir=str(tmp_path)))
    run_on_server(flow)
    for written in tmp_path.iterdir():
        written.unlink()
    second = run_on_server(flow)
    assert CALLS == ["expensive(1)", "expensive(1)"]  # ran again
    assert second.result[got].result == {"x": 1, "value": 42}
    assert "could not be read" in caplog.text and "it is not reused" in caplog.text


def test_when_the_server_cannot_be_asked_the_task_just_runs(caplog):
    from prefect_jupyter.backend.server_caches import server_caches

    class Unreachable:
        def get_latest_cached_states(self, *args):
            raise ConnectionError("server gone")

    flow, got = expensive_flow("unasked", PrefectResult())
    assert server_caches(Unreachable(), flow, {flow.slugs[got]: "id"}) == {}
    assert "could not be read (server gone); it runs as if none were cached" in caplog.text
